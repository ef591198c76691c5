"""Sessions end after 30 minutes without activity; activity keeps them alive."""

import datetime

import pytest
from django.contrib.sessions.models import Session
from django.utils import timezone

from tests.accounts.helpers import is_logged_in, log_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


def expire_date(client) -> datetime.datetime:
    return Session.objects.get(session_key=client.session.session_key).expire_date


def test_activity_pushes_the_end_30_minutes_away(client, parent, monkeypatch):
    from conservatoire import middleware

    log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD)
    # 25 minutes later (the session is written at most once a minute):
    Session.objects.update(expire_date=timezone.now() + datetime.timedelta(minutes=5))
    later = middleware.current_minute() + 25
    monkeypatch.setattr(middleware, "current_minute", lambda: later)
    assert is_logged_in(client)
    remaining = expire_date(client) - timezone.now()
    assert datetime.timedelta(minutes=29) < remaining <= datetime.timedelta(minutes=30)


def test_after_30_idle_minutes_the_family_must_log_in_again(client, parent):
    log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD)
    Session.objects.update(expire_date=timezone.now() - datetime.timedelta(seconds=1))
    assert not is_logged_in(client)
