"""DEBUG is off unless the environment asks for it: no traceback reaches a family.

The settings are read in a subprocess with no ``DEBUG`` at all in its environment
(the suite itself loads tests/settings.py, which sets ``DEBUG=1`` before reading
them). There, a tampered wizard POST, a bug and an unknown page get the plain
error pages, not Django's technical ones.
"""

import json
import os
import subprocess
import sys

import pytest

from tests.conservatoire.test_settings import ROOT

PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from accounts.models import Student
from conservatoire.views import HomeView
from reinscription.demo import seed_demo

result = {"debug": settings.DEBUG}
# Static files are not collected here: the plain storage, as a server after collectstatic.
plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
override_settings(STORAGES={**settings.STORAGES, "staticfiles": plain}).enable()
call_command("migrate", verbosity=0)
seed_demo()

client = Client(raise_request_exception=False, HTTP_HOST="localhost")
student = Student.objects.get(first_name="Inès")
client.force_login(
    student.family.responsibles.first(), backend="accounts.backends.IdentifierBackend"
)
step = reverse("reinscription:wizard_step", kwargs={"student_id": student.pk, "step": "choix"})
pages = {
    # No management form, then a forged step name: the wizard refuses (SuspiciousOperation).
    "wizard_without_step": client.post(step, {"choix-decision": "reenrol"}, secure=True),
    "wizard_forged_step": client.post(
        step, {f"reenrolment_{student.pk}-current_step": "forged", "choix-decision": "x"},
        secure=True,
    ),
    "unknown_page": client.get("/page-inconnue/", secure=True),
}

def broken(self, **kwargs):
    raise ValueError("secret-detail-of-the-bug")

HomeView.get_context_data = broken
pages["bug"] = client.get(reverse("home"), secure=True)
result["pages"] = {
    name: {"status": response.status_code, "body": response.content.decode()}
    for name, response in pages.items()
}
print(json.dumps(result))
"""


def without_debug(tmp_path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "DATABASE_URL"}}
    env.update(
        DJANGO_SETTINGS_MODULE="conservatoire.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
        MEDIA_ROOT=str(tmp_path / "media"),
    )
    env.pop("CELERY_BROKER_URL", None)  # eager: the probe sends no email anyway
    return env


def test_debug_is_off_when_the_environment_does_not_set_it(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); "
            "from django.conf import settings; print(settings.DEBUG)",
        ],
        cwd=ROOT,
        env=without_debug(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


@pytest.mark.slow
def test_without_debug_errors_show_no_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", PROBE],
        cwd=ROOT,
        env=without_debug(tmp_path),
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe["debug"] is False
    pages = probe["pages"]
    assert pages["wizard_without_step"]["status"] == 400
    assert pages["wizard_forged_step"]["status"] == 400
    assert pages["unknown_page"]["status"] == 404
    assert pages["bug"]["status"] == 500
    for name, page in pages.items():
        body = page["body"]
        for debug_sign in (
            "Traceback",
            "technical_500",
            "SuspiciousOperation",
            "secret-detail-of-the-bug",
            "DEBUG = True",
            "Using the URLconf",
            "reinscription/wizard",
            "SECRET_KEY",
        ):
            assert debug_sign not in body, f"{name}: {debug_sign!r} in the page"
    assert "Une erreur est survenue" in pages["bug"]["body"]  # the portal's 500 page
