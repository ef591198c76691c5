"""Browser tests: the app on pytest-django's live server, Debian's Chromium through
Playwright (sync API), and an aiosmtpd SMTP sink for the emails.

Fixtures:
- ``smtp_sink``: SMTP server on a free loopback port; ``smtp_sink.last_email_to(addr)``
  waits for an email and returns it parsed (``.subject``, ``.text``, ``.html``).
- ``live_app``: the live server, with emails going to ``smtp_sink`` and ``PORTAL_URL``
  set to the server (a real Celery worker is started when a broker is configured).
- ``browser`` (package scope), ``page`` (a fresh context per test, 1280x900, French),
  ``screenshot(name, page=None)``: a full-page PNG in artifacts/screenshots/.

Never run ``playwright install``: Chromium is the Debian package, /usr/bin/chromium.
The tests are skipped when it is missing.
"""

import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.browser.smtp_sink import smtp_settings, smtp_sink  # noqa: F401 (fixtures)

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def live_app(live_server, smtp_settings, settings, request, transactional_db):  # noqa: F811
    """The portal on the live server; its emails land in ``smtp_sink``."""
    settings.PORTAL_URL = live_server.url
    if not settings.CELERY_TASK_ALWAYS_EAGER:
        request.getfixturevalue("celery_worker")
    return SimpleNamespace(url=live_server.url, sink=smtp_settings)


@pytest.fixture(scope="package")
def browser():
    """Debian's Chromium, headless, shared by the browser tests."""
    if not CHROMIUM.exists():
        pytest.skip("Chromium is not installed (apt-get install chromium)")
    sync_api = pytest.importorskip("playwright.sync_api")
    # Playwright's sync API runs an event loop in this thread; Django's ORM refuses
    # to run in a thread with an event loop unless told it is safe (it is: the loop
    # only drives the browser). Set only while Playwright runs, so that the variable
    # does not leak into other tests (``check --deploy`` rejects it).
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_api.sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            yield chromium
            chromium.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def page(browser):
    """A new browser context (French, desktop size) and its page."""
    context = browser.new_context(viewport=DESKTOP, locale="fr-FR")
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(page, request):
    """``screenshot("login")`` saves artifacts/screenshots/<test>-login.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    prefix = request.node.name.replace("[", "-").replace("]", "")

    def take(name: str, target=None) -> Path:
        path = SCREENSHOTS / f"{prefix}-{name}.png"
        (target or page).screenshot(path=str(path), full_page=True)
        return path

    return take
