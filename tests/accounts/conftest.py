import pytest

from accounts import views
from tests.browser.smtp_sink import smtp_settings, smtp_sink  # noqa: F401 (fixtures)
from tests.factories import ResponsibleFactory


@pytest.fixture(autouse=True)
def _no_answer_delay(monkeypatch):
    """ "Mot de passe perdu" answers in constant time; tests need not wait for it."""
    monkeypatch.setattr(views, "RESET_ANSWER_SECONDS", 0)


@pytest.fixture
def parent(family):
    """An active responsible whose identifier and email are known."""
    return ResponsibleFactory(
        family=family,
        username="dupont-k7mq4",
        first_name="Claire",
        last_name="Dupont",
        email="claire.dupont@example.org",
    )
