"""Shared fixtures: fast hashing, the demo campaign, real services when configured."""

import os

import pytest
from django.conf import settings as django_settings

from tests import factories

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def pytest_collection_modifyitems(config, items):
    """Integration tests need PostgreSQL and a Redis broker; skip them elsewhere.

    In CI's second pass (REQUIRE_SERVICES=1) they must run, so nothing is skipped.
    """
    has_services = (
        django_settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
        and not django_settings.CELERY_TASK_ALWAYS_EAGER
    )
    if has_services:
        return
    skip = pytest.mark.skip(reason="needs DATABASE_URL (PostgreSQL) and CELERY_BROKER_URL")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings, request):
    """Argon2 is the production hasher; tests hash with MD5 unless they ask otherwise."""
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _eager_celery_unless_integration(request):
    """Unit tests run tasks in-process; integration tests use the real broker and worker."""
    from conservatoire.celery import app

    if "integration" in request.keywords:
        yield
        return
    saved = app.conf.task_always_eager, app.conf.task_eager_propagates
    app.conf.task_always_eager, app.conf.task_eager_propagates = True, True
    yield
    app.conf.task_always_eager, app.conf.task_eager_propagates = saved


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_identity():
    """The conservatoire's identity is cached per process: each test reads its own
    database's (the row of an earlier test was rolled back with it)."""
    from conservatoire.models import Identity

    Identity.clear_cache()
    yield
    Identity.clear_cache()


@pytest.fixture
def campaign(db):
    return factories.CampaignFactory()


@pytest.fixture
def family(db):
    return factories.FamilyFactory()


@pytest.fixture
def responsible(family):
    return factories.ResponsibleFactory(family=family)


@pytest.fixture
def staff_user(db):
    return factories.StaffFactory()


@pytest.fixture(scope="session")
def celery_worker_session(django_db_setup, django_db_blocker):
    """A real Celery worker, in a thread, consuming from the configured broker."""
    from celery.contrib.testing.worker import start_worker

    from conservatoire.celery import app

    with django_db_blocker.unblock():
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as w:
            yield w


@pytest.fixture
def celery_worker(celery_worker_session, transactional_db):
    """Use with integration tests: the worker sees only committed data."""
    return celery_worker_session


@pytest.fixture
def still_clock(monkeypatch):
    """The session-activity clock stands still: a signed-in session is written once, at
    its first page, and no minute boundary adds a write in the middle of a query count."""
    from conservatoire import middleware

    monkeypatch.setattr(middleware, "current_minute", lambda: 30_000_000)
