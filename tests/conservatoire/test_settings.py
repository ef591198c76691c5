"""Settings come from the environment, with embedded defaults when absent."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "0",
    "SECRET_KEY": "x7Kq9vLm2Pz8Rt4Wn6Yb3Hc5Jd1Fg0Ss-Aa_Ee+Ii=Oo!Uu@Bb#Cc$Dd%",
    "ALLOWED_HOSTS": "reinscriptions.limonest.fr",
    "DATABASE_URL": "sqlite:////tmp/conservatoire-deploy-check.sqlite3",
    "EMAIL_URL": "smtp://mailer@smtp.example.org:587",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/9",
    # A Fernet key (bank details at rest); without one `check --deploy` warns.
    "FIELD_ENCRYPTION_KEYS": "b2xqRUhJYjNtUnR3NUlzWFcyZ3hQc0tvdFl2a1pWRjA=",
}


def run_python(code: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    clean.update(env)
    clean["DJANGO_SETTINGS_MODULE"] = "conservatoire.settings"
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )


def settings_value(expression: str, env: dict[str, str]) -> str:
    code = f"import django; django.setup(); from django.conf import settings; print({expression})"
    result = run_python(code, env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_embedded_defaults_when_environment_is_empty():
    env: dict[str, str] = {}
    assert settings_value("settings.DATABASES['default']['ENGINE']", env).endswith("sqlite3")
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", env) == "True"
    assert settings_value("settings.EMAIL_BACKEND", env).endswith("console.EmailBackend")
    assert settings_value("settings.MEDIA_ROOT", env) == str(ROOT / "private-media")


def test_environment_selects_postgresql_redis_and_smtp():
    env = {
        "DATABASE_URL": "postgres://user:pw@db.example.org:5432/portal",
        "CELERY_BROKER_URL": "redis://redis:6379/0",
        "EMAIL_URL": "smtp://mailpit:1025",
        "MEDIA_ROOT": "/srv/private",
    }
    assert settings_value("settings.DATABASES['default']['ENGINE']", env) == (
        "django.db.backends.postgresql"
    )
    assert settings_value("settings.DATABASES['default']['HOST']", env) == "db.example.org"
    assert settings_value("settings.CELERY_TASK_ALWAYS_EAGER", env) == "False"
    assert settings_value("settings.CELERY_BROKER_URL", env) == "redis://redis:6379/0"
    assert settings_value("settings.EMAIL_BACKEND", env).endswith("smtp.EmailBackend")
    assert settings_value("settings.EMAIL_HOST", env) == "mailpit"
    assert settings_value("settings.MEDIA_ROOT", env) == "/srv/private"


def test_allowed_hosts_and_debug_from_environment():
    env = {"DEBUG": "0", "ALLOWED_HOSTS": "a.example.org,b.example.org", "SECRET_KEY": "k" * 60}
    assert settings_value("settings.DEBUG", env) == "False"
    assert settings_value("settings.ALLOWED_HOSTS", env) == "['a.example.org', 'b.example.org']"


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_values():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**{k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}, **PRODUCTION_ENV},
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_media_folder_is_not_served_in_production_settings(tmp_path):
    media = tmp_path / "private"
    (media / "documents").mkdir(parents=True)
    (media / "documents" / "x.pdf").write_bytes(b"%PDF-1.4 secret")
    code = (
        "import django; django.setup(); from django.test import Client; "
        "from django.test.utils import override_settings; from django.conf import settings; "
        "plain = {'BACKEND': 'django.contrib.staticfiles.storage.StaticFilesStorage'}; "
        "storages = {**settings.STORAGES, 'staticfiles': plain}; "
        "client = Client(HTTP_HOST='reinscriptions.limonest.fr', HTTP_X_FORWARDED_PROTO='https'); "
        "ctx = override_settings(STORAGES=storages); ctx.enable(); "
        "print([client.get(p).status_code for p in "
        "(settings.MEDIA_URL + 'documents/x.pdf', '/media/documents/x.pdf', "
        "'/documents/x.pdf', '/private-media/documents/x.pdf')])"
    )
    result = run_python(code, {**PRODUCTION_ENV, "MEDIA_ROOT": str(media)})
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "[404, 404, 404, 404]"
