"""The emailed password is in no broker message, no task argument and no log line.

The eager path (task arguments, Django's logs at DEBUG) is tested in
tests/accounts/test_secrets.py. Here, in the PostgreSQL + Redis pass, the message is
read in a Redis of our own while no worker consumes it, then a real worker (logging
at DEBUG) sends the email, and Redis, the worker's log and this process's log are
searched for the password the family received.
"""

import base64
import json
import logging

import pytest
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse

from accounts import views as accounts_views
from accounts.models import PasswordResetRequest, User
from conservatoire.models import OutboxEmail
from tests.accounts.helpers import ask_password, log_in, password_in
from tests.factories import ResponsibleFactory
from tests.polling import wait_until

# argon2: the worker hashes with the production hasher; the login here must check it.
pytestmark = [pytest.mark.integration, pytest.mark.argon2]

ADDRESS = "claire.dupont@example.org"


def test_the_password_is_in_no_broker_message_task_argument_or_log(
    broker, workers, smtp, caplog, monkeypatch
):
    ResponsibleFactory(username="dupont-k7mq4", email=ADDRESS)
    monkeypatch.setattr(accounts_views, "RESET_ANSWER_SECONDS", 0)
    caplog.set_level(logging.DEBUG)
    client = Client()
    response = ask_password(client, "dupont-k7mq4", ADDRESS)
    assert response.status_code == 302
    row = OutboxEmail.objects.get(kind="accounts.temporary_password")

    queued = broker.dump()  # no worker yet: the message waits in the "celery" list
    [raw] = queued["celery"]
    message = json.loads(raw)
    assert message["headers"]["task"] == "conservatoire.tasks.send_outbox_email"
    args, kwargs, _options = json.loads(base64.b64decode(message["body"]))
    assert (args, kwargs) == ([row.pk], {})

    worker = workers.start()
    [email] = smtp.wait_for_emails(ADDRESS, timeout=30)
    password = password_in(email.text)
    wait_until(
        lambda: OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENT,
        15,
        "the row marked sent",
    )
    row.refresh_from_db()

    assert password not in repr(queued)
    assert password not in repr(broker.dump())
    assert "send_outbox_email" in worker.log_text()  # the worker's DEBUG log is there
    assert password not in worker.log_text()
    app_log = "\n".join(
        f"{record.name} {record.getMessage()} {record.args!r}"
        for record in caplog.records
        if not record.name.startswith("mail.log")  # the SMTP server's side, not ours
    )
    assert app_log, "this process logged something (redis, celery…): the check is meaningful"
    assert password not in app_log
    assert password not in repr(model_to_dict(row))
    assert password not in repr(list(PasswordResetRequest.objects.values()))
    assert password not in User.objects.get(username="dupont-k7mq4").temporary_password
    # And it is the real one: the family logs in with it.
    assert log_in(client, "dupont-k7mq4", password).url == reverse("accounts:choose_password")
