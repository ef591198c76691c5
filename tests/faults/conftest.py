"""Fixtures of the fault tests: throwaway Redis, SMTP sink and Celery workers, demo data.

The data is committed (``transactional_db``) so that a worker in another process sees it.
"""

import pytest
from django.db import connection
from django.test import Client

from reinscription.demo import seed_demo
from tests.faults.services import (
    CeleryWorker,
    RedisServer,
    app_broker,
    controlled_smtp_sink,
    database_url,
)
from tests.reinscription.conftest import WizardDriver, student_named

FAMILY = "leroy-marc"
FAMILY_EMAIL = "marc.leroy@example.org"


@pytest.fixture
def committed_demo(transactional_db):
    seed_demo()


@pytest.fixture
def redis_server():
    server = RedisServer()
    try:
        yield server.start()
    finally:
        server.cleanup()


@pytest.fixture
def broker(redis_server):
    """This process publishes to the throwaway Redis for the test's duration."""
    with app_broker(redis_server.url()):
        yield redis_server


@pytest.fixture
def smtp():
    with controlled_smtp_sink() as sink:
        yield sink


@pytest.fixture
def workers(transactional_db, redis_server, smtp, tmp_path):
    """``workers.start(**options)`` starts a worker on the throwaway Redis; all are stopped."""
    started: list[CeleryWorker] = []

    class Workers:
        def start(self, transport_options=None) -> CeleryWorker:
            worker = CeleryWorker(
                broker_url=redis_server.url(),
                database_url=database_url(connection.settings_dict),
                smtp_port=smtp.port,
                log_path=tmp_path / f"worker-{len(started) + 1}.log",
                transport_options=transport_options,
            )
            started.append(worker)
            return worker.start(name=f"fault{len(started)}")

    try:
        yield Workers()
    finally:
        for number, worker in enumerate(started, 1):
            worker.stop()
            print(f"--- worker {number} log (end) ---\n{worker.log_text()[-4000:]}")


@pytest.fixture
def family_client(committed_demo):
    client = Client()
    user = student_named("Inès").family.responsibles.get(username=FAMILY)
    client.force_login(user, backend="accounts.backends.IdentifierBackend")
    return client


@pytest.fixture
def ready_to_validate(family_client):
    """Inès's wizard filled in up to the recap; returns (driver, shown total)."""
    driver = WizardDriver(family_client, student_named("Inès"))
    driver.complete(validate=False)
    return driver, driver.recap_total()
