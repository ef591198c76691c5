"""On PostgreSQL: two responsibles validating one child at the same instant leave one record."""

import threading

import pytest
from django.db import connection
from django.test import Client

from conservatoire.models import OutboxEmail
from reinscription.demo import seed_demo
from reinscription.models import Reenrolment, ReenrolmentSnapshot
from tests.polling import wait_until
from tests.reinscription.conftest import WizardDriver, student_named

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_validations_leave_one_record(celery_worker):
    assert connection.vendor == "postgresql"
    seed_demo()
    hugo = student_named("Hugo")
    clients = []
    for who in ("martin-claire", "martin-julien"):
        client = Client()
        client.force_login(
            hugo.family.responsibles.get(username=who),
            backend="accounts.backends.IdentifierBackend",
        )
        clients.append(client)
    WizardDriver(clients[0], hugo).complete(validate=False, courses={"day_eveil": "saturday"})
    total = WizardDriver(clients[0], hugo).recap_total()

    barrier = threading.Barrier(2)
    statuses = []

    def validate(client):
        barrier.wait()
        try:
            response = WizardDriver(client, hugo).post(
                "recapitulatif", {"accept_rules": "on", "shown_total": total}
            )
            statuses.append(response.status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=validate, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == [302, 302]
    assert Reenrolment.objects.filter(student=hugo).count() == 1
    assert ReenrolmentSnapshot.objects.filter(reenrolment__student=hugo).count() == 1
    # One confirmation, sent by the real worker; waiting for it also keeps the worker
    # from reading these tables while the test database is flushed.
    confirmations = OutboxEmail.objects.filter(kind="reenrolment_confirmation")
    wait_until(lambda: confirmations.filter(status=OutboxEmail.Status.SENT).count() >= 1, 30)
    assert confirmations.count() == 1
