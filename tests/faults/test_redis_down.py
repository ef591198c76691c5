"""Redis stopped while a family validates: the answer is saved, the page is quick, and the
confirmation leaves exactly once when Redis is back (drain_outbox, then a real worker)."""

import time

import pytest

from conservatoire.models import OutboxEmail
from conservatoire.tasks import drain_outbox
from reinscription.models import Reenrolment, ReenrolmentSnapshot
from tests.faults.conftest import FAMILY_EMAIL
from tests.polling import wait_until
from tests.reinscription.conftest import student_named

pytestmark = [pytest.mark.integration]


def confirmation() -> OutboxEmail:
    return OutboxEmail.objects.get(kind="reenrolment_confirmation")


def test_redis_down_while_validating_saves_answers_quickly_and_emails_once_later(
    broker, ready_to_validate, workers, smtp
):
    driver, total = ready_to_validate
    broker.stop()

    started = time.monotonic()
    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    elapsed = time.monotonic() - started

    assert response.status_code == 302, response.content[:500]
    assert elapsed < 2, f"the validation took {elapsed:.2f}s with Redis down"
    reenrolment = Reenrolment.objects.get(student=student_named("Inès"))
    assert reenrolment.status == Reenrolment.Status.REENROLLED
    assert ReenrolmentSnapshot.objects.filter(reenrolment=reenrolment).count() == 1
    assert confirmation().status == OutboxEmail.Status.PENDING
    assert smtp.received == []

    broker.start()  # Redis is back, on the same port
    workers.start()
    assert drain_outbox.run(older_than_seconds=0) == 1  # what beat runs every minute

    [email] = smtp.wait_for_emails(FAMILY_EMAIL, timeout=30)
    assert "Inès" in email.text
    wait_until(lambda: confirmation().status == OutboxEmail.Status.SENT, 15, "the row sent")
    assert drain_outbox.run(older_than_seconds=0) == 0
    time.sleep(1)
    assert len(smtp.received) == 1
