"""The SMTP server refuses (451, try again later), then accepts: retried, one email."""

import time

import pytest

from conservatoire.models import OutboxEmail
from conservatoire.tasks import drain_outbox
from tests.faults.conftest import FAMILY_EMAIL
from tests.polling import wait_until

pytestmark = [pytest.mark.integration]


def test_a_refusing_smtp_server_gets_the_email_again_and_it_arrives_once(
    broker, ready_to_validate, workers, smtp
):
    smtp.refuse_next = 2
    workers.start()
    driver, total = ready_to_validate

    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 302

    # Refused at once, then 2 s and 4 s later (the task's exponential backoff).
    [email] = smtp.wait_for_emails(FAMILY_EMAIL, timeout=30)
    assert smtp.refused == 2
    assert "Inès" in email.text
    row = OutboxEmail.objects.get(kind="reenrolment_confirmation")
    wait_until(
        lambda: OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENT,
        15,
        "the row marked sent",
    )
    row.refresh_from_db()
    assert row.attempts == 3
    assert row.last_error == ""
    assert drain_outbox.run(older_than_seconds=0) == 0
    time.sleep(1)
    assert len(smtp.received) == 1
