"""`make run PORT=…` puts the address it serves into the emails' links (PORTAL_URL)."""

import os
import shutil
import stat
import subprocess
import sys

import pytest

from tests.conservatoire.test_settings import ROOT

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")

FAKE_PYTHON = '#!/bin/sh\necho "PORTAL_URL=$PORTAL_URL"\n'


def make_run(tmp_path, *args: str, **env: str) -> str:
    """Run `make run` with a stand-in python that prints what it was given (nothing runs)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    python = bin_dir / "python"
    python.write_text(FAKE_PYTHON)
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    environ = {k: v for k, v in os.environ.items() if k != "PORTAL_URL"} | env
    result = subprocess.run(
        ["make", "--no-print-directory", "run", f"BIN={bin_dir}", f"STAMP={tmp_path / 'stamp'}"]
        + list(args),
        cwd=ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_served_port_is_the_emails_address(tmp_path):
    output = make_run(tmp_path, "PORT=8123")
    assert "PORTAL_URL=http://127.0.0.1:8123" in output
    assert "Links in the emails: http://127.0.0.1:8123" in output


def test_a_portal_url_already_set_wins(tmp_path):
    output = make_run(tmp_path, "PORT=8123", PORTAL_URL="https://reinscriptions.example.org")
    assert "PORTAL_URL=https://reinscriptions.example.org" in output
    assert "PORTAL_URL=http://127.0.0.1:8123" not in output


def test_the_settings_read_portal_url_from_the_environment():
    code = "from django.conf import settings; print(settings.PORTAL_URL)"
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        cwd=ROOT,
        env=os.environ
        | {
            "DJANGO_SETTINGS_MODULE": "conservatoire.settings",
            "PORTAL_URL": "http://127.0.0.1:8123",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "http://127.0.0.1:8123", result.stderr[-2000:]
