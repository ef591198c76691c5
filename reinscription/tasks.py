"""Celery tasks of the family side: the recap PDF of a re-enrolment.

The back office's tasks (recap ZIPs, reminders) are in ``reinscription.backoffice.tasks``.
"""

from __future__ import annotations

from celery import shared_task

from .models import ReenrolmentSnapshot
from .recap import store_recap_pdf


@shared_task
def store_recap(snapshot_id: int) -> str:
    """Render and store the recap of a snapshot (e.g. ahead of an email)."""
    snapshot = ReenrolmentSnapshot.objects.filter(pk=snapshot_id).first()
    return store_recap_pdf(snapshot) if snapshot else ""
