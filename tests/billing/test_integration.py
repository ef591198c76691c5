"""With PostgreSQL and a real Celery worker (CI's second pass): the pre-notification
goes from the staff's final amount to the family's mailbox through the broker."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import connection, transaction

from billing import services
from billing.models import FamilyBilling, Mandate
from conservatoire.models import OutboxEmail
from tests.factories import ResponsibleFactory
from tests.polling import wait_until

from .factories import FamilyBillingFactory

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
