"""Staff exports: a month's direct debits (a recorded batch, its CSV and SEPA
pain.008.001.08 files, the latter built by :mod:`.sepa_xml`), the invoices of
one-off payers and of debits moved to a single payment (CSV with their PayFiP
reference), and the tariff grid (CSV).

Money leaves the building with a record first: exporting a month records a
:class:`~billing.models.CollectionBatch` and its :class:`~billing.models.DebitLine`
rows (in a transaction holding a lock on the year's direct-debit billings), then
produces both files from them and keeps their bytes. Exporting the month again
gives back the same batch: the same files, the same message id, never a second
set of debits. Each family's debit is what is left of its amount due spread over
its months left (:func:`billing.rules.schedule.next_debit`), plus the rejected
debits staff chose to present again.

CSV files are written by :func:`conservatoire.spreadsheets.csv_bytes` (UTF-8 with
a BOM, ``;`` separators, every formula-like cell escaped).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from conservatoire.models import SchoolYear
from conservatoire.spreadsheets import csv_bytes

from .. import ledger
from ..conf import creditor
from ..models import (
    CollectionBatch,
    DebitLine,
    DebitStatus,
    FamilyBilling,
    Mandate,
    PaymentMode,
    RejectionResolution,
    SequenceType,
    TariffGrid,
)
from ..rules.schedule import PaymentCalendar, debit_dates, invoice_date, next_debit
from ..rules.sepa import HOLDER_MAX_LENGTH, payfip_reference, same_bank
from .imports import grid_rows
from .sepa_xml import SEPA_SCHEMA, batch_sepa_xml

PRENOTIFICATION_DAYS = 14


class NothingToExport(ValueError):
    """No debit of the month can go into a batch."""


class LaterMonthExported(ValueError):
    """A later month of the school year already has its batch: batches go forward."""

    def __init__(self, month: datetime.date):
        super().__init__(f"The debits of {month:%Y-%m} are already exported.")
        self.month = month


# --- The month's debits, before they are recorded ---------------------------------------------


@dataclass
class Debit:
    """A family's debit of the month as the batch would record it, or what blocks it."""

    billing: FamilyBilling
    mandate: Mandate | None
    due_on: datetime.date
    amount: Decimal  # the rejected debits presented again included
    number: int  # 3 for the 3rd debit of the family's year
    count: int
    represented: Decimal = Decimal("0.00")
    represents: list[DebitLine] = field(default_factory=list)
    sequence_type: str = SequenceType.RECURRING
    amends: Mandate | None = None  # the first debit after an amendment: the amended mandate
    problems: list[str] = field(default_factory=list)

    @property
    def exportable(self) -> bool:
        return not self.problems


def monthly_debits(
    school_year: SchoolYear, month: datetime.date, collection_date: datetime.date | None = None
) -> list[Debit]:
    """The debits ``month``'s batch would hold, from the ledger, with what blocks each.

    A family's debit: what is left of its amount due (after every earlier debit,
    whatever its status) spread over its months left, plus its rejected debits
    to present again. Blocking problems: no final amount yet, no mandate or no
    IBAN, mandate not signed, schedule not pre-notified 14 days before
    ``collection_date``. A blocked family is not debited this month: what it owes
    is spread over the months after.
    """
    collection_date = collection_date or month
    billings = list(
        FamilyBilling.objects.filter(school_year=school_year, payment_mode=PaymentMode.MONTHLY)
        .exclude(final_amount__isnull=True, estimated_total__isnull=True)
        .select_related("family", "school_year")
        .prefetch_related("debit_lines")
        .order_by("family__name", "family_id")
    )
    mandates = Mandate.objects.select_related("amended_from").current_by_family(
        b.family_id for b in billings
    )
    used = set(
        DebitLine.objects.filter(mandate__family_id__in=[b.family_id for b in billings])
        .values_list("mandate_id", flat=True)
        .distinct()
    )
    debits = []
    for billing in billings:
        dates = ledger.months_left(billing, month)
        if not dates or dates[0] != month:
            continue  # a late start: not yet
        lines = list(billing.debit_lines.all())
        balance = ledger.balance_of(billing, lines)
        amount = next_debit(balance.amount_due, balance.debited, len(dates))
        amount += balance.to_represent
        if amount <= 0:
            continue
        count = len(debit_dates(PaymentCalendar.of(school_year), billing.starts_on))
        mandate = mandates.get(billing.family_id)
        debit = Debit(
            billing=billing,
            mandate=mandate,
            due_on=month,
            amount=amount,
            number=count - len(dates) + 1,
            count=count,
            represented=balance.to_represent,
            represents=[
                line
                for line in lines
                if line.status == DebitStatus.REJECTED
                and line.resolution == RejectionResolution.REPRESENT
                and line.represented_by_id is None
            ],
        )
        if mandate is not None:
            debit.sequence_type = sequence_type(mandate, used)
            if mandate.pk not in used and mandate.amended_from_id:
                debit.amends = mandate.amended_from
        debit.problems = debit_problems(debit, collection_date)
        debits.append(debit)
    return debits


