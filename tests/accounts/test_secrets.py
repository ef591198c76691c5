"""The emailed password lives in the email alone: not in the outbox, the task, the logs."""

import logging

import pytest
from django.forms.models import model_to_dict

from accounts.models import PasswordResetRequest
from conservatoire.models import OutboxEmail
from conservatoire.tasks import send_outbox_email
from tests.accounts.helpers import (
    ask_password,
    choose_password,
    committed,
    emailed_password,
    log_in,
)

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def task_calls(monkeypatch):
    """Record what is handed to the broker, then run the task as the worker would."""
    calls = []
    apply = send_outbox_email.apply

    def apply_async(args=(), kwargs=None, **options):
        calls.append((tuple(args), kwargs or {}))
        return apply(args=args, kwargs=kwargs)

    monkeypatch.setattr(send_outbox_email, "apply_async", apply_async)
    return calls


def test_the_task_receives_an_id_only(client, parent, task_calls):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    password = emailed_password(ADDRESS)
    row = OutboxEmail.objects.get()
    assert task_calls == [((row.pk,), {})]
    assert password not in repr(task_calls)


def test_the_outbox_row_and_the_request_row_hold_no_password(client, parent):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    password = emailed_password(ADDRESS)
    row = OutboxEmail.objects.get()
    assert (row.builder, row.builder_pk) == (
        "accounts.temporary_password",
        PasswordResetRequest.objects.get().pk,
    )
    assert (row.subject, row.body_text, row.body_html) == ("", "", "")
    assert password not in repr(model_to_dict(row))
    assert password not in repr(model_to_dict(PasswordResetRequest.objects.get()))
    parent.refresh_from_db()
    assert password not in repr(model_to_dict(parent))


def test_the_password_appears_in_no_log(client, parent, caplog):
    caplog.set_level(logging.DEBUG)
    ask_password(client, "dupont-k7mq4", ADDRESS)
    password = emailed_password(ADDRESS)
    log_in(client, "dupont-k7mq4", password)
    choose_password(client)
    assert caplog.records, "the flow logs something (celery, axes): the check is meaningful"
    assert password not in caplog.text
    assert "Violoncelle-du-jeudi-2025" not in caplog.text


def test_the_history_of_the_account_keeps_no_password_hash(client, parent):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    with committed():
        log_in(client, "dupont-k7mq4", emailed_password(ADDRESS))
    history_fields = {field.name for field in parent.history.model._meta.fields}
    assert "temporary_password" not in history_fields
    assert "password" not in history_fields
