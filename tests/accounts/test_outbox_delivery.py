"""The password email survives an SMTP failure and a broker outage, and leaves once."""

import datetime

import pytest
from celery.exceptions import Retry
from django.core import mail
from django.utils import timezone
from kombu.exceptions import OperationalError

from conservatoire.models import OutboxEmail
from conservatoire.tasks import drain_outbox, send_outbox_email
from tests.accounts.flaky_email import FlakyEmailBackend
from tests.accounts.helpers import (
    ask_password,
    committed,
    emailed_password,
    emails_to,
    is_logged_in,
    log_in,
)

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def smtp_fails_once(settings):
    settings.EMAIL_BACKEND = "tests.accounts.flaky_email.FlakyEmailBackend"
    FlakyEmailBackend.failures_left = 1
    yield
    FlakyEmailBackend.failures_left = 0


def refuse_connection(*args, **kwargs):
    raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setattr(send_outbox_email, "apply_async", refuse_connection)
    return monkeypatch


def test_an_smtp_failure_keeps_the_email_pending_and_asks_for_a_retry(
    client, parent, smtp_fails_once
):
    response = ask_password(client, "dupont-k7mq4", ADDRESS)
    assert response.status_code == 302
    row = OutboxEmail.objects.get(kind="accounts.temporary_password")
    assert (row.status, row.attempts) == (OutboxEmail.Status.PENDING, 1)
    assert "SMTPServerDisconnected" in row.last_error
    assert mail.outbox == []
    FlakyEmailBackend.failures_left = 1
    with pytest.raises(Retry):
        send_outbox_email.apply(args=[row.pk])


def test_the_retry_delivers_the_email_once_with_a_newer_password(client, parent, smtp_fails_once):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    parent.refresh_from_db()
    hash_of_the_lost_password = parent.temporary_password
    row = OutboxEmail.objects.get(kind="accounts.temporary_password")
    with committed():
        send_outbox_email.apply(args=[row.pk])  # what the worker runs 2 seconds later
        send_outbox_email.apply(args=[row.pk])  # a duplicate delivery is skipped
    row.refresh_from_db()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 2)
    assert len(emails_to(ADDRESS)) == 1
    parent.refresh_from_db()
    assert parent.temporary_password != hash_of_the_lost_password
    response = log_in(client, "dupont-k7mq4", emailed_password(ADDRESS))
    assert response.url == "/compte/nouveau-mot-de-passe/"


def test_with_the_broker_down_the_request_succeeds_and_nothing_is_lost(client, parent, broker_down):
    response = ask_password(client, "dupont-k7mq4", ADDRESS)
    assert response.status_code == 302
    assert mail.outbox == []
    row = OutboxEmail.objects.get(kind="accounts.temporary_password")
    assert row.status == OutboxEmail.Status.PENDING


def test_broker_down_then_up_the_email_is_delivered_once(client, parent, broker_down):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    broker_down.undo()  # the broker is back
    OutboxEmail.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    with committed():
        assert drain_outbox() == 1
    with committed():
        assert drain_outbox() == 0
    assert len(emails_to(ADDRESS)) == 1
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.SENT
    log_in(client, "dupont-k7mq4", emailed_password(ADDRESS))
    assert client.session.get("accounts_password_choice")
    assert not is_logged_in(client)


def test_a_password_already_received_works_until_the_next_email_leaves(client, parent, monkeypatch):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    received = emailed_password(ADDRESS)
    monkeypatch.setattr(send_outbox_email, "apply_async", refuse_connection)
    ask_password(client, "dupont-k7mq4", ADDRESS)
    # The new password is generated when its email leaves, not before.
    assert log_in(client, "dupont-k7mq4", received).url == "/compte/nouveau-mot-de-passe/"


def test_an_access_disabled_before_the_email_leaves_gets_nothing(client, parent, broker_down):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    parent.is_active = False
    parent.save()
    broker_down.undo()
    OutboxEmail.objects.update(created_at=timezone.now() - datetime.timedelta(minutes=2))
    with committed():
        drain_outbox()
    assert mail.outbox == []
    row = OutboxEmail.objects.get()
    assert row.status == OutboxEmail.Status.PENDING
    assert row.last_error.startswith("AccessUnavailable")
    parent.refresh_from_db()
    assert not parent.temporary_password
