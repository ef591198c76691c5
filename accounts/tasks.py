"""Celery tasks of the accounts: hand bulk emails to the workers, forget old requests."""

import datetime

from celery import shared_task
from django.utils import timezone

from conservatoire.emails import enqueue_outbox_email

from .models import PasswordResetRequest

RESET_REQUEST_RETENTION = datetime.timedelta(days=30)


@shared_task
def enqueue_outbox_emails(pks: list[int]) -> int:
    """Queue the sending of each outbox row (the admin's "Envoyer les accès")."""
    for pk in pks:
        enqueue_outbox_email(pk)
    return len(pks)


@shared_task
def purge_password_reset_requests() -> int:
    """Delete the "Mot de passe perdu" requests (and their addresses) older than 30 days."""
    limit = timezone.now() - RESET_REQUEST_RETENTION
    deleted, _ = PasswordResetRequest.objects.filter(created_at__lt=limit).delete()
    return deleted
