"""Queueing emails through the outbox.

``queue_email()`` saves an :class:`OutboxEmail` row and, once the transaction
commits, asks Celery to send it. If the broker is unreachable the row stays
pending and ``drain_outbox`` (Celery beat) sends it later; a failed sending is
tried again for 72 hours (see ``conservatoire.tasks``): nothing is lost. The
rows that still failed are counted by :func:`failed_count` and sent again by
:func:`resend` (the admin's "Renvoyer").

Rendering (templates, send-time builders, the message) is in
``conservatoire.email_building``.
"""

from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from .email_building import render_email
from .models import OutboxEmail, outbox_retry_deadline
from .tasks import publish


def queue_email(
    kind: str,
    to: Iterable[str],
    template_prefix: str | None = None,
    context: dict | None = None,
    *,
    attachments: list[dict] | None = None,
    builder: str = "",
    builder_pk: int | None = None,
) -> OutboxEmail:
    """Save an outbox row and send it after the current transaction commits."""
    subject = text = html = ""
    if template_prefix:
        subject, text, html = render_email(template_prefix, context or {})
    email = OutboxEmail.objects.create(
        kind=kind,
        to=[address for address in to if address],
        subject=subject,
        body_text=text,
        body_html=html,
        attachments=attachments or [],
        builder=builder,
        builder_pk=builder_pk,
    )
    transaction.on_commit(lambda: enqueue_outbox_email(email.pk))
    return email


def enqueue_outbox_email(pk: int) -> None:
    """Hand an outbox row to Celery; a broker failure is logged, not raised."""
    publish(pk)


def failed_count() -> int:
    """How many emails failed for good (72 hours of attempts): the staff must act."""
    return OutboxEmail.objects.filter(status=OutboxEmail.Status.FAILED).count()


def retrying_count() -> int:
    """How many emails failed at least once and are still being tried again."""
    return (
        OutboxEmail.objects.filter(status=OutboxEmail.Status.PENDING).exclude(last_error="").count()
    )


def resend(rows: QuerySet[OutboxEmail]) -> int:
    """Put the rows not sent yet back to pending, for 72 more hours, and queue them now.

    Return how many were queued (the sent ones are left alone).
    """
    with transaction.atomic():
        pks = list(
            rows.select_for_update()
            .exclude(status=OutboxEmail.Status.SENT)
            .values_list("pk", flat=True)
        )
        OutboxEmail.objects.filter(pk__in=pks).update(
            status=OutboxEmail.Status.PENDING,
            attempts=0,
            next_attempt_at=timezone.now(),
            retry_until=outbox_retry_deadline(),
        )
        transaction.on_commit(lambda: [enqueue_outbox_email(pk) for pk in pks])
    return len(pks)
