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
