"""Formulas, tariff grids (QF brackets, prices, reductions), family billing, mandates
and the debit ledger; every model is importable from here (``billing.models``)."""

# isort: off
# Imported in the order the models were declared in (the app registry's order).
from .tariffs import Formula, Price, QFBracket, SiblingReduction, TariffGrid
from .family import FamilyBilling, PaymentMode
from .mandates import Mandate, MandateQuerySet
from .ledger import (
    CollectionBatch,
    DebitLine,
    DebitStatus,
    RejectionReason,
    RejectionResolution,
    SequenceType,
)
from .common import MONEY

# isort: on

__all__ = [
    "MONEY",
    "CollectionBatch",
    "DebitLine",
    "DebitStatus",
    "FamilyBilling",
    "Formula",
    "Mandate",
    "MandateQuerySet",
    "PaymentMode",
    "Price",
    "QFBracket",
    "RejectionReason",
    "RejectionResolution",
    "SequenceType",
    "SiblingReduction",
    "TariffGrid",
]