def sequence_type(mandate: Mandate, used: set[int]) -> str:
    """FRST for a mandate's first debit, RCUR after; an amendment within the same bank
    continues the mandate it amends, one to another bank starts again (FRST)."""
    if mandate.pk in used:
        return SequenceType.RECURRING
    amended = mandate.amended_from
    if amended is not None and amended.iban and same_bank(amended.iban, mandate.iban):
        return sequence_type(amended, used)
    return SequenceType.FIRST


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


# --- Recording a month: the batch, its lines, its files ----------------------------------------


def batch_of(school_year: SchoolYear, month: datetime.date) -> CollectionBatch | None:
    return CollectionBatch.objects.filter(school_year=school_year, month=month).first()


def export_month(
    school_year: SchoolYear,
    month: datetime.date,
    collection_date: datetime.date | None = None,
    *,
    by=None,
) -> CollectionBatch:
    """The batch of ``month``: the one recorded, or a new one with its lines and files.

    A new batch is decided inside a transaction that first locks the year's
    direct-debit billings: a second export of the month (two staff clicking at
    once) waits for the first to commit, then finds its batch and returns it.
    Raises :class:`NothingToExport` when no debit can go into a new batch and
    :class:`LaterMonthExported` when a later month already has its batch.
    """
    batch = batch_of(school_year, month)
    if batch is not None:
        return batch
    collection_date = collection_date or month
    try:
        with transaction.atomic():
            list(
                FamilyBilling.objects.select_for_update()
                .filter(school_year=school_year, payment_mode=PaymentMode.MONTHLY)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
            batch = batch_of(school_year, month)
            if batch is not None:
                return batch
            later = (
                CollectionBatch.objects.filter(school_year=school_year, month__gt=month)
                .order_by("-month")
                .first()
            )
            if later is not None:
                raise LaterMonthExported(later.month)
            debits = monthly_debits(school_year, month, collection_date)
            debits = [debit for debit in debits if debit.exportable]
            if not debits:
                raise NothingToExport("No debit can be exported.")
            return _record_batch(school_year, month, collection_date, debits, by)
    except IntegrityError:
        batch = batch_of(school_year, month)  # recorded meanwhile (the lock's last resort)
        if batch is None:
            raise
        return batch


def _record_batch(school_year, month, collection_date, debits, by) -> CollectionBatch:
    now = timezone.now()
    cred = creditor()
    batch = CollectionBatch.objects.create(
        school_year=school_year,
        month=month,
        collection_date=collection_date,
        message_id=f"{cred.rum_prefix}-PRLV-{month:%Y%m}-{timezone.localtime(now):%Y%m%d%H%M%S}"[
            :35
        ],
        schema=SEPA_SCHEMA,
        sepa_file=b"",
        csv_file=b"",
        created_by=by,
        created_at=now,
    )
    lines = []
    for debit in debits:
        mandate, billing = debit.mandate, debit.billing
        description = f"{cred.name} {school_year.label} echeance {debit.number}/{debit.count}" + (
            " et impaye represente" if debit.represented else ""
        )
        line = DebitLine.objects.create(
            batch=batch,
            billing=billing,
            mandate=mandate,
            rum=mandate.rum,
            iban=mandate.iban,
            bic=mandate.bic,
            holder=(mandate.holder or billing.family.name)[:HOLDER_MAX_LENGTH],
            mandate_signed_on=mandate.signed_on,
            original_rum=debit.amends.rum if debit.amends else "",
            original_iban=debit.amends.iban if debit.amends else "",
            amount=debit.amount,
            represented_amount=debit.represented,
            collection_date=collection_date,
            instalment_number=debit.number,
            instalment_count=debit.count,
            sequence_type=debit.sequence_type,
            end_to_end_id=f"{mandate.rum}-{month:%Y%m}"[:35],
            description=description[:140],
        )
        for rejected in debit.represents:
            rejected.represented_by = line
            rejected.save(update_fields=["represented_by"])
        lines.append(line)
    batch.csv_file = batch_csv(lines)
    batch.sepa_file = batch_sepa_xml(batch, lines)
    batch.save(update_fields=["csv_file", "sepa_file"])
    return batch


def batch_csv(lines: Sequence[DebitLine]) -> bytes:
    """The batch's debits for the staff (the bank gets the SEPA file)."""
    header = [
        _("Family"),
        _("RUM"),
        _("Mandate signed on"),
        _("Account holder"),
        _("IBAN"),
        _("BIC"),
        _("Collection date"),
        _("Instalment"),
        _("Sequence"),
        pgettext("billing", "Amount"),
        _("Of which presented again"),
        _("End-to-end id"),
    ]
    rows = [
        [
            line.billing.family.name,
            line.rum,
            line.mandate_signed_on,
            line.holder,
            line.iban,
            line.bic,
            line.collection_date,
            f"{line.instalment_number}/{line.instalment_count}",
            line.sequence_type,
            line.amount,
            line.represented_amount,
            line.end_to_end_id,
        ]
        for line in lines
    ]
    return csv_bytes(header, rows)


# --- One-off payers' invoices ------------------------------------------------------------------


@dataclass
class Invoice:
    billing: FamilyBilling
    reference: str
    issued_on: datetime.date
    amount: Decimal


def invoices(school_year: SchoolYear) -> list[Invoice]:
    """The invoices to issue: the families paying in one instalment (what their debits,
    if any, left), the rejected debits staff moved to a single payment, and what a
    direct-debit family still owes when no debit month is left (an amount raised
    after the year's last batch)."""
    billings = (
        FamilyBilling.objects.filter(school_year=school_year)
        .exclude(final_amount__isnull=True, estimated_total__isnull=True)
        .select_related("family", "school_year")
        .prefetch_related("family__responsibles", "debit_lines")
        .order_by("family__name", "family_id")
    )
    last_batch = ledger.last_batch_month(school_year)
    result = []
    for billing in billings:
        lines = list(billing.debit_lines.all())
        balance = ledger.balance_of(billing, lines)
        if billing.payment_mode == PaymentMode.ONCE:
            amount = balance.remaining + balance.single_payment
            issued_on = invoice_date(PaymentCalendar.of(school_year), billing.starts_on)
        else:
            amount = balance.single_payment
            dates = [
                line.rejected_on
                for line in lines
                if line.resolution == RejectionResolution.SINGLE_PAYMENT
            ]
            if balance.remaining > 0 and not ledger.open_months(billing, last_batch):
                amount += balance.remaining
                dates.append(
                    timezone.localtime(billing.final_set_at).date()
                    if billing.final_set_at
                    else last_batch
                )
            issued_on = max(dates) if dates else None
        if amount <= 0:
            continue
        result.append(
            Invoice(
                billing=billing,
                reference=payfip_reference(school_year.starts_on.year, billing.family_id),
                issued_on=issued_on,
                amount=amount,
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
