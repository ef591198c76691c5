"""Periodic upkeep: "Mot de passe perdu" requests (and their addresses) last 30 days."""

import datetime

import pytest
from django.utils import timezone

from accounts.models import PasswordResetRequest
from accounts.tasks import purge_password_reset_requests

pytestmark = pytest.mark.django_db


def test_requests_older_than_30_days_are_deleted(parent):
    old = PasswordResetRequest.objects.create(
        user=parent,
        client_ip="192.0.2.1",
        outcome="queued",
        created_at=timezone.now() - datetime.timedelta(days=31),
    )
    recent = PasswordResetRequest.objects.create(user=parent, outcome="queued")
    assert purge_password_reset_requests() == 1
    assert list(PasswordResetRequest.objects.all()) == [recent]
    assert not PasswordResetRequest.objects.filter(pk=old.pk).exists()
