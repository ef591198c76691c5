"""The admin home is the campaign's: its counts link to their lists, families without an
answer are two clicks from a reminder, next year's campaign is prepared and published
from the admin, and the technical pages are out of the secretariat's way."""

import datetime
import re

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Family
from billing.models import TariffGrid
from documents.models import Document, DocumentType
from reinscription.backoffice.validation import validate_reenrolments
from reinscription.models import Campaign, Reenrolment, ReminderSent, WizardDraft
from tests.factories import StudentFactory
from tests.staff.conftest import login, student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db

HOME = "/gestion/"


@pytest.fixture
def answered(demo, secretary):
    """Léa re-enrolled, Lucas declined, Hugo's draft started; Paul outside the basis; one
    document waiting for review."""
    submit(student_named("Léa"))
    submit(student_named("Lucas"), decision="decline")
    WizardDraft.objects.create(student=student_named("Hugo"), campaign=demo, data={})
    StudentFactory(family=Family.objects.get(legacy_id="DEMO-martin"), first_name="Paul")
    Document.objects.create(
        type=DocumentType.objects.get(school_year=demo.school_year, code="justificatif-domicile"),
        family=student_named("Léa").family,
        status=Document.Status.RECEIVED,
    )
    mail.outbox.clear()
    return demo


def cards(response) -> dict:
    return {card["status"]: card for card in response.context["home_cards"]}


def test_the_home_shows_the_campaign_first_each_count_linking_to_its_list(
    answered, secretary_client
):
    response = secretary_client.get(HOME)
    assert response.status_code == 200
    content = response.content.decode()
    # The campaign first, then the pages of each app.
    assert content.index("Réinscription 2025-2026") < content.index('class="app-accounts')
    expected = {
        "todo": (6, "à faire"),
        "in_progress": (1, "en cours"),
        "reenrolled": (1, "réinscrit"),
        "declined": (1, "non réinscrit"),
        "validated": (0, "validé par le conservatoire"),
        "documents": (1, "documents à vérifier"),
        "outside": (1, "hors base"),
    }
    home = cards(response)
    assert {status: (card["count"], str(card["label"])) for status, card in home.items()} == (
        expected
    )
    for status, (count, _label) in expected.items():
        assert f'href="{home[status]["url"].replace("&", "&amp;")}"' in content
        listed = secretary_client.get(home[status]["url"])
        assert listed.status_code == 200, status
        assert listed.context["cl"].result_count == count, status


def test_technical_pages_are_folded_away(answered, secretary_client, client, staff_user):
    content = secretary_client.get(HOME).content.decode()
    everyday, technical = content.split("<details", 1)
    outbox = reverse("admin:conservatoire_outboxemail_changelist")
    assert outbox not in everyday and outbox in technical
    assert reverse("admin:reinscription_reenrolment_changelist") in everyday
    assert "Technique" in technical

    client.force_login(staff_user, backend="accounts.backends.IdentifierBackend")
    content = client.get(HOME).content.decode()
    everyday, technical = content.split("<details", 1)
    for url in (
        reverse("admin:auth_group_changelist"),
        reverse("admin:axes_accessattempt_changelist"),
    ):
        assert url not in everyday and url in technical


