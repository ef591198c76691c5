"""Periodic clean-up of the family side's personal data (Celery beat, daily).

What is kept and for how long is in README.md, "Personal data":

* wizard drafts (the answers of an unfinished re-enrolment, bank details included)
  are deleted :data:`DRAFT_RETENTION` after their campaign closed, so that a
  campaign reopened for late families finds them;
* the stored recap PDFs (the confirmation email's attachment, rendered again from
  the snapshot when needed) go with the uploaded documents of their school year,
  ``DOCUMENTS_RETENTION_MONTHS`` after its end.

Recap ZIPs of the back office are purged by ``reinscription.backoffice.tasks``.
"""

import datetime
import logging

from celery import shared_task
from django.core.files.storage import default_storage
from django.utils import timezone

from conservatoire.models import SchoolYear
from documents.services import retention_months, subtract_months

from .models import WizardDraft
from .recap import PRIVATE_FOLDER

logger = logging.getLogger(__name__)

DRAFT_RETENTION = datetime.timedelta(days=30)


@shared_task
def purge_closed_campaign_drafts(now: datetime.datetime | None = None) -> int:
    """Delete the drafts of campaigns closed more than :data:`DRAFT_RETENTION` ago."""
    limit = (now or timezone.now()) - DRAFT_RETENTION
    count, _ = WizardDraft.objects.filter(campaign__closes_at__lte=limit).delete()
    return count


def expired_recap_folders(today: datetime.date | None = None) -> list[str]:
    """The storage folders of the recap PDFs whose school year is past retention."""
    cutoff = subtract_months(today or timezone.localdate(), retention_months())
    labels = SchoolYear.objects.filter(ends_on__lte=cutoff).values_list("label", flat=True)
    return [f"{PRIVATE_FOLDER}/{label}" for label in labels]


@shared_task
def purge_expired_recaps(today: datetime.date | None = None) -> int:
    """Delete the stored recap PDFs of the school years past retention; how many went."""
    count = 0
    for folder in expired_recap_folders(today):
        try:
            _folders, files = default_storage.listdir(folder)
        except FileNotFoundError:
            continue
        for name in files:
            try:
                default_storage.delete(f"{folder}/{name}")
            except Exception:
                logger.exception("Could not delete the stored recap %s/%s", folder, name)
                continue
            count += 1
    return count
