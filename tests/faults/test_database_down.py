"""PostgreSQL unreachable: a French 503 page, no traceback, nothing half-written, recovery.

The portal runs under gunicorn in a subprocess, on a PostgreSQL cluster of our own
(a copy of the test database with the demo data), which the test stops and restarts.
"""

import re
import subprocess
import sys

import httpx
import psycopg
import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.browser.smtp_sink import free_port
from tests.faults.conftest import FAMILY
from tests.faults.services import (
    ROOT,
    PostgresCluster,
    copy_database,
    stop_process,
)
from tests.polling import wait_until
from tests.reinscription.conftest import step_payload, step_url, student_named

pytestmark = [pytest.mark.integration]

FRENCH_503 = ("indisponible", "Veuillez réessayer dans quelques minutes")
LEAKS = ("Traceback", "OperationalError", "psycopg", "connection refused", "Connection refused")


@pytest.fixture
def cluster():
    cluster = PostgresCluster()
    try:
        cluster.init().start()
        yield cluster
    finally:
        cluster.cleanup()


@pytest.fixture
def portal(committed_demo, cluster, tmp_path):
    """gunicorn serving the portal on a copy of the demo database; a logged-in family client.

    The session is made here (``force_login`` writes it in the test database) and copied
    with the rest, so the subprocess recognises the cookie.
    """
    inès = student_named("Inès")
    client = Client()
    client.force_login(
        inès.family.responsibles.get(username=FAMILY), backend="accounts.backends.IdentifierBackend"
    )
    session_cookie = client.cookies[settings.SESSION_COOKIE_NAME].value
    copy_database(connection.settings_dict, cluster, "portal")

    port = free_port()
    log = open(tmp_path / "gunicorn.log", "wb")  # noqa: SIM115 (closed below)
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DJANGO_SETTINGS_MODULE": "conservatoire.settings",
        "DEBUG": "1",  # plain HTTP and the suite's cookie names (DEBUG is off unless set)
        "DATABASE_URL": cluster.url("portal"),
        "SECRET_KEY": settings.SECRET_KEY,
        "MEDIA_ROOT": str(tmp_path / "media"),
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "conservatoire.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "--timeout",
            "30",
            "--graceful-timeout",
            "5",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    http = httpx.Client(
        base_url=f"http://127.0.0.1:{port}",
        cookies={settings.SESSION_COOKIE_NAME: session_cookie},
        timeout=10,
        follow_redirects=False,
    )
    try:
        wait_until(lambda: _answers(http) or server.poll() is not None, 30, "gunicorn")
        assert server.poll() is None, (tmp_path / "gunicorn.log").read_text()
        yield http, inès
    finally:
        http.close()
        stop_process(server)
        log.close()


def _answers(http) -> bool:
    try:
        return http.get("/healthz").status_code in (200, 503)
    except httpx.TransportError:
        return False


def csrf_token(http, url) -> str:
    page = http.get(url)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)


def rows(cluster, sql: str, *params) -> list:
    with psycopg.connect(cluster.url("portal"), connect_timeout=5) as conn:
        return conn.execute(sql, params).fetchall()


def test_database_down_gives_a_french_503_writes_nothing_and_recovers(cluster, portal):
    http, inès = portal
    family_space = reverse("reinscription:family_space")
    assert http.get(family_space).status_code == 200  # a persistent connection is open
    token = csrf_token(http, step_url(inès, "choix"))

    cluster.stop()

    page = http.get(family_space)
    assert page.status_code == 503, page.text[:2000]
    assert page.headers["Retry-After"] == "30"
    assert page.headers["Content-Type"].startswith("text/html")
    for words in FRENCH_503:
        assert words in page.text
    for leak in LEAKS:
        assert leak not in page.text
    assert settings.SESSION_COOKIE_NAME not in page.headers.get("set-cookie", "")

    posted = http.post(
        step_url(inès, "choix"),
        data={**step_payload(inès, "choix", {"decision": "reenrol"}), "csrfmiddlewaretoken": token},
        headers={"Referer": str(http.base_url)},
    )
    assert posted.status_code == 503, posted.text[:2000]
    assert FRENCH_503[0] in posted.text
    assert not any(leak in posted.text for leak in LEAKS)
    assert http.get("/healthz").status_code == 503

    cluster.start()

    assert http.get(family_space).status_code == 200  # still logged in, on a new connection
    assert http.get("/healthz").status_code == 200
    for query in (
        "SELECT 1 FROM reinscription_wizarddraft WHERE student_id = %s",
        "SELECT 1 FROM reinscription_reenrolment WHERE student_id = %s",
    ):
        assert rows(cluster, query, inès.pk) == []
    # The family carries on where it was: the step it could not save is offered again.
    assert http.get(step_url(inès, "choix")).status_code == 200


def test_a_restart_between_two_requests_costs_no_error(cluster, portal):
    """The persistent connection died with the server: it is checked before being reused."""
    http, _inès = portal
    family_space = reverse("reinscription:family_space")
    assert http.get(family_space).status_code == 200
    cluster.stop()
    cluster.start()
    assert http.get(family_space).status_code == 200
