"""Pre-notification of the debit schedule (Celery tasks, through the outbox)."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from billing import tasks
from billing.models import PaymentMode
from conservatoire.models import OutboxEmail
from tests.factories import ResponsibleFactory

from .conftest import committed
from .factories import VALID_IBAN, FamilyBillingFactory, MandateFactory

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def billing(future_year):
    responsible = ResponsibleFactory(email="claire@example.org")
    ResponsibleFactory(family=responsible.family, email="julien@example.org")
    ResponsibleFactory(family=responsible.family, email="ancien@example.org", is_active=False)
    MandateFactory(family=responsible.family, rum="LIM-2026-000001-ABCD")
    return FamilyBillingFactory(
        family=responsible.family,
        school_year=future_year,
        final_amount=D("480.00"),
        final_reason="Tarif QF",
    )


def test_the_schedule_is_emailed_once_per_final_amount(billing, future_year, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with committed():
        assert tasks.send_prenotification(billing.pk) == "sent"
    assert tasks.send_prenotification(billing.pk) == "already sent"
    (message,) = mail.outbox
    assert sorted(message.to) == ["claire@example.org", "julien@example.org"]
    year = future_year.starts_on.year
    assert message.subject == f"Votre échéancier de prélèvements {year}-{year + 1}"
    body = message.body
    assert "480,00\u00a0€" in body
    assert f"1er novembre {year} : 53,36\u00a0€" in body
    assert f"1er juillet {year + 1} : 53,33\u00a0€" in body
    assert "Référence unique du mandat (RUM) : LIM-2026-000001-ABCD" in body
    assert "FR72ZZZ123456" in body
    assert "FR76 **** **** **** **** ***0 189" in body
    assert VALID_IBAN not in body and VALID_IBAN not in message.alternatives[0][0]
    billing.refresh_from_db()
    assert billing.prenotified_total == D("480.00") and billing.prenotified_at is not None


def test_a_changed_final_amount_is_notified_again(billing):
    with committed():
        tasks.send_prenotification(billing.pk)
        billing.final_amount = D("400")
        billing.save()
        assert tasks.send_prenotification(billing.pk) == "sent"
    assert OutboxEmail.objects.filter(kind="billing_prenotification").count() == 2


@pytest.mark.parametrize(
    ("changes", "result"),
    [
        ({"payment_mode": PaymentMode.ONCE}, "skipped"),
        ({"final_amount": None}, "not final"),
        ({"final_amount": D("0")}, "nothing due"),
    ],
)
def test_nothing_is_sent_when_there_is_nothing_to_notify(billing, changes, result):
    for name, value in changes.items():
        setattr(billing, name, value)
    billing.save()
    assert tasks.send_prenotification(billing.pk) == result
    assert not OutboxEmail.objects.exists()


def test_a_family_without_email_is_skipped(future_year):
    billing = FamilyBillingFactory(school_year=future_year, final_amount=D("90"))
    assert tasks.send_prenotification(billing.pk) == "no recipient"
    billing.refresh_from_db()
    assert billing.prenotified_at is None


def test_the_daily_task_catches_every_family_not_yet_notified(billing, future_year):
    notified = FamilyBillingFactory(
        school_year=future_year,
        final_amount=D("90"),
        prenotified_total=D("90"),
        family=ResponsibleFactory().family,
    )
    FamilyBillingFactory(school_year=future_year)  # estimate only
    FamilyBillingFactory(
        school_year=future_year, payment_mode=PaymentMode.ONCE, final_amount=D("9")
    )
    with committed():
        assert tasks.send_due_prenotifications() == 1
    assert OutboxEmail.objects.filter(kind="billing_prenotification").count() == 1
    notified.refresh_from_db()
    billing.refresh_from_db()
    assert billing.prenotified_total == D("480.00")
    with committed():
        assert tasks.send_due_prenotifications() == 0


def test_a_changed_amount_mid_year_notifies_the_debits_from_the_ledger(billing, future_year):
    """Two debits sent for 480 €, then 600 €: the email lists them, then the new plan."""
    from billing.backoffice import exports

    year = future_year.starts_on.year
    with committed():
        tasks.send_prenotification(billing.pk)
    billing.refresh_from_db()
    billing.prenotified_at = billing.prenotified_at - datetime.timedelta(days=400)
    billing.save()
    for month in (11, 12):
        exports.export_month(future_year, datetime.date(year, month, 1))
    billing.final_amount = D("600.00")
    billing.save()

    with committed():
        assert tasks.send_prenotification(billing.pk) == "sent"

    body = OutboxEmail.objects.filter(kind="billing_prenotification").latest("pk").body_text
    assert "600,00\u00a0€" in body
    assert f"1er novembre {year} : 53,36\u00a0€" in body  # sent already, not collected yet
    assert f"1er décembre {year} : 53,33\u00a0€" in body
    assert f"1er janvier {year + 1} : 70,49\u00a0€" in body  # (600 − 106,69) over 7
    assert f"1er juillet {year + 1} : 70,47\u00a0€" in body


def test_the_email_says_what_was_already_debited(billing, future_year, monkeypatch):
    from billing.backoffice import collections, exports

    year = future_year.starts_on.year
    billing.prenotified_at = timezone.now() - datetime.timedelta(days=400)
    billing.prenotified_total = billing.final_amount
    billing.save()
    batch = exports.export_month(future_year, datetime.date(year, 11, 1))
    collections.mark_collected(batch, by=None, today=batch.collection_date)
    billing.final_amount = D("500.00")
    billing.save()
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: datetime.date(year, 11, 20))

    with committed():
        assert tasks.send_prenotification(billing.pk) == "sent"

    body = OutboxEmail.objects.get(kind="billing_prenotification").body_text
    assert "53,36\u00a0€ ont déjà été prélevés." in body
    assert f"1er novembre {year}" not in body
    assert f"1er décembre {year} : 55,83\u00a0€" in body  # (500 − 53,36) over 8
