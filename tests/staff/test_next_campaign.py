"""Year after year: prepare next year's campaign, check it is ready, publish it (one open
campaign at a time), and remind families of the campaign they actually see."""

import datetime
import importlib
import io

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from billing.models import Price, QFBracket, SiblingReduction, TariffGrid
from conservatoire.models import SchoolYear
from documents.backoffice.years import YearWording, reword
from documents.models import DocumentType
from reinscription import services
from reinscription.backoffice.campaigns import (
    CampaignNotReady,
    check_readiness,
    prepare_next_campaign,
    publish_campaign,
)
from reinscription.backoffice.tasks import send_due_reminders, send_reminder
from reinscription.backoffice.validation import validate_reenrolments
from reinscription.models import Campaign, CourseSlot, Enrolment, Reenrolment, ReminderSent
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


def prepare(*args: str) -> str:
    out = io.StringIO()
    call_command("prepare_campaign", *args, stdout=out)
    return out.getvalue()


def dates(days_from_now: int = 0, length: int = 30) -> list[str]:
    opens = timezone.localdate() + datetime.timedelta(days=days_from_now)
    return [
        "--opens",
        opens.isoformat(),
        "--closes",
        (opens + datetime.timedelta(length)).isoformat(),
    ]


@pytest.fixture
def validated(demo, secretary):
    """Léa and Nathan re-enrolled and validated (enrolled for 2025-2026); Lucas declined."""
    lea, nathan = submit(student_named("Léa")), submit(student_named("Nathan"))
    submit(student_named("Lucas"), decision="decline")
    validate_reenrolments(Reenrolment.objects.filter(pk__in=[lea.pk, nathan.pk]), secretary)
    return demo


# --- Preparing -----------------------------------------------------------------------------------


def test_the_command_prepares_the_next_campaign_and_reports_its_readiness(validated):
    output = prepare("2026-2027", *dates(days_from_now=10))
    campaign = Campaign.objects.get(school_year__label="2026-2027")
    assert campaign.previous_year == validated.school_year
    assert campaign.rules_version == "2026-2027 v1"
    assert campaign.rules_text == validated.rules_text
    assert not campaign.published
    assert "Campagne 2026-2027 créée" in output
    for label in (
        "Dates",
        "Grille tarifaire",
        "Créneaux",
        "Pièces demandées",
        "Règlement intérieur",
        "Base de la campagne",
    ):
        assert f"[ok] {label}" in output, output
    assert "2 élèves inscrits en 2025-2026" in output
    assert "Pas encore publiée" in output
    assert services.open_campaign() == validated


def test_slots_documents_and_grid_are_copied_with_the_new_years_wording(validated):
    prepare("2026-2027", *dates(days_from_now=10))
    old, new = validated.school_year, SchoolYear.objects.get(label="2026-2027")
    assert new.starts_on == datetime.date(2026, 9, 1)
    copied = set(
        CourseSlot.objects.filter(school_year=new).values_list(
            "course__code", "weekday", "starts_at", "ends_at"
        )
    )
    assert copied == set(
        CourseSlot.objects.filter(school_year=old).values_list(
            "course__code", "weekday", "starts_at", "ends_at"
        )
    )
    types = {t.code: t for t in DocumentType.objects.filter(school_year=new)}
    assert types.keys() == set(
        DocumentType.objects.filter(school_year=old).values_list("code", flat=True)
    )
    assert types["attestation-qf"].name == "Attestation de quotient familial 2026 (CAF)"
    assert "l’attestation CAF 2026" in types["attestation-qf"].help_text
    assert "depuis septembre 2025" in types["rib"].help_text
    assert "2024" not in types["mandat-sepa"].help_text
    grid, old_grid = (
        TariffGrid.objects.get(school_year=new),
        TariffGrid.objects.get(school_year=old),
    )
    assert grid.pass_culture_amount == old_grid.pass_culture_amount
    assert set(grid.prices.values_list("formula__code", "bracket__label", "amount")) == set(
        old_grid.prices.values_list("formula__code", "bracket__label", "amount")
    )
    assert grid.brackets.count() == old_grid.brackets.count() == 5
    assert grid.reductions.count() == old_grid.reductions.count() == 2


def test_preparing_twice_duplicates_nothing_and_keeps_staff_changes(validated):
    prepare("2026-2027", *dates(days_from_now=10))
    year = SchoolYear.objects.get(label="2026-2027")
    Price.objects.filter(grid__school_year=year).update(amount=999)
    DocumentType.objects.filter(school_year=year, code="rib").update(name="RIB 2026")
    counts = (
        Campaign.objects.count(),
        SchoolYear.objects.count(),
        CourseSlot.objects.count(),
        DocumentType.objects.count(),
        TariffGrid.objects.count(),
        QFBracket.objects.count(),
        Price.objects.count(),
        SiblingReduction.objects.count(),
        Enrolment.objects.count(),
    )
    output = prepare("2026-2027", *dates(days_from_now=20))
    assert "existe déjà" in output
    assert "0 nouveaux" in output
    assert counts == (
        Campaign.objects.count(),
        SchoolYear.objects.count(),
        CourseSlot.objects.count(),
        DocumentType.objects.count(),
        TariffGrid.objects.count(),
        QFBracket.objects.count(),
        Price.objects.count(),
        SiblingReduction.objects.count(),
        Enrolment.objects.count(),
    )
    assert set(Price.objects.filter(grid__school_year=year).values_list("amount", flat=True)) == {
        999
    }
    assert DocumentType.objects.get(school_year=year, code="rib").name == "RIB 2026"


