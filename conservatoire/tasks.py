"""Celery tasks for the outbox: send one email, and the periodic drain.

An email is never given up silently. A failed sending is tried again: three
times within seconds by the task itself (a passing SMTP hiccup), then by the
drain, which Celery beat runs every minute, at ``next_attempt_at`` — one
minute after the failure, doubling up to one hour between attempts. Only when
a sending still fails after ``retry_until`` (72 hours after the email was
queued) is the row marked failed, logged as an error and shown to the staff
(the admin's filter and its "Renvoyer" action, ``conservatoire.emails.failed_count``).

This module builds messages with ``conservatoire.email_building``; the queueing
module ``conservatoire.emails`` imports this one, never the reverse.
"""

import datetime
import logging

from celery import shared_task
from celery.exceptions import Retry
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from .email_building import build_message
from .models import OutboxEmail

logger = logging.getLogger(__name__)

# The first failures are retried by the task itself, 2, 4 and 8 seconds later.
QUICK_RETRIES = 3
# Then the drain retries one minute after a failure, doubling up to one hour.
RETRY_BASE = datetime.timedelta(minutes=1)
RETRY_CAP = datetime.timedelta(hours=1)
# A row the drain handed to a worker is not handed again before this (its
# message is on its way); if the message was lost, the next drain after it will.
DRAIN_LEASE = datetime.timedelta(minutes=5)
DRAIN_BATCH = 500


def retry_delay(attempts: int) -> datetime.timedelta:
    """How long to wait after the ``attempts``-th failed attempt."""
    if attempts <= QUICK_RETRIES:
        return datetime.timedelta(seconds=2**attempts)
    doublings = min(attempts - QUICK_RETRIES - 1, 10)  # 2**10 minutes is past the cap
    return min(RETRY_BASE * 2**doublings, RETRY_CAP)


@shared_task(bind=True, max_retries=None, acks_late=True)
def send_outbox_email(self, pk: int) -> str:
    """Lock the outbox row, send it, mark it sent; on failure, plan the next attempt."""
    with transaction.atomic():
        email = OutboxEmail.objects.select_for_update().filter(pk=pk).first()
        if email is None or email.status != OutboxEmail.Status.PENDING:
            return "skipped"  # sent meanwhile (a duplicate delivery), or failed for good
        email.attempts += 1
        try:
            build_message(email).send(fail_silently=False)
        except Exception as exc:
            now = timezone.now()
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if now >= email.retry_until:
                email.status = OutboxEmail.Status.FAILED
                email.next_attempt_at = None
            else:
                delay = retry_delay(email.attempts)
                if email.attempts <= QUICK_RETRIES:
                    # The task retries itself; the drain only if that retry is lost.
                    delay += RETRY_BASE
                email.next_attempt_at = now + delay
        else:
            email.status = OutboxEmail.Status.SENT
            email.sent_at = timezone.now()
            email.last_error = ""
            email.next_attempt_at = None
        email.save(update_fields=["attempts", "last_error", "status", "sent_at", "next_attempt_at"])
    if email.status == OutboxEmail.Status.SENT:
        return "sent"
    if email.status == OutboxEmail.Status.FAILED:
        logger.error(
            "Outbox email %s failed for good after %d attempts: %s",
            pk,
            email.attempts,
            email.last_error,
        )
        return "failed"
    logger.warning(
        "Outbox email %s not sent (attempt %d), tried again by %s: %s",
        pk,
        email.attempts,
        email.next_attempt_at.isoformat(),
        email.last_error,
    )
    if email.attempts <= QUICK_RETRIES:
        raise self.retry(countdown=retry_delay(email.attempts).total_seconds())
    return "retry planned"


def publish(pk: int) -> bool:
    """Hand an outbox row to a worker; a broker failure is logged, not raised."""
    try:
        # No publish retries: a family's page must not wait on a sick broker.
        send_outbox_email.apply_async((pk,), retry=False)
    except Retry:  # eager (no broker): the attempt failed and planned the next one
        return True
    except Exception:  # broker down (or, eager, the task broke): the drain retries
        logger.warning("Outbox email %s not handed to Celery; left for the drain.", pk)
        return False
    return True


@shared_task
def drain_outbox(older_than_seconds: int = 60) -> int:
    """Hand the due pending rows to the workers; return how many.

    Due: never attempted and older than a minute (the broker missed them), or
    failed before and past their ``next_attempt_at``. Beat runs this every minute.
    """
    now = timezone.now()
    due = (
        OutboxEmail.objects.filter(
            status=OutboxEmail.Status.PENDING,
            created_at__lte=now - datetime.timedelta(seconds=older_than_seconds),
        )
        .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
        .order_by("created_at")
    )
    pks = list(due.values_list("pk", flat=True)[:DRAIN_BATCH])
    if pks:
        # Before publishing: the worker's outcome must not be overwritten by the lease.
        OutboxEmail.objects.filter(pk__in=pks, status=OutboxEmail.Status.PENDING).update(
            next_attempt_at=now + DRAIN_LEASE
        )
    for pk in pks:
        publish(pk)
    return len(pks)
