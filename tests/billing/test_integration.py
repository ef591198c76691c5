"""With PostgreSQL and a real Celery worker (CI's second pass): the pre-notification
goes from the staff's final amount to the family's mailbox through the broker; writers
racing each other (mandate reservation, a month's export, a rejection against the last
export) leave one consistent record."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from billing import services
from billing.backoffice import collections, exports
from billing.models import CollectionBatch, DebitLine, FamilyBilling, Mandate, RejectionResolution
from billing.rules.schedule import debit_dates
from conservatoire.models import OutboxEmail
from tests.factories import ResponsibleFactory, SchoolYearFactory
from tests.polling import wait_until

from .factories import FamilyBillingFactory, ready_family

pytestmark = [pytest.mark.integration]


def test_a_final_amount_reaches_the_family_through_the_worker(celery_worker, settings, future_year):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    responsible = ResponsibleFactory(email="famille@example.org")
    billing = FamilyBillingFactory(family=responsible.family, school_year=future_year)
    with transaction.atomic():
        services.set_final_amount(billing, amount=Decimal("270"), reason="QF", by=None)
    wait_until(
        lambda: OutboxEmail.objects.filter(
            kind="billing_prenotification", status=OutboxEmail.Status.SENT
        ).exists(),
        20,
    )
    assert [m.to for m in mail.outbox] == [["famille@example.org"]]
    assert FamilyBilling.objects.get(pk=billing.pk).prenotified_total == Decimal("270.00")


@pytest.mark.django_db(transaction=True)
def test_simultaneous_downloads_reserve_a_single_mandate():
    family = ResponsibleFactory().family
    barrier = threading.Barrier(4)
    rums = []

    def download():
        try:
            barrier.wait(timeout=10)
            rums.append(services.reserve_mandate(family).rum)
        finally:
            connection.close()

    threads = [threading.Thread(target=download) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(rums) == 4 and len(set(rums)) == 1
    assert Mandate.objects.filter(family=family).count() == 1


def _in_threads(count, target):
    """Run ``target(index)`` in ``count`` threads released together; their results."""
    barrier = threading.Barrier(count)
    results, errors = [None] * count, []

    def run(index):
        try:
            barrier.wait(timeout=10)
            results[index] = target(index)
        except Exception as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_staff_exporting_a_month_at_once_record_a_single_batch():
    assert connection.vendor == "postgresql"
    year = SchoolYearFactory()
    billings = [ready_family(year, name) for name in ("Martin", "Bernard", "Petit")]
    november = datetime.date(2025, 11, 1)

    results, errors = _in_threads(4, lambda _i: exports.export_month(year, november).pk)

    assert errors == []
    assert len(set(results)) == 1
    assert CollectionBatch.objects.count() == 1
    for billing in billings:
        assert DebitLine.objects.filter(billing=billing).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_rejection_racing_the_last_export_is_carried_or_refused_never_lost():
    """The June debit comes back while staff export July: either July carries it, or the
    rejection is refused ("present again") because July is already recorded."""
    year = SchoolYearFactory()
    billing = ready_family(year)
    months = debit_dates(year.starts_on)
    for month in months[:-1]:
        exports.export_month(year, month)
    june = DebitLine.objects.get(billing=billing, batch__month=months[-2])

    def act(index):
        if index == 0:
            return exports.export_month(year, months[-1])
        return collections.record_rejection(
            june,
            reason="AM04",
            rejected_on=datetime.date.today(),
            resolution=RejectionResolution.REPRESENT,
            by=None,
        )

    results, errors = _in_threads(2, act)

    june.refresh_from_db()
    july = DebitLine.objects.get(billing=billing, batch__month=months[-1])
    if errors:  # the export went first: nothing left to carry the amount
        assert [type(e) for e in errors] == [collections.CannotRepresent]
        assert june.status == "scheduled" and july.represented_amount == 0
    else:  # the rejection went first: July carries it
        assert june.represented_by == july
        assert july.represented_amount == june.amount
