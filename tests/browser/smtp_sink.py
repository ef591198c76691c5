"""An SMTP server on loopback that keeps what it receives (aiosmtpd), for tests.

``smtp_sink`` starts one on a free port for a test; ``smtp_settings`` points
Django's SMTP backend at it. The browser tests and the integration tests of
the real Celery worker read their emails back from here.
"""

import logging
import socket
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest


@dataclass
class ReceivedEmail:
    """One email as the SMTP server got it: envelope recipients and parsed message."""

    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        """The subject, unfolded (a long encoded subject is folded onto a new line)."""
        return " ".join(str(self.message["Subject"]).split())

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        return part.get_content().replace("\r\n", "\n")

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        return part.get_content().replace("\r\n", "\n") if part is not None else ""


class SmtpSink:
    """aiosmtpd handler storing every message; thread-safe waits for the tests."""

    def __init__(self):
        self.received: list[ReceivedEmail] = []
        self._condition = threading.Condition()
        self.host = "127.0.0.1"
        self.port = 0

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        with self._condition:
            self.received.append(ReceivedEmail(list(envelope.rcpt_tos), message))
            self._condition.notify_all()
        return "250 Message accepted for delivery"

    def emails_to(self, address: str) -> list[ReceivedEmail]:
        with self._condition:
            return [email for email in self.received if address in email.recipients]

    def wait_for_emails(self, address: str, count: int = 1, timeout: float = 20.0):
        """Wait until ``count`` emails reached ``address``; return them all, oldest first."""
        deadline = time.monotonic() + timeout
        with self._condition:
            while True:
                emails = [email for email in self.received if address in email.recipients]
                if len(emails) >= count:
                    return emails
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"{len(emails)} email(s) to {address} after {timeout}s, "
                        f"expected {count}; received for: "
                        f"{[email.recipients for email in self.received]}"
                    )
                self._condition.wait(remaining)

    def last_email_to(self, address: str, count: int = 1, timeout: float = 20.0):
        """Wait for the ``count``-th email to ``address`` and return the latest one."""
        return self.wait_for_emails(address, count, timeout)[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def running(sink: "SmtpSink"):
    """``sink`` served by aiosmtpd on a free loopback port while the block runs."""
    from aiosmtpd.controller import Controller

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every command
    sink.port = free_port()
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_sink():
    """A running SMTP server on a free loopback port, storing what it receives."""
    with running(SmtpSink()) as sink:
        yield sink


@pytest.fixture
def smtp_settings(settings, smtp_sink):
    """Django sends through SMTP to ``smtp_sink`` (no TLS, no login)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return smtp_sink