def test_validations_made_before_enrolments_existed_are_enrolled_by_the_preparation(
    demo, secretary
):
    lea = submit(student_named("Léa"))
    validate_reenrolments(Reenrolment.objects.filter(pk=lea.pk), secretary)
    Enrolment.objects.filter(school_year=demo.school_year).delete()  # validated before
    today = timezone.localdate()
    preparation = prepare_next_campaign("2026-2027", today, today + datetime.timedelta(30))
    assert Enrolment.objects.filter(student=lea.student, school_year=demo.school_year).exists()
    assert "Inscriptions créées à partir des réinscriptions validées de 2025-2026 : 1." in (
        preparation.steps
    )
    assert preparation.readiness.basis == 1
    # Until then, the readiness report says what is missing.
    Enrolment.objects.filter(school_year=demo.school_year).delete()
    basis = next(c for c in check_readiness(preparation.campaign).checks if c.key == "basis")
    assert not basis.ok
    assert basis.detail == (
        "0 élève inscrit en 2025-2026 — 1 réinscription validée sans son inscription"
    )


def test_a_wrong_or_past_school_year_is_refused(validated):
    with pytest.raises(CommandError, match="2026-2027"):
        prepare("2026-2028", *dates())
    with pytest.raises(CommandError, match="2025-2026"):
        prepare("2024-2025", *dates())


def test_wording_follows_the_years_own_data():
    source = YearWording("2025-2026", "2024-2025", 2025, datetime.date(2024, 9, 1))
    target = YearWording("2026-2027", "2025-2026", 2025, datetime.date(2025, 1, 1))
    text = "QF 2025, depuis Septembre 2024, année 2025-2026 (après 2024-2025), réf. 120250"
    assert reword(text, source, target) == (
        "QF 2025, depuis Janvier 2025, année 2026-2027 (après 2025-2026), réf. 120250"
    )


# --- Publishing ----------------------------------------------------------------------------------


def test_an_unready_campaign_is_refused_with_what_it_lacks(validated, secretary):
    prepare("2026-2027", *dates(), "--no-publish")
    campaign = Campaign.objects.get(school_year__label="2026-2027")
    TariffGrid.objects.filter(school_year=campaign.school_year).delete()
    Campaign.objects.filter(pk=campaign.pk).update(rules_text="")
    with pytest.raises(CampaignNotReady) as refused:
        publish_campaign(campaign, by=secretary)
    assert str(refused.value) == (
        "La campagne 2026-2027 n’est pas prête à ouvrir aux familles : Grille tarifaire, "
        "Règlement intérieur."
    )
    campaign.refresh_from_db()
    assert not campaign.published
    assert Campaign.objects.get(published=True) == validated
    # Run again, the command copies the grid again but does not open it without rules.
    output = prepare("2026-2027", *dates())
    assert "[ok] Grille tarifaire" in output
    assert "[!!] Règlement intérieur : pas de texte ou pas de version" in output
    assert "Non ouverte aux familles" in output
    assert services.open_campaign() == validated


def test_the_command_opens_a_ready_campaign_on_its_day_and_closes_the_previous(validated):
    output = prepare("2026-2027", *dates())
    assert "La campagne 2026-2027 est ouverte aux familles" in output
    campaign = Campaign.objects.get(school_year__label="2026-2027")
    validated.refresh_from_db()
    assert campaign.published and campaign.published_at is not None
    assert not validated.published
    assert not validated.is_open()  # its dates still run: closed for families all the same
    assert services.open_campaign() == campaign
    assert list(Campaign.objects.open_at()) == [campaign]


def test_two_campaigns_are_never_published_at_once(validated):
    prepare("2026-2027", *dates(), "--no-publish")
    with pytest.raises(IntegrityError), transaction.atomic():
        Campaign.objects.filter(school_year__label="2026-2027").update(published=True)
    assert Campaign.objects.filter(published=True).count() == 1


def test_an_unpublished_campaign_is_closed_for_families_whatever_its_dates(validated):
    Campaign.objects.update(published=False)
    validated.refresh_from_db()
    assert not validated.is_open()
    assert services.open_campaign() is None


# --- Reminders name the campaign families see ---------------------------------------------------


def test_reminders_go_for_the_published_campaign_only(
    validated, django_capture_on_commit_callbacks
):
    prepare("2026-2027", *dates())
    new = Campaign.objects.get(school_year__label="2026-2027")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = send_due_reminders()
    # The basis of 2026-2027: Léa and Nathan, enrolled by their validation.
    assert sent == 2
    assert {m.subject for m in mail.outbox} == {
        "Réinscriptions 2026-2027 : nous attendons votre réponse"
    }
    assert set(ReminderSent.objects.values_list("campaign", flat=True)) == {new.pk}
    # The old campaign, closed for families, reminds nobody.
    martin = student_named("Léa").family
    assert send_reminder(martin, validated, force=True) is None


def test_staff_still_read_older_campaigns(validated, secretary_client):
    prepare("2026-2027", *dates())
    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[validated.pk])
    )
    assert response.status_code == 200
    assert response.context["cards"][3]["count"] == 1  # Lucas, not re-enrolled


def test_the_migration_keeps_the_served_campaign_published(validated):
    """A 2025-2026 database keeps serving its families after the upgrade."""
    from django.apps import apps

    migration = importlib.import_module("reinscription.migrations.0004_campaign_publication")
    prepare("2026-2027", *dates(days_from_now=60), "--no-publish")
    Campaign.objects.update(published=False, published_at=None)
    migration.publish_the_served_campaign(apps, None)
    assert list(Campaign.objects.filter(published=True)) == [validated]
    assert Campaign.objects.get(school_year__label="2026-2027").published_at is None
