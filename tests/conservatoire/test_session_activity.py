"""A signed-in session slides with activity, written at most once a minute."""

import pytest
from django.contrib.sessions.models import Session

from conservatoire import middleware

pytestmark = pytest.mark.django_db


@pytest.fixture
def clock(monkeypatch):
    now = [30_000_000]  # minutes
    monkeypatch.setattr(middleware, "current_minute", lambda: now[0])
    return now


@pytest.fixture
def signed_in(client, responsible):
    client.force_login(responsible, backend="accounts.backends.IdentifierBackend")
    return client


def stored_session(client) -> Session:
    return Session.objects.get(session_key=client.session.session_key)


def test_pages_within_the_same_minute_write_the_session_once(signed_in, clock):
    signed_in.get("/espace/")
    first = stored_session(signed_in).expire_date
    # 20 seconds later: the same minute
    signed_in.get("/espace/")
    assert stored_session(signed_in).expire_date == first


def test_the_expiry_moves_with_activity_after_a_minute(signed_in, clock):
    signed_in.get("/espace/")
    first = stored_session(signed_in).expire_date
    clock[0] += 1
    signed_in.get("/espace/")
    assert stored_session(signed_in).expire_date > first


def test_an_anonymous_visit_creates_no_session(client, clock):
    client.get("/")
    client.get("/accessibilite/")
    assert not Session.objects.exists()


def test_after_logout_the_session_is_not_written_back(signed_in, clock):
    key = signed_in.session.session_key
    signed_in.post("/compte/deconnexion/")
    assert not Session.objects.filter(session_key=key).exists()


def test_a_session_the_database_cannot_load_is_left_alone():
    from django.db import OperationalError
    from django.http import HttpResponse
    from django.test import RequestFactory

    class UnloadableSession(dict):
        accessed = True

        def __contains__(self, key):
            raise OperationalError("the database is gone")

    request = RequestFactory().get("/")
    request.session = UnloadableSession()
    response = HttpResponse("ok")
    assert middleware.SessionActivityMiddleware(lambda r: response)(request) is response
