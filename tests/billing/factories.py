"""Factories of the billing models (the demo grid covers most tests)."""

import datetime
from decimal import Decimal

import factory

from billing.models import FamilyBilling, Mandate, PaymentMode
from tests.factories import FamilyFactory, SchoolYearFactory

VALID_IBAN = "FR7630006000011234567890189"
VALID_BIC = "AGRIFRPPXXX"


class FamilyBillingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FamilyBilling

    family = factory.SubFactory(FamilyFactory)
    school_year = factory.SubFactory(SchoolYearFactory)
    payment_mode = PaymentMode.MONTHLY
    estimated_total = Decimal("480.00")


class MandateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Mandate

    family = factory.SubFactory(FamilyFactory)
    rum = factory.Sequence(lambda n: f"LIM-2025-{n:06d}-TEST")
    iban = VALID_IBAN
    bic = VALID_BIC
    holder = "Claire Martin"
    signed_on = datetime.date(2025, 6, 20)


def ready_family(school_year, name="Martin", final=None, **mandate):
    """A direct-debit family whose debits can leave: final amount, signed mandate,
    schedule pre-notified on 1 October 2025 (the ``school_year`` fixture's year)."""
    from django.utils import timezone

    from tests.factories import ResponsibleFactory

    final = final or Decimal("480.00")
    family = FamilyFactory(name=name)
    ResponsibleFactory(family=family, email=f"{name.lower()}@example.org")
    billing = FamilyBillingFactory(
        family=family,
        school_year=school_year,
        payment_mode=PaymentMode.MONTHLY,
        estimated_total=final,
        final_amount=final,
        final_reason="Tarif QF",
        prenotified_at=timezone.make_aware(datetime.datetime(2025, 10, 1, 9, 0)),
        prenotified_total=final,
    )
    MandateFactory(family=family, **mandate)
    return billing
