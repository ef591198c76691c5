"""A family's debit ledger, read from the database: its balance and the debits to come.

The arithmetic is :mod:`billing.rules.ledger` (the balance) and
:func:`billing.rules.schedule.next_debit` / ``remaining_plan`` (the spreading); this
module feeds them with a family billing's :class:`~billing.models.DebitLine` rows.
Recording batches and rejections is staff work (:mod:`billing.backoffice.collections`).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from .models import CollectionBatch, DebitLine, DebitStatus, FamilyBilling
from .rules import ledger as rules
from .rules.schedule import Instalment, PaymentCalendar, debit_dates, remaining_plan


def balance_of(billing: FamilyBilling, lines: Iterable[DebitLine] | None = None) -> rules.Balance:
    """What the family's debits add up to for its amount due (0 when none is known).

    Pass ``lines`` (all of the billing's) to spare the query.
    """
    if lines is None:
        lines = billing.debit_lines.all()
    amount_due = billing.amount_due if billing.amount_due is not None else Decimal("0")
    return rules.balance(amount_due, [line.as_entry() for line in lines])


def months_left(billing: FamilyBilling, since: datetime.date) -> list[datetime.date]:
    """The family's debit dates (the 1st of each month) from ``since`` on, its first
    start respected."""
    calendar = PaymentCalendar.of(billing.school_year)
    return [d for d in debit_dates(calendar, billing.starts_on) if d >= since]


def open_months(billing: FamilyBilling, last_batch: datetime.date | None) -> list[datetime.date]:
    """The family's debit months that no batch has reached (``last_batch``: the year's
    last batch month). None left: what remains can only be invoiced."""
    since = last_batch + datetime.timedelta(days=1) if last_batch else billing.school_year.starts_on
    return months_left(billing, since)


def last_batch_month(school_year) -> datetime.date | None:
    return (
        CollectionBatch.objects.filter(school_year=school_year)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )


def debit_schedule(billing: FamilyBilling, today: datetime.date | None = None) -> list[Instalment]:
    """The family's debits as the ledger has them: those sent to the bank and not
    rejected, then the plan of what is left over the months no batch has reached
    (from ``today`` on, when given), rejected debits to present again added to the
    first. After a change of the amount due, only the plan moves."""
    lines = list(billing.debit_lines.all())
    balance = balance_of(billing, lines)
    sent = [
        Instalment(line.collection_date, line.amount)
        for line in sorted(lines, key=lambda line: (line.collection_date, line.pk))
        if line.status != DebitStatus.REJECTED
    ]
    dates = open_months(billing, last_batch_month(billing.school_year))
    if today is not None:
        dates = [d for d in dates if d >= today]
    plan = remaining_plan(balance.amount_due, balance.debited, dates)
    if plan and balance.to_represent:
        first = plan[0]
        plan[0] = Instalment(first.due_on, first.amount + balance.to_represent)
    return sent + plan


def upcoming_debits(billing: FamilyBilling, today: datetime.date) -> list[Instalment]:
    """The debits the family will see from ``today`` (the pre-notification's list)."""
    return [i for i in debit_schedule(billing, today) if i.due_on >= today]


def debited_before(billing: FamilyBilling, today: datetime.date) -> Decimal:
    """What the family's debits took before ``today`` and did not give back: collected,
    or sent for an earlier date and not rejected."""
    return sum(
        (
            line.amount
            for line in billing.debit_lines.exclude(status=DebitStatus.REJECTED)
            if line.status == DebitStatus.COLLECTED or line.collection_date < today
        ),
        Decimal("0.00"),
    )
