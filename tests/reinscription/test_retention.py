"""Retention: drafts of closed campaigns, stored recap PDFs and recap ZIPs are deleted
on schedule (README, "Personal data"); each purge is a task of Celery beat."""

import datetime

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from conservatoire.celery import app
from reinscription.backoffice.tasks import purge_old_exports
from reinscription.models import ExportJob, WizardDraft
from reinscription.tasks import purge_closed_campaign_drafts, purge_expired_recaps
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.make_aware(datetime.datetime(2026, 7, 15, 4, 0))


def campaign_closed_on(closes_at: datetime.datetime, year: int):
    school_year = factories.SchoolYearFactory(
        label=f"{year}-{year + 1}",
        starts_on=datetime.date(year, 9, 1),
        ends_on=datetime.date(year + 1, 8, 31),
    )
    previous = factories.SchoolYearFactory(
        label=f"{year - 1}-{year}",
        starts_on=datetime.date(year - 1, 9, 1),
        ends_on=datetime.date(year, 8, 31),
    )
    return factories.CampaignFactory(
        school_year=school_year,
        previous_year=previous,
        opens_at=closes_at - datetime.timedelta(days=40),
        closes_at=closes_at,
        published=False,  # one campaign at most is published
        published_at=None,
    )


def draft_in(campaign):
    return WizardDraft.objects.create(
        student=factories.StudentFactory(),
        campaign=campaign,
        data={"step_data": {"choix": {"choix-decision": ["reenrol"]}}},
        sealed_steps={"reglement": {"reglement-iban": ["FR7630006000011234567890189"]}},
    )


# --- Drafts ------------------------------------------------------------------------------------


def test_drafts_are_deleted_30_days_after_their_campaign_closed():
    long_closed = draft_in(campaign_closed_on(NOW - datetime.timedelta(days=31), 2023))
    just_closed = draft_in(campaign_closed_on(NOW - datetime.timedelta(days=29), 2024))
    still_open = draft_in(campaign_closed_on(NOW + datetime.timedelta(days=10), 2025))
    assert purge_closed_campaign_drafts(now=NOW) == 1
    remaining = set(WizardDraft.objects.values_list("pk", flat=True))
    assert remaining == {just_closed.pk, still_open.pk}
    assert long_closed.pk not in remaining
    assert purge_closed_campaign_drafts(now=NOW + datetime.timedelta(days=2)) == 1
    assert set(WizardDraft.objects.values_list("pk", flat=True)) == {still_open.pk}


# --- Stored recap PDFs --------------------------------------------------------------------------


def store(name: str) -> str:
    return default_storage.save(name, ContentFile(b"%PDF-1.4 recap"))


def test_recap_pdfs_go_12_months_after_the_end_of_their_school_year(settings):
    settings.DOCUMENTS_RETENTION_MONTHS = 12
    factories.PreviousSchoolYearFactory()  # 2024-2025, ends 31 August 2025
    factories.SchoolYearFactory()  # 2025-2026, ends 31 August 2026
    old = [store("recaps/2024-2025/recap-1-v1.pdf"), store("recaps/2024-2025/recap-2-v2.pdf")]
    current = store("recaps/2025-2026/recap-3-v1.pdf")
    other = store("exports/7-recapitulatifs.zip")

    assert purge_expired_recaps(today=datetime.date(2026, 8, 30)) == 0
    assert purge_expired_recaps(today=datetime.date(2026, 8, 31)) == 2
    assert not any(default_storage.exists(name) for name in old)
    assert default_storage.exists(current) and default_storage.exists(other)
    assert purge_expired_recaps(today=datetime.date(2026, 9, 1)) == 0  # nothing left


def test_a_year_without_stored_recaps_is_no_error():
    factories.PreviousSchoolYearFactory()
    assert purge_expired_recaps(today=datetime.date(2030, 1, 1)) == 0


# --- Recap ZIPs ---------------------------------------------------------------------------------


def test_recap_zips_are_deleted_after_7_days():
    old_name = default_storage.save("exports/1-old.zip", ContentFile(b"PK old"))
    new_name = default_storage.save("exports/2-new.zip", ContentFile(b"PK new"))
    old = ExportJob.objects.create(
        file_name=old_name, created_at=timezone.now() - datetime.timedelta(days=8)
    )
    new = ExportJob.objects.create(
        file_name=new_name, created_at=timezone.now() - datetime.timedelta(days=6)
    )
    assert purge_old_exports() == 1
    assert not default_storage.exists(old_name) and default_storage.exists(new_name)
    old.refresh_from_db()
    new.refresh_from_db()
    assert (old.file_name, new.file_name) == ("", new_name)


# --- The schedule -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "task",
    [
        "reinscription.tasks.purge_closed_campaign_drafts",
        "reinscription.tasks.purge_expired_recaps",
        "reinscription.backoffice.tasks.purge_old_exports",
        "documents.tasks.purge_expired_documents",
    ],
)
def test_each_purge_is_scheduled_daily_by_beat(task):
    scheduled = [entry["task"] for entry in django_settings.CELERY_BEAT_SCHEDULE.values()]
    assert task in scheduled
    app.loader.import_default_modules()
    assert task in app.tasks
