"""Celery tasks of the back office: recap ZIPs, reminders to families who have not finished.

Tasks take primary keys and are queued after commit. ``reinscription.apps``
imports this module at start-up so that Celery registers its tasks (its
autodiscovery only looks for ``<app>.tasks``).
"""

from __future__ import annotations

import datetime
import logging
import tempfile

from celery import group, shared_task
from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone, translation

from accounts.emails import family_recipients
from accounts.models import Family
from conservatoire.email_building import portal_url
from conservatoire.emails import queue_email
from reinscription.backoffice.dashboard import families_without_answer, pending_students_by_family
from reinscription.models import Campaign, ExportJob, ReminderSent
from reinscription.recap import store_recaps, write_recaps_zip, zip_filename

logger = logging.getLogger(__name__)

EXPORT_FOLDER = "exports"
EXPORT_RETENTION = datetime.timedelta(days=7)
# Recaps per rendering task: 1,000 recaps make 40 tasks, shared by the worker's processes.
RENDER_CHUNK = 25


# --- Recap PDFs -------------------------------------------------------------------------------


@shared_task(acks_late=True)
def build_recaps_zip(job_id: int) -> str:
    """Start an :class:`ExportJob`: the recaps not stored yet are rendered by a group of
    :func:`render_recaps` tasks of ``RENDER_CHUNK`` recaps (spread over the worker's
    processes; eager Celery runs them here, one after the other); the chunk that
    finishes last queues :func:`zip_recaps`."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return "skipped"
    ids = list(job.reenrolment_ids)
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.RUNNING, done=0, total=len(ids)
    )
    if not ids:
        return zip_recaps(job.pk)
    chunks = [ids[start : start + RENDER_CHUNK] for start in range(0, len(ids), RENDER_CHUNK)]
    group(render_recaps.si(job.pk, chunk) for chunk in chunks).apply_async()
    return "started"


@shared_task(acks_late=True)
def render_recaps(job_id: int, ids: list[int]) -> str:
    """Render and store the recaps of ``ids`` that are not stored yet, count them done;
    the chunk that brings the count to the total queues the ZIP (exactly one: the count
    is read in the transaction that increments it, under the row's lock)."""
    if not ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.RUNNING).exists():
        return "skipped"  # failed meanwhile, or deleted
    try:
        with translation.override(settings.LANGUAGE_CODE):
            store_recaps(ids)
    except Exception as exc:
        _export_failed(job_id, exc)
        return "failed"
    with transaction.atomic():
        ExportJob.objects.filter(pk=job_id).update(done=F("done") + len(ids))
        done, total = ExportJob.objects.filter(pk=job_id).values_list("done", "total").get()
    if done >= total:
        zip_recaps.delay(job_id)
    return "rendered"


@shared_task(acks_late=True)
def zip_recaps(job_id: int) -> str:
    """Copy the stored recaps of an :class:`ExportJob` into a ZIP on disk, then store it."""
    job = ExportJob.objects.filter(pk=job_id).first()
    if job is None or job.is_finished:
        return "skipped"
    try:
        with translation.override(settings.LANGUAGE_CODE):
            with tempfile.TemporaryFile(suffix=".zip") as archive:
                count = write_recaps_zip(job.reenrolment_ids, archive)
                archive.seek(0)
                name = default_storage.save(
                    f"{EXPORT_FOLDER}/{job.pk}-{zip_filename()}", File(archive)
                )
    except Exception as exc:
        _export_failed(job.pk, exc)
        return "failed"
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportJob.Status.DONE,
        done=count,
        total=count,
        file_name=name,
        finished_at=timezone.now(),
    )
    return "done"


def _export_failed(job_id: int, exc: Exception) -> None:
    logger.exception("Recap export %s failed", job_id)
    ExportJob.objects.filter(pk=job_id).update(
        status=ExportJob.Status.FAILED,
        error=f"{type(exc).__name__}: {exc}"[:2000],
        finished_at=timezone.now(),
    )


def start_recap_export(reenrolment_ids: list[int], user) -> ExportJob:
    """Record an export job and queue its task after commit."""
    job = ExportJob.objects.create(
        reenrolment_ids=list(reenrolment_ids), total=len(reenrolment_ids), created_by=user
    )
    transaction.on_commit(lambda: _queue_export(job.pk))
    return job


