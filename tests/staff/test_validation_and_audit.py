"""Staff validate re-enrolments, write internal notes; every change is in the history."""

from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.files.base import ContentFile
from django.urls import reverse

from accounts.models import Family
from billing import services as billing
from billing.models import FamilyBilling
from documents.models import Document, DocumentFile, DocumentType
from reinscription.models import Reenrolment
from tests.staff.conftest import change_form_data, login, student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(demo):
    return submit(student_named("Léa"), preferences={"fm_day": "saturday"})


def post_action(client, action, objects, url):
    return client.post(
        url,
        {"action": action, ACTION_CHECKBOX_NAME: [str(obj.pk) for obj in objects]},
        follow=True,
    )


def test_validating_shows_validated_by_the_conservatoire_to_the_family(
    lea, secretary, secretary_client, client
):
    lucas = submit(student_named("Lucas"), decision="decline")
    response = post_action(
        secretary_client,
        "validate_selected",
        [lea, lucas],
        reverse("admin:reinscription_reenrolment_changelist"),
    )
    content = response.content.decode()
    assert "Réinscriptions validées : 1." in content
    assert "Laissées telles quelles (non réinscrits ou déjà validées) : 1." in content
    lea.refresh_from_db()
    assert lea.status == Reenrolment.Status.VALIDATED
    assert lea.validated_by == secretary
    assert lea.validated_at is not None
    lucas.refresh_from_db()
    assert lucas.status == Reenrolment.Status.DECLINED

    family_client = client.__class__()
    login(family_client, "martin-claire")
    page = family_client.get(reverse("reinscription:family_space")).content.decode()
    assert "réinscription validée par le conservatoire" in page.lower()
    # Validated: the family can no longer modify it.
    lea_row = page.split("Léa Martin</strong>")[1].split("</li>")[0]
    assert "réinscription validée par le conservatoire" in lea_row.lower()
    assert "Modifier" not in lea_row


def test_the_change_form_validates_and_keeps_the_internal_note_from_the_family(
    lea, secretary, secretary_client, client
):
    url = reverse("admin:reinscription_reenrolment_change", args=[lea.pk])
    page = secretary_client.get(url)
    assert page.status_code == 200
    choices = [value for value, _label in page.context["adminform"].form.fields["status"].choices]
    assert choices == ["reenrolled", "validated"]
    response = secretary_client.post(
        url,
        change_form_data(
            secretary_client,
            url,
            status="validated",
            internal_note="Rappeler la famille pour le violoncelle",
        ),
    )
    assert response.status_code == 302
    lea.refresh_from_db()
    assert lea.status == Reenrolment.Status.VALIDATED
    assert lea.validated_by == secretary
    assert lea.internal_note == "Rappeler la famille pour le violoncelle"

    login(client, "martin-claire")
    for page_url in (
        reverse("reinscription:family_space"),
        reverse("reinscription:reenrolment_detail", args=[lea.student_id]),
    ):
        assert "violoncelle" not in client.get(page_url).content.decode()


def test_a_declined_answer_cannot_be_validated_from_the_form(demo, secretary_client):
    lucas = submit(student_named("Lucas"), decision="decline")
    url = reverse("admin:reinscription_reenrolment_change", args=[lucas.pk])
    response = secretary_client.post(
        url, change_form_data(secretary_client, url, status="validated")
    )
    assert response.status_code == 200  # form error
    lucas.refresh_from_db()
    assert lucas.status == Reenrolment.Status.DECLINED


def test_validation_is_in_the_history_with_who_and_what(lea, secretary, secretary_client):
    post_action(
        secretary_client,
        "validate_selected",
        [lea],
        reverse("admin:reinscription_reenrolment_changelist"),
    )
    record = lea.history.order_by("-history_date").first()
    assert record.history_user == secretary
    assert record.status == Reenrolment.Status.VALIDATED
    delta = record.diff_against(record.prev_record)
    assert {change.field for change in delta.changes} >= {"status", "validated_by"}
    page = secretary_client.get(reverse("admin:reinscription_reenrolment_history", args=[lea.pk]))
    assert page.status_code == 200
    assert "Secrétaire" in page.content.decode()


def test_family_changes_in_admin_are_in_the_history(demo, secretary, secretary_client):
    family = Family.objects.get(name="Martin")
    url = reverse("admin:accounts_family_change", args=[family.pk])
    data = change_form_data(secretary_client, url, city="Limonest-Village")
    response = secretary_client.post(url, data)
    assert response.status_code == 302
    record = family.history.order_by("-history_date").first()
    assert record.city == "Limonest-Village"
    assert record.history_user == secretary


def test_document_review_and_final_amount_are_recorded(lea, secretary, secretary_client):
    family = lea.student.family
    document_type = DocumentType.objects.get(
        school_year=lea.campaign.school_year, code="justificatif-domicile"
    )
    document = Document.objects.create(
        type=document_type, family=family, status=Document.Status.RECEIVED
    )
    DocumentFile.objects.create(
        document=document,
        file=ContentFile(b"%PDF-1.4 test", name="justificatif.pdf"),
        original_name="justificatif.pdf",
        size=13,
        content_type="application/pdf",
    )
    post_action(
        secretary_client,
        "accept_selected",
        [document],
        reverse("admin:documents_document_changelist"),
    )
    record = document.history.order_by("-history_date").first()
    assert record.status == Document.Status.ACCEPTED
    assert record.history_user == secretary

    billing_row = FamilyBilling.objects.get(family=family, school_year=lea.campaign.school_year)
    billing.set_final_amount(billing_row, amount=Decimal("400.00"), reason="QF", by=secretary)
    record = billing_row.history.order_by("-history_date").first()
    assert record.final_amount == Decimal("400.00")
    assert record.final_set_by_id == secretary.pk


def test_every_audited_model_of_reinscription_uses_the_history_admin():
    from django.contrib import admin
    from simple_history.admin import SimpleHistoryAdmin

    for model, model_admin in admin.site._registry.items():
        if (
            model._meta.app_label in ("reinscription", "accounts")
            and hasattr(model, "history")
            and not model._meta.proxy
        ):
            assert isinstance(model_admin, SimpleHistoryAdmin), model


def test_the_reenrolment_page_links_to_the_familys_final_amount(lea, secretary_client):
    billing_row = FamilyBilling.objects.get(
        family=lea.student.family, school_year=lea.campaign.school_year
    )
    page = secretary_client.get(reverse("admin:reinscription_reenrolment_change", args=[lea.pk]))
    content = page.content.decode()
    assert reverse("admin:billing_familybilling_change", args=[billing_row.pk]) in content
    assert "Fixer le montant définitif" in content
    assert (
        secretary_client.get(
            reverse("admin:billing_familybilling_change", args=[billing_row.pk])
        ).status_code
        == 200
    )
