"""A Celery worker killed in the middle of sending: the email still leaves, and only once.

The SMTP sink holds the message before accepting it, so the worker is killed while it
holds the outbox row's lock and waits for the server. The killed transaction is rolled
back, the row is still pending; it is sent again (by the redelivered message and by
``drain_outbox``), and every delivery after the first finds the row sent and skips it.
"""

import os
import re
import signal
import time

import pytest

from conservatoire.models import OutboxEmail
from conservatoire.tasks import drain_outbox
from tests.faults.conftest import FAMILY_EMAIL
from tests.polling import wait_until

pytestmark = [pytest.mark.integration]

# A new worker takes back, within seconds, the message the dead one never acknowledged.
QUICK_REDELIVERY = {
    "visibility_timeout": 2,
    "unacked_restore_interval": 1,
    "unacked_restore_throttle": 1,
}
SUCCEEDED = re.compile(
    r"Task conservatoire\.tasks\.send_outbox_email\[[^\]]+\] succeeded .*: '(\w+)'"
)


def results(worker) -> list[str]:
    return SUCCEEDED.findall(worker.log_text())


def confirmation() -> OutboxEmail:
    return OutboxEmail.objects.get(kind="reenrolment_confirmation")


def validate(ready_to_validate):
    driver, total = ready_to_validate
    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 302


def test_a_worker_killed_while_sending_leaves_no_duplicate(
    broker, ready_to_validate, workers, smtp
):
    smtp.hold_seconds = 60
    first = workers.start()
    validate(ready_to_validate)
    wait_until(lambda: smtp.holding == 1, 20, "the worker to be sending")

    first.kill()  # SIGKILL of the worker and its pool process

    wait_until(lambda: smtp.abandoned == 1, 10, "the SMTP server to see the client gone")
    assert confirmation().status == OutboxEmail.Status.PENDING
    assert confirmation().attempts == 0  # the killed transaction was rolled back
    smtp.hold_seconds = 0
    # Beat's periodic drain, before the new worker starts: once started, the new worker
    # may already have sent the redelivered task, leaving the drain nothing to queue.
    assert drain_outbox.run(older_than_seconds=0) == 1
    second = workers.start(transport_options=QUICK_REDELIVERY)

    smtp.wait_for_emails(FAMILY_EMAIL, timeout=30)
    # Two deliveries of the task reach the new worker: the drained one and the one the
    # dead worker held. The first sends, the second finds the row sent.
    wait_until(lambda: len(results(second)) >= 2, 30, "both deliveries to be handled")
    assert sorted(results(second)) == ["sent", "skipped"]
    time.sleep(1)
    assert len(smtp.received) == 1
    row = confirmation()
    assert (row.status, row.attempts) == (OutboxEmail.Status.SENT, 1)


def test_a_pool_process_killed_while_sending_is_redelivered_and_sends_once(
    broker, ready_to_validate, workers, smtp
):
    """The out-of-memory killer takes the child: acks_late + reject_on_worker_lost requeue."""
    smtp.hold_seconds = 60
    worker = workers.start()
    validate(ready_to_validate)
    wait_until(lambda: smtp.holding == 1, 20, "the worker to be sending")
    [child] = worker.child_pids()

    smtp.hold_seconds = 0
    os.kill(child, signal.SIGKILL)

    smtp.wait_for_emails(FAMILY_EMAIL, timeout=30)
    assert smtp.abandoned == 1
    wait_until(lambda: results(worker) == ["sent"], 15, "the redelivered task to succeed")
    assert "WorkerLostError" in worker.log_text()
    assert drain_outbox.run(older_than_seconds=0) == 0
    time.sleep(1)
    assert len(smtp.received) == 1
    assert confirmation().attempts == 1