def _queue_export(job_id: int) -> None:
    try:
        build_recaps_zip.delay(job_id)
    except Exception:  # broker down: say so on the job page
        logger.exception("Recap export %s not handed to Celery", job_id)
        ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
            status=ExportJob.Status.FAILED, error="The task queue is unavailable."
        )


@shared_task
def purge_old_exports() -> int:
    """Delete the stored ZIPs older than a week (they hold families' personal data)."""
    limit = timezone.now() - EXPORT_RETENTION
    count = 0
    for job in ExportJob.objects.filter(created_at__lt=limit).exclude(file_name=""):
        default_storage.delete(job.file_name)
        ExportJob.objects.filter(pk=job.pk).update(file_name="")
        count += 1
    return count


# --- Reminders -------------------------------------------------------------------------------


def reminder_due_before(campaign: Campaign, now: datetime.datetime) -> datetime.datetime:
    """A family reminded before this instant may be reminded again.

    Counted in days (Europe/Paris): with an interval of 7 days, a family reminded
    on a Monday at 9:00:05 is reminded again the next Monday's run at 9:00.
    """
    today = timezone.localtime(now).date()
    last_day = today - datetime.timedelta(days=campaign.reminder_interval_days)
    midnight = datetime.datetime.combine(last_day + datetime.timedelta(days=1), datetime.time())
    return timezone.make_aware(midnight)


def families_due(campaign: Campaign, now: datetime.datetime | None = None):
    """Families of the open ``campaign`` that have not finished and were not reminded lately."""
    now = now or timezone.now()
    recent = ReminderSent.objects.filter(
        family=OuterRef("pk"),
        campaign=campaign,
        sent_at__gte=reminder_due_before(campaign, now),
    )
    return families_without_answer(campaign).exclude(Exists(recent)).order_by("pk")


def send_reminder(family: Family, campaign: Campaign, *, by=None, force: bool = False):
    """Email one reminder to ``family`` and record it; ``None`` when there is nothing to send.

    Locks the family row, so that two runs never remind it twice. Without
    ``force``, a family reminded within the campaign's interval is skipped. Only the
    campaign families see now (published, within its dates, as the database says
    now, whatever the caller loaded) is ever named in a reminder.
    """
    now = timezone.now()
    if not campaign.is_open(now):
        return None
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).first()
        if not Campaign.objects.open_at(now).filter(pk=campaign.pk).exists():
            return None  # closed or withdrawn since the caller loaded it
        if (
            not force
            and ReminderSent.objects.filter(
                family=family, campaign=campaign, sent_at__gte=reminder_due_before(campaign, now)
            ).exists()
        ):
            return None
        students = pending_students_by_family(campaign, [family.pk]).get(family.pk, [])
        recipients, greeting = family_recipients(family)
        if not students or not recipients:
            return None
        email = queue_email(
            "reinscription.reminder",
            recipients,
            "reinscription/emails/reminder",
            {
                "family": family,
                "campaign": campaign,
                "students": [
                    {"name": student.full_name, "status": status.value}
                    for student, status in students
                ],
                "closes_at": timezone.localtime(campaign.closes_at),
                "login_url": portal_url("accounts:login"),
                **greeting,
            },
        )
        return ReminderSent.objects.create(
            family=family,
            campaign=campaign,
            sent_at=now,
            recipients=recipients,
            students=[student.full_name for student, _status in students],
            email=email,
            sent_by=by,
        )


@shared_task
def send_due_reminders() -> int:
    """Periodic (Celery beat): remind every family that has not finished, while campaigns run.

    Each campaign's ``reminder_interval_days`` spaces the reminders of a
    family; 0 turns them off. Returns the number of reminders sent.
    """
    sent = 0
    now = timezone.now()
    for campaign in Campaign.objects.open_at(now).select_related("school_year"):
        if not campaign.reminder_interval_days:
            continue
        for family in families_due(campaign, now).iterator(chunk_size=200):
            try:
                if send_reminder(family, campaign):
                    sent += 1
            except Exception:
                logger.exception("Reminder to family %s failed", family.pk)
    return sent