def test_families_without_an_answer_are_reminded_in_two_clicks(
    answered, secretary, secretary_client, django_capture_on_commit_callbacks
):
    remind_url = cards(secretary_client.get(HOME))["todo"]["remind_url"]
    # Click 1: the confirmation names the families.
    page = secretary_client.get(remind_url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "sera envoyée par e-mail à 6 familles" in content
    assert "Emma Martin" in content and "Chloé Bernard" in content
    assert not ReminderSent.objects.exists()
    # Click 2: sent.
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary_client.post(remind_url, follow=True)
    assert "Relances envoyées : 6." in response.content.decode()
    assert ReminderSent.objects.count() == 6
    assert set(ReminderSent.objects.values_list("sent_by", flat=True)) == {secretary.pk}
    assert len(mail.outbox) == 6


def test_the_filtered_list_has_the_reminder_button(answered, secretary_client):
    list_url = cards(secretary_client.get(HOME))["in_progress"]["url"]
    response = secretary_client.get(list_url)
    content = response.content.decode()
    assert "Relancer ces familles" in content
    confirm = (
        re.search(r'href="([^"]+)" class="remind-link"', content).group(1).replace("&amp;", "&")
    )
    page = secretary_client.get(confirm)
    assert "à 1 famille" in page.content.decode()  # the Martins, for Hugo
    # Not on the lists of students who answered.
    assert (
        "Relancer ces familles"
        not in secretary_client.get(
            cards(secretary_client.get(HOME))["outside"]["url"]
        ).content.decode()
    )


def test_no_reminder_for_a_closed_campaign(answered, secretary_client):
    remind_url = cards(secretary_client.get(HOME))["todo"]["remind_url"]
    Campaign.objects.update(closes_at=timezone.now() - datetime.timedelta(minutes=1))
    response = secretary_client.post(remind_url, follow=True)
    assert "La campagne n’est pas ouverte." in response.content.decode()
    assert not ReminderSent.objects.exists()


def test_the_next_campaign_is_prepared_then_published_from_the_admin(
    answered, secretary, secretary_client, client
):
    response = secretary_client.post(
        reverse("admin:reinscription_campaign_changelist"),
        {"action": "prepare_next", ACTION_CHECKBOX_NAME: [str(answered.pk)]},
    )
    form_page = secretary_client.get(response.url)
    assert form_page.context["form"].initial["label"] == "2026-2027"
    opens = timezone.localdate() + datetime.timedelta(days=7)
    response = secretary_client.post(
        response.url,
        {
            "label": "2026-2027",
            "opens": opens.isoformat(),
            "closes": (opens + datetime.timedelta(days=30)).isoformat(),
        },
        follow=True,
    )
    new = Campaign.objects.get(school_year__label="2026-2027")
    assert response.redirect_chain[-1][0] == reverse(
        "admin:reinscription_campaign_readiness", args=[new.pk]
    )
    content = response.content.decode()
    assert "Campagne 2026-2027 créée" in content
    assert "Grille tarifaire" in content and "Base de la campagne" in content
    # The home shows it is being prepared.
    assert (
        "Réinscription 2026-2027 est en préparation." in secretary_client.get(HOME).content.decode()
    )

    # Unready: refused, with what is missing, in French.
    TariffGrid.objects.filter(school_year=new.school_year).delete()
    publish = reverse("admin:reinscription_campaign_publish", args=[new.pk])
    content = secretary_client.post(publish, follow=True).content.decode()
    assert "La campagne 2026-2027 n’est pas prête à ouvrir aux familles : Grille tarifaire" in (
        content
    )
    new.refresh_from_db()
    assert not new.published

    # Ready (the grid copied again, Léa's validation enrols her for 2025-2026: the basis):
    # published, the previous campaign withdrawn.
    validate_reenrolments(Reenrolment.objects.all(), secretary)
    secretary_client.post(
        reverse("admin:reinscription_campaign_prepare"),
        {"label": "2026-2027", "opens": opens.isoformat(), "closes": opens.isoformat()},
    )
    content = secretary_client.post(publish, follow=True).content.decode()
    assert "Réinscription 2026-2027 est publiée" in content
    new.refresh_from_db()
    answered.refresh_from_db()
    assert new.published and new.published_by == secretary
    assert not answered.published
    assert secretary_client.get(publish).status_code == 405


def test_staff_without_the_secretariat_cannot_prepare_or_publish(demo, staff_without_group, client):
    login(client, staff_without_group.username)
    assert client.get(reverse("admin:reinscription_campaign_prepare")).status_code == 403
    response = client.post(reverse("admin:reinscription_campaign_publish", args=[demo.pk]))
    assert response.status_code == 403
    assert "home_cards" not in client.get(HOME).context
