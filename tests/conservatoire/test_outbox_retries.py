"""The outbox never gives up silently.

A fake clock (``django.utils.timezone.now`` replaced) and an SMTP server down for a
day: Celery beat's ``drain_outbox`` runs every minute of the simulated day, the email
is tried again with a growing delay (at least hourly), is not lost, and leaves once
when SMTP is back. Still failing after 72 hours, it is marked failed, logged, counted
for the dashboard, and the admin's "Renvoyer" sends it again.
"""

import datetime
import itertools
import logging
import smtplib

import pytest
from django.contrib.auth.models import Permission
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.urls import reverse
from django.utils import timezone

from conservatoire import emails
from conservatoire.models import OUTBOX_RETRY_WINDOW, OutboxEmail
from conservatoire.tasks import QUICK_RETRIES, RETRY_BASE, RETRY_CAP, drain_outbox, retry_delay
from tests.accounts.helpers import committed
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db

ADDRESS = "famille.martin@example.org"
Status = OutboxEmail.Status


class SmtpOutage(EmailBackend):
    """Django's test backend (``mail.outbox``), refusing every sending while ``down``."""

    down = False
    tried_at: list[datetime.datetime] = []

    def send_messages(self, messages):
        SmtpOutage.tried_at.append(timezone.now())
        if SmtpOutage.down:
            raise smtplib.SMTPConnectError(421, "Service not available, closing channel")
        return super().send_messages(messages)


class FakeClock:
    def __init__(self, start: datetime.datetime):
        self.now = start

    def __call__(self) -> datetime.datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += datetime.timedelta(**delta)


@pytest.fixture
def clock(monkeypatch):
    clock = FakeClock(timezone.now())
    monkeypatch.setattr(timezone, "now", clock)
    return clock


@pytest.fixture
def smtp(settings):
    settings.EMAIL_BACKEND = f"{__name__}.SmtpOutage"
    SmtpOutage.down, SmtpOutage.tried_at = False, []
    yield SmtpOutage
    SmtpOutage.down, SmtpOutage.tried_at = False, []


def beat(clock: FakeClock, minutes: int, every: int = 1) -> None:
    """Let ``minutes`` pass, running the drain every ``every`` minutes, as beat does."""
    for _ in range(0, minutes, every):
        clock.advance(minutes=every)
        drain_outbox()


def queue_notice() -> OutboxEmail:
    with committed():  # the first attempt, right after the commit
        row = emails.queue_email("test.notice", [ADDRESS])
    row.refresh_from_db()
    return row


def test_the_delay_doubles_from_one_minute_up_to_one_hour():
    assert [retry_delay(n).total_seconds() for n in range(1, QUICK_RETRIES + 1)] == [2, 4, 8]
    later = [retry_delay(QUICK_RETRIES + n) for n in range(1, 10)]
    assert later[:7] == [RETRY_BASE * 2**n for n in range(6)] + [RETRY_CAP]
    assert set(later[6:]) == {RETRY_CAP}
    assert retry_delay(30_000) == RETRY_CAP


def test_a_day_without_smtp_loses_nothing_and_the_email_leaves_when_it_is_back(clock, smtp):
    smtp.down = True
    row = queue_notice()
    assert (row.status, row.attempts) == (Status.PENDING, 1)
    assert "SMTPConnectError" in row.last_error
    assert row.next_attempt_at > clock.now

    beat(clock, 24 * 60)

    row.refresh_from_db()
    assert row.status == Status.PENDING  # not given up within the day
    assert mail.outbox == []
    assert emails.failed_count() == 0 and emails.retrying_count() == 1
    gaps = [later - earlier for earlier, later in itertools.pairwise(smtp.tried_at)]
    # Tried again at least every hour (and a minute: the beat's grain)...
    assert max(gaps) <= RETRY_CAP + datetime.timedelta(minutes=1)
    # ...without hammering the server: the delay grew to one hour and stayed there.
    assert all(gap >= RETRY_CAP for gap in gaps[-10:])
    assert row.attempts == len(smtp.tried_at) < 40

    smtp.down = False  # the server is back
    back_at = clock.now
    beat(clock, 61)

    row.refresh_from_db()
    assert row.status == Status.SENT
    assert back_at < row.sent_at <= back_at + RETRY_CAP + datetime.timedelta(minutes=1)
    assert [message.to for message in mail.outbox] == [[ADDRESS]]
    assert (row.last_error, row.next_attempt_at) == ("", None)
    beat(clock, 120)  # the beat goes on: the email does not leave twice
    assert len(mail.outbox) == 1
    assert emails.retrying_count() == 0


