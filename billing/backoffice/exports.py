"""Staff exports: a month's direct debits (CSV and SEPA pain.008.001.08), the invoices
of one-off payers (CSV with their PayFiP reference), and the tariff grid (CSV).

CSV files are written by :func:`conservatoire.spreadsheets.csv_bytes` (UTF-8 with
a BOM, ``;`` separators, every formula-like cell escaped).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from sepaxml import SepaDD

from conservatoire.models import SchoolYear
from conservatoire.spreadsheets import csv_bytes

from ..conf import creditor
from ..models import FamilyBilling, Mandate, PaymentMode, TariffGrid
from ..rules.sepa import payfip_reference
from .imports import grid_rows

SEPA_SCHEMA = "pain.008.001.08"
PRENOTIFICATION_DAYS = 14


# --- Direct debits -------------------------------------------------------------------------


@dataclass
class Debit:
    billing: FamilyBilling
    mandate: Mandate | None
    due_on: datetime.date
    amount: Decimal
    number: int  # 3 for the 3rd debit of the family's schedule
    count: int
    problems: list[str] = field(default_factory=list)

    @property
    def exportable(self) -> bool:
        return not self.problems


def monthly_debits(
    school_year: SchoolYear, month: datetime.date, collection_date: datetime.date | None = None
) -> list[Debit]:
    """The debits due in ``month`` by the direct-debit families, with what blocks each.

    Blocking problems: no final amount yet, no mandate or no IBAN, mandate not
    signed, schedule not pre-notified 14 days before ``collection_date``.
    """
    collection_date = collection_date or month
    billings = list(
        FamilyBilling.objects.filter(school_year=school_year, payment_mode=PaymentMode.MONTHLY)
        .exclude(final_amount__isnull=True, estimated_total__isnull=True)
        .select_related("family", "school_year")
        .order_by("family__name", "family_id")
    )
    mandates = Mandate.objects.current_by_family(b.family_id for b in billings)
    debits = []
    for billing in billings:
        instalments = billing.schedule()
        for number, instalment in enumerate(instalments, start=1):
            if (instalment.due_on.year, instalment.due_on.month) != (month.year, month.month):
                continue
            mandate = mandates.get(billing.family_id)
            debit = Debit(
                billing=billing,
                mandate=mandate,
                due_on=instalment.due_on,
                amount=instalment.amount,
                number=number,
                count=len(instalments),
            )
            debit.problems = debit_problems(debit, collection_date)
            debits.append(debit)
    return debits


def debit_problems(debit: Debit, collection_date: datetime.date) -> list[str]:
    billing, mandate = debit.billing, debit.mandate
    problems = []
    if billing.final_amount is None:
        problems.append(_("amount not final"))
    if mandate is None or not mandate.iban:
        problems.append(_("no mandate"))
    elif mandate.signed_on is None:
        problems.append(_("mandate not signed"))
    notified = (
        billing.prenotified_at is not None
        and billing.prenotified_total == billing.final_amount
        and billing.prenotified_at.date() + datetime.timedelta(days=PRENOTIFICATION_DAYS)
        <= collection_date
    )
    if billing.final_amount is not None and not notified:
        problems.append(_("not pre-notified 14 days before"))
    return problems


def debits_csv(debits: Sequence[Debit]) -> bytes:
    header = [
        _("Family"),
        _("RUM"),
        _("Mandate signed on"),
        _("Account holder"),
        _("IBAN"),
        _("BIC"),
        _("Due on"),
        _("Instalment"),
        pgettext("billing", "Amount"),
        _("Final amount"),
        _("Problem"),
    ]
    rows = []
    for debit in debits:
        mandate = debit.mandate
        rows.append(
            [
                debit.billing.family.name,
                mandate.rum if mandate else "",
                mandate.signed_on if mandate else "",
                mandate.holder if mandate else "",
                mandate.iban if mandate else "",
                mandate.bic if mandate else "",
                debit.due_on,
                f"{debit.number}/{debit.count}",
                debit.amount,
                _("yes") if debit.billing.final_amount is not None else _("no"),
                ", ".join(debit.problems),
            ]
        )
    return csv_bytes(header, rows)


class NothingToExport(ValueError):
    """No debit of the month can go into a SEPA file."""


def sepa_xml(
    debits: Sequence[Debit], collection_date: datetime.date, *, validate: bool = True
) -> bytes:
    """The SEPA direct-debit file (pain.008.001.08) of the exportable ``debits``,
    all collected on ``collection_date`` (one date per file)."""
    exportable = [d for d in debits if d.exportable]
    if not exportable:
        raise NothingToExport("No debit can be exported.")
    cred = creditor()
    config = {
        "name": cred.name,
        "IBAN": cred.iban,
        "BIC": cred.bic,
        "batch": True,
        "creditor_id": cred.ics,
        "currency": "EUR",
    }
    document = SepaDD(config, schema=SEPA_SCHEMA, clean=True)
    label = exportable[0].billing.school_year.label
    for debit in exportable:
        mandate = debit.mandate
        payment = {
            "name": mandate.holder or debit.billing.family.name,
            "IBAN": mandate.iban,
            "amount": int(debit.amount * 100),
            "type": "RCUR",
            "collection_date": collection_date,
            "mandate_id": mandate.rum,
            "mandate_date": mandate.signed_on,
            "description": (f"{cred.name} {label} echeance {debit.number}/{debit.count}"),
            "endtoend_id": f"{mandate.rum}-{debit.due_on:%Y%m}"[:35],
        }
        if mandate.bic:
            payment["BIC"] = mandate.bic
        document.add_payment(payment)
    return document.export(validate=validate, pretty_print=True)


# --- One-off payers' invoices ------------------------------------------------------------------


@dataclass
class Invoice:
    billing: FamilyBilling
    reference: str
    issued_on: datetime.date
    amount: Decimal


def invoices(school_year: SchoolYear) -> list[Invoice]:
    """The invoices to issue to the families paying in one instalment."""
    billings = (
        FamilyBilling.objects.filter(school_year=school_year, payment_mode=PaymentMode.ONCE)
        .exclude(final_amount__isnull=True, estimated_total__isnull=True)
        .select_related("family", "school_year")
        .prefetch_related("family__responsibles")
        .order_by("family__name", "family_id")
    )
    result = []
    for billing in billings:
        schedule = billing.schedule()
        if not schedule:
            continue
        result.append(
            Invoice(
                billing=billing,
                reference=payfip_reference(school_year.starts_on.year, billing.family_id),
                issued_on=schedule[0].due_on,
                amount=schedule[0].amount,
            )
        )
    return result


def invoices_csv(items: Sequence[Invoice]) -> bytes:
    header = [
        _("PayFiP reference"),
        _("Family"),
        _("Responsibles"),
        _("Email"),
        _("Address"),
        _("Postal code"),
        _("Town"),
        _("Invoice from"),
        pgettext("billing", "Amount"),
        _("Final amount"),
    ]
    rows = []
    for invoice in items:
        family = invoice.billing.family
        responsibles = list(family.responsibles.all())
        rows.append(
            [
                invoice.reference,
                family.name,
                ", ".join(r.get_full_name() for r in responsibles),
                ", ".join(r.email for r in responsibles if r.email),
                family.address,
                family.postal_code,
                family.city,
                invoice.issued_on,
                invoice.amount,
                _("yes") if invoice.billing.final_amount is not None else _("no"),
            ]
        )
    return csv_bytes(header, rows)


# --- Tariff grid ---------------------------------------------------------------------------------


def grid_csv(grid: TariffGrid) -> bytes:
    """The grid in the import format (see :mod:`billing.backoffice.imports`)."""
    header, rows = grid_rows(grid)
    return csv_bytes(header, rows)
