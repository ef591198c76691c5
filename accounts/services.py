"""Account rules: "Mot de passe perdu" requests and their limits, sending accesses.

Views and admin actions call these functions. No email is sent here: each one
is an outbox row that Celery sends after the transaction commits.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from conservatoire.emails import queue_email
from conservatoire.models import OutboxEmail

from .emails import ACCESS_BUILDER, TEMPORARY_PASSWORD_BUILDER
from .models import PasswordResetRequest, User
from .tasks import enqueue_outbox_emails

logger = logging.getLogger(__name__)

RESET_WINDOW = datetime.timedelta(hours=1)
RESET_LIMIT_PER_ACCOUNT = 3
RESET_LIMIT_PER_ADDRESS = 10

Outcome = PasswordResetRequest.Outcome


def request_temporary_password(
    identifier: str, email: str, client_ip: str | None
) -> PasswordResetRequest | None:
    """Record a "Mot de passe perdu" request; queue the email if it matches an active access.

    Return ``None`` when the client address already made too many requests in
    the last hour: nothing is recorded nor sent. Otherwise return the recorded
    request; the family's page must not depend on its outcome.
    """
    since = timezone.now() - RESET_WINDOW
    with transaction.atomic():
        recent = PasswordResetRequest.objects.filter(client_ip=client_ip, created_at__gte=since)
        if recent.count() >= RESET_LIMIT_PER_ADDRESS:
            return None
        user = (
            User.objects.responsibles()
            .select_for_update()
            .filter(username__iexact=identifier.strip())
            .first()
        )
        reset = PasswordResetRequest.objects.create(
            user=user, client_ip=client_ip, outcome=reset_outcome(user, email, since)
        )
        if reset.outcome == Outcome.QUEUED:
            queue_email(
                "accounts.temporary_password",
                [user.email],
                builder=TEMPORARY_PASSWORD_BUILDER,
                builder_pk=reset.pk,
            )
    return reset


def reset_outcome(user: User | None, typed_email: str, since: datetime.datetime) -> str:
    """Whether a request for ``user`` with ``typed_email`` gets an email."""
    if user is None or not user.is_active or not same_email(user.email, typed_email):
        return Outcome.NO_MATCH
    sent = user.password_reset_requests.filter(outcome=Outcome.QUEUED, created_at__gte=since)
    if sent.count() >= RESET_LIMIT_PER_ACCOUNT:
        return Outcome.THROTTLED
    return Outcome.QUEUED


def same_email(stored: str, typed: str) -> bool:
    stored, typed = stored.strip().casefold(), typed.strip().casefold()
    return bool(stored) and constant_time_compare(stored, typed)


def queue_access_emails(users: QuerySet[User]) -> tuple[int, int]:
    """Queue one access email per active responsible with an email address.

    The rows are created in bulk and rendered at send time, and a single task
    hands them to the workers, so that hundreds of families do not hold the
    admin page. Return the number queued and the number skipped.
    """
    users = users.select_related(None).filter(family__isnull=False)
    selected = list(users.values_list("pk", "email", "is_active"))
    eligible = [(pk, email) for pk, email, is_active in selected if is_active and email]
    with transaction.atomic():
        rows = OutboxEmail.objects.bulk_create(
            OutboxEmail(kind="accounts.access", to=[email], builder=ACCESS_BUILDER, builder_pk=pk)
            for pk, email in eligible
        )
        User.objects.filter(pk__in=[pk for pk, _email in eligible]).update(
            access_sent_at=timezone.now()
        )
        pks = [row.pk for row in rows]
        transaction.on_commit(lambda: dispatch_outbox_emails(pks))
    return len(eligible), len(selected) - len(eligible)


def dispatch_outbox_emails(pks: list[int]) -> None:
    """Ask a worker to queue the rows; if the broker is down, the drain will."""
    if not pks:
        return
    try:
        enqueue_outbox_emails.delay(pks)
    except Exception:
        logger.warning("%d access emails not handed to Celery; left for the drain.", len(pks))