def test_a_lost_worker_message_is_handed_over_again_by_the_drain(clock, smtp, monkeypatch):
    from conservatoire.tasks import send_outbox_email

    handed = []
    with monkeypatch.context() as lost:
        lost.setattr(send_outbox_email, "apply_async", lambda *a, **kw: handed.append(a))
        row = queue_notice()  # handed to the broker, then lost (a worker killed)
        assert (row.attempts, len(handed)) == (0, 1)
        beat(clock, 2)  # a minute old: the drain hands it over again
        assert len(handed) == 2
        beat(clock, 4)  # on its way: not handed again at every beat
        assert len(handed) == 2
        beat(clock, 1)  # five minutes and it never came: handed again
        assert len(handed) == 3
    beat(clock, 5)
    row.refresh_from_db()
    assert row.status == Status.SENT and len(mail.outbox) == 1


def test_after_72_hours_the_email_is_failed_logged_and_counted(clock, smtp, caplog):
    smtp.down = True
    row = queue_notice()
    window_minutes = int(OUTBOX_RETRY_WINDOW.total_seconds() // 60)
    beat(clock, window_minutes - 5, every=5)
    row.refresh_from_db()
    assert row.status == Status.PENDING  # still tried at 71 h 55 min
    with caplog.at_level(logging.ERROR, logger="conservatoire.tasks"):
        beat(clock, 65, every=5)
    row.refresh_from_db()
    assert row.status == Status.FAILED
    assert row.next_attempt_at is None
    assert "SMTPConnectError" in row.last_error
    assert f"Outbox email {row.pk} failed for good" in caplog.text
    assert emails.failed_count() == 1 and emails.retrying_count() == 0
    attempts = row.attempts
    beat(clock, 180, every=5)  # the staff's turn now: no more attempts
    row.refresh_from_db()
    assert (row.status, row.attempts) == (Status.FAILED, attempts)


def failed_row(**fields) -> OutboxEmail:
    return OutboxEmail.objects.create(
        kind="test.notice",
        to=[ADDRESS],
        subject="Votre réinscription",
        body_text="Bonjour",
        status=Status.FAILED,
        attempts=80,
        last_error="SMTPConnectError: (421, 'Service not available')",
        **fields,
    )


def test_resend_puts_failed_rows_back_for_72_hours_and_queues_them(clock, smtp):
    smtp.down = True
    failed = failed_row()
    sent = failed_row()
    OutboxEmail.objects.filter(pk=sent.pk).update(status=Status.SENT)
    with committed():
        assert emails.resend(OutboxEmail.objects.all()) == 1
    failed.refresh_from_db()
    assert (failed.status, failed.attempts) == (Status.PENDING, 1)  # tried at once, failed
    assert failed.retry_until == clock.now + OUTBOX_RETRY_WINDOW
    assert OutboxEmail.objects.get(pk=sent.pk).status == Status.SENT
    smtp.down = False
    beat(clock, 5)
    failed.refresh_from_db()
    assert failed.status == Status.SENT
    assert len(mail.outbox) == 1


@pytest.fixture
def outbox_reader(client):
    """A staff member who may only look at the outbox (the secretariat's right)."""
    user = StaffFactory(is_superuser=False)
    user.user_permissions.add(Permission.objects.get(codename="view_outboxemail"))
    client.force_login(user)
    return client


def test_the_staff_finds_the_failed_emails_and_sends_them_again(outbox_reader, smtp):
    failed = failed_row()
    other = failed_row()
    OutboxEmail.objects.filter(pk=other.pk).update(status=Status.SENT)
    changelist = reverse("admin:conservatoire_outboxemail_changelist")

    page = outbox_reader.get(changelist, {"delivery": "failed"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "en échec : à renvoyer" in html  # the "delivery" filter
    assert list(page.context["cl"].result_list) == [failed]
    assert '<option value="resend">Renvoyer</option>' in html

    with committed():
        response = outbox_reader.post(
            changelist,
            {"action": "resend", "_selected_action": [failed.pk, other.pk]},
            follow=True,
        )
    messages = [str(message) for message in response.context["messages"]]
    assert "1 courriel remis en file d’envoi." in messages
    assert "1 courriel déjà envoyé, laissé tel quel." in messages
    failed.refresh_from_db()
    assert failed.status == Status.SENT
    assert [message.to for message in mail.outbox] == [[ADDRESS]]
