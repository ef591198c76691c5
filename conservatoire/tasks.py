"""Celery tasks for the outbox: send one email, drain the forgotten ones."""

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8


@shared_task(bind=True, max_retries=MAX_ATTEMPTS, acks_late=True)
def send_outbox_email(self, pk: int) -> str:
    """Lock the outbox row, send it, mark it sent; retry with backoff on failure."""
    from .emails import build_message

    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().filter(pk=pk).first()
        if email is None or email.status == OutboxEmail.Status.SENT:
            return "skipped"
        email.attempts += 1
        try:
            build_message(email).send(fail_silently=False)
        except Exception as exc:
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= MAX_ATTEMPTS:
                email.status = OutboxEmail.Status.FAILED
            email.save(update_fields=["attempts", "last_error", "status"])
            failed = True
        else:
            email.status = OutboxEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.save(update_fields=["attempts", "last_error", "status", "sent_at"])
            failed = False
    if failed:
        if email.status == OutboxEmail.Status.FAILED:
            logger.error("Outbox email %s failed for good: %s", pk, email.last_error)
            return "failed"
        raise self.retry(countdown=min(2**email.attempts, 300))
    return "sent"


@shared_task
def drain_outbox(older_than_seconds: int = 60) -> int:
    """Queue again the pending rows older than a minute (the broker missed them)."""
    from .emails import enqueue_outbox_email

    limit = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pks = list(
        OutboxEmail.objects.filter(
            status=OutboxEmail.Status.PENDING, created_at__lte=limit
        ).values_list("pk", flat=True)[:500]
    )
    for pk in pks:
        enqueue_outbox_email(pk)
    return len(pks)
