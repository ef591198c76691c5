"""Shared steps of the accounts tests: log in, ask for a password, read the emails."""

import re

from django.core import mail
from django.test import TestCase
from django.urls import reverse

from accounts.identifiers import READABLE_ALPHABET

NEW_PASSWORD = "Violoncelle-du-jeudi-2025"
FAMILY_IP = "203.0.113.10"
PASSWORD_LINE = re.compile(rf"^[{READABLE_ALPHABET}]{{12,}}$", re.MULTILINE)


def committed():
    """Run the on-commit callbacks (outbox → Celery, eager) at the end of the block."""
    return TestCase.captureOnCommitCallbacks(execute=True)


def log_in(client, username, password, ip=FAMILY_IP, **data):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password, **data},
        REMOTE_ADDR=ip,
    )


def ask_password(client, identifier, email, ip=FAMILY_IP, **headers):
    """Post "Mot de passe perdu" and let the outbox send what it queued."""
    with committed():
        return client.post(
            reverse("accounts:password_reset"),
            {"identifier": identifier, "email": email},
            REMOTE_ADDR=ip,
            **headers,
        )


def choose_password(client, password=NEW_PASSWORD, confirmation=None):
    with committed():
        return client.post(
            reverse("accounts:choose_password"),
            {"new_password1": password, "new_password2": confirmation or password},
        )


def emails_to(address: str, kind_subject: str = "") -> list:
    return [m for m in mail.outbox if address in m.to and kind_subject in m.subject]


def password_in(text: str) -> str:
    """The password of an email: the only line made of password characters alone."""
    lines = PASSWORD_LINE.findall(text)
    assert len(lines) == 1, f"expected one password line, found {lines!r} in:\n{text}"
    return lines[0]


def emailed_password(address: str) -> str:
    """The password of the latest temporary-password email sent to ``address``."""
    sent = emails_to(address, "nouveau mot de passe")
    assert sent, f"no password email to {address}"
    return password_in(sent[-1].body)


def is_logged_in(client) -> bool:
    return client.get(reverse("accounts:account")).status_code == 200
