"""Staff review in the admin: waiting list, open each file, accept, refuse with a reason."""

import pytest
from django.core import mail
from django.urls import reverse

from documents.models import Document

from .factories import DocumentFactory, DocumentFileFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:documents_document_changelist"


@pytest.fixture
def received(family, family_type, responsible):
    document = DocumentFactory(type=family_type, family=family, status="received")
    DocumentFileFactory(document=document, original_name="qf.pdf")
    return document


@pytest.fixture
def accepted(family, student_type, student):
    document = DocumentFactory(type=student_type, family=family, student=student, status="accepted")
    DocumentFileFactory(document=document, original_name="certificat.pdf")
    return document


def test_changelist_shows_documents_waiting_by_default(staff_client, received, accepted):
    response = staff_client.get(reverse(CHANGELIST))
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == [received]
    html = response.content.decode()
    assert reverse("documents:download", args=[received.files.get().pk]) in html
    everything = staff_client.get(reverse(CHANGELIST), {"status": "all"})
    assert set(everything.context["cl"].result_list) == {received, accepted}


def test_changelist_search_and_filters(staff_client, received, accepted, family):
    response = staff_client.get(reverse(CHANGELIST), {"status": "all", "q": family.name})
    assert set(response.context["cl"].result_list) == {received, accepted}
    response = staff_client.get(reverse(CHANGELIST), {"status": "accepted"})
    assert list(response.context["cl"].result_list) == [accepted]


def test_change_page_lists_files_with_download_links(staff_client, received):
    response = staff_client.get(reverse("admin:documents_document_change", args=[received.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("documents:download", args=[received.files.get().pk]) in html
    assert reverse("admin:documents_document_refuse", args=[received.pk]) in html


def test_accept_action(staff_client, staff_user, received, accepted):
    response = staff_client.post(
        reverse(CHANGELIST),
        {"action": "accept_selected", "_selected_action": [received.pk, accepted.pk]},
        follow=True,
    )
    assert response.status_code == 200
    received.refresh_from_db()
    assert received.status == "accepted"
    assert received.reviewed_by == staff_user
    assert received.reviewed_at is not None
    assert not mail.outbox


def test_refuse_action_asks_for_a_reason_then_emails_the_family(
    staff_client, received, responsible, django_capture_on_commit_callbacks, settings
):
    settings.PORTAL_URL = "https://reinscriptions.limonest.fr"
    first = staff_client.post(
        reverse(CHANGELIST), {"action": "refuse_selected", "_selected_action": [received.pk]}
    )
    assert first.status_code == 200
    assert "Motif du refus" in first.content.decode()
    received.refresh_from_db()
    assert received.status == "received"

    missing_reason = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "refuse_selected",
            "_selected_action": [received.pk],
            "apply": "1",
            "reason": " ",
        },
    )
    assert missing_reason.status_code == 200
    received.refresh_from_db()
    assert received.status == "received"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse(CHANGELIST),
            {
                "action": "refuse_selected",
                "_selected_action": [received.pk],
                "apply": "1",
                "reason": "L'attestation date de 2023.",
            },
        )
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == "refused"
    assert received.refusal_reason == "L'attestation date de 2023."
    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    assert email.to == [responsible.email]
    assert email.subject == "Document à renvoyer : Attestation QF 2025"
    assert "L'attestation date de 2023." in email.body
    assert email.body.startswith(f"Bonjour {responsible.get_full_name()},")
    assert "https://reinscriptions.limonest.fr/documents/" in email.body
    html = email.alternatives[0][0]
    assert "L&#x27;attestation date de 2023." in html
    assert 'href="https://reinscriptions.limonest.fr/documents/"' in html


def test_refuse_from_the_document_page(
    staff_client, accepted, responsible, django_capture_on_commit_callbacks
):
    url = reverse("admin:documents_document_refuse", args=[accepted.pk])
    assert staff_client.get(url).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(url, {"reason": "Certificat de plus de 3 mois."})
    assert response.status_code == 302
    accepted.refresh_from_db()
    assert accepted.status == "refused"
    assert len(mail.outbox) == 1
    assert "pour Léa" in mail.outbox[0].body
    assert "Certificat de plus de 3 mois." in mail.outbox[0].body


def test_accept_from_the_document_page(staff_client, received):
    url = reverse("admin:documents_document_accept", args=[received.pk])
    assert staff_client.get(url).status_code == 302
    received.refresh_from_db()
    assert received.status == "received"
    staff_client.post(url)
    received.refresh_from_db()
    assert received.status == "accepted"


def test_family_cannot_reach_the_admin(family_client, received):
    response = family_client.get(reverse(CHANGELIST))
    assert response.status_code == 302
    response = family_client.post(reverse("admin:documents_document_accept", args=[received.pk]))
    assert response.status_code == 302
    received.refresh_from_db()
    assert received.status == "received"


def test_history_records_the_review(staff_client, received):
    staff_client.post(reverse("admin:documents_document_accept", args=[received.pk]))
    statuses = [h.status for h in Document.history.filter(id=received.pk).order_by("history_date")]
    assert statuses[-1] == "accepted"
    assert "received" in statuses


def test_document_types_admin_copies_to_next_year(staff_client, family_type):
    from tests.factories import SchoolYearFactory

    SchoolYearFactory(label="2026-2027", starts_on="2026-09-01", ends_on="2027-08-31")
    staff_client.post(
        reverse("admin:documents_documenttype_changelist"),
        {"action": "copy_to_next_year", "_selected_action": [family_type.pk]},
    )
    from documents.models import DocumentType

    assert DocumentType.objects.filter(
        code=family_type.code, school_year__label="2026-2027"
    ).exists()
