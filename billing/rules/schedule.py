"""When a family pays: proration of a late start and the instalments of a total.

Pure functions on plain values (``Decimal`` euros, dates); no ORM.

The dates and the count are the school year's (``SchoolYear.single_payment_on``,
``first_debit_on``, ``instalments``, edited by staff), handed over as a
:class:`PaymentCalendar`; a plain ``datetime.date`` (the first day of the school
year) stands for the calendar of the 2025-2026 family guide, shifted to that year:

- proration: "Si vous commencez en cours d'année, une proratisation sera
  calculée sur la base du paiement en 9 fois": a student arriving in January
  pays the instalments from January to July, 7 of 9 ninths; starts up to the
  month of the first debit pay the whole year ("Toute inscription engage le
  règlement de l'année complète");
- schedule: "Règlement en 1 fois" is one amount invoiced from 25 October (or
  the start date, if later); "Prélèvement automatique en 9 fois" is one debit on
  the 1st of each month from November to July (fewer after a late start), the
  amounts summing exactly to the total, the remainder on the first debit.

Money is quantized with :func:`conservatoire.money.to_money` only.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from conservatoire.money import to_money

ONCE = "once"
MONTHLY = "monthly"
PAYMENT_MODES = (ONCE, MONTHLY)

# The family guide's calendar (a school year whose dates were not set differently).
INSTALMENTS = 9  # November to July
FIRST_DEBIT_MONTH = 11  # November
INVOICE_MONTH_DAY = (10, 25)  # "à partir du 25 octobre"


# --- The school year's calendar ----------------------------------------------------------


def add_months(date: datetime.date, months: int) -> datetime.date:
    """The 1st of the month ``months`` after ``date``'s."""
    index = date.month - 1 + months
    return datetime.date(date.year + index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class PaymentCalendar:
    """When a school year's payments fall: the single payment's invoice date, the
    first direct debit (the 1st of a month) and how many debits, one a month."""

    year_start: datetime.date
    single_payment_on: datetime.date
    first_debit_on: datetime.date
    instalments: int = INSTALMENTS

    def __post_init__(self):
        if self.instalments < 1:
            raise ValueError("A calendar needs at least one instalment.")
        if self.first_debit_on.day != 1:
            raise ValueError("Debits fall on the 1st of a month.")

    @classmethod
    def default(cls, year_start: datetime.date) -> PaymentCalendar:
        """The family guide's calendar for the school year starting on ``year_start``."""
        month, day = INVOICE_MONTH_DAY
        return cls(
            year_start=year_start,
            single_payment_on=datetime.date(year_start.year, month, day),
            first_debit_on=datetime.date(year_start.year, FIRST_DEBIT_MONTH, 1),
            instalments=INSTALMENTS,
        )

    @classmethod
    def of(cls, school_year) -> PaymentCalendar:
        """The calendar of a ``conservatoire.models.SchoolYear`` (its attributes only)."""
        default = cls.default(school_year.starts_on)
        return cls(
            year_start=school_year.starts_on,
            single_payment_on=school_year.single_payment_on or default.single_payment_on,
            first_debit_on=(school_year.first_debit_on or default.first_debit_on).replace(day=1),
            instalments=school_year.instalments or default.instalments,
        )

    @property
    def last_debit_on(self) -> datetime.date:
        return add_months(self.first_debit_on, self.instalments - 1)


YearCalendar = datetime.date | PaymentCalendar


def as_calendar(year: YearCalendar) -> PaymentCalendar:
    """``year`` as a calendar: a date is the first day of a school year on the guide's."""
    if isinstance(year, PaymentCalendar):
        return year
    return PaymentCalendar.default(year)


# --- Proration ---------------------------------------------------------------------------


def months_due(starts_on: datetime.date | None, year: YearCalendar) -> int:
    """How many of the year's instalments a student starting on ``starts_on`` pays.

    No date, a start before the school year or up to the month of the first debit:
    all of them (9). Each month after it, one fewer: December 8, January 7 … July 1.
    After the month of the last debit (August): refused.
    """
    calendar = as_calendar(year)
    if starts_on is None:
        return calendar.instalments
    first = calendar.first_debit_on
    late = (starts_on.year - first.year) * 12 + starts_on.month - first.month
    if late <= 0:
        return calendar.instalments
    due = calendar.instalments - late
    if due <= 0:
        raise ValueError(f"{starts_on} is after the last instalment of the school year.")
    return due


def last_start_date(year: YearCalendar) -> datetime.date:
    """The last day a student may start and still owe an instalment (31 July): the end
    of the month of the last debit."""
    return add_months(as_calendar(year).last_debit_on, 1) - datetime.timedelta(days=1)


def prorate(amount: Decimal, ninths: int, instalments: int = INSTALMENTS) -> Decimal:
    """``ninths`` of ``instalments`` parts (9 by default) of an annual ``amount``, to the
    cent."""
    if not 0 <= ninths <= instalments:
        raise ValueError(f"ninths must be between 0 and {instalments}")
    if ninths == instalments:
        return to_money(amount)
    return to_money(Decimal(amount) * ninths / instalments)


# --- Schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    due_on: datetime.date
    amount: Decimal


def debit_dates(year: YearCalendar, starts_on: datetime.date | None = None) -> list[datetime.date]:
    """The 1st of each month from the first debit (November; or the start month, if
    later) to the last (July)."""
    calendar = as_calendar(year)
    count = months_due(starts_on, calendar)
    return [
        add_months(calendar.first_debit_on, index)
        for index in range(calendar.instalments - count, calendar.instalments)
    ]


def invoice_date(year: YearCalendar, starts_on: datetime.date | None = None) -> datetime.date:
    """One-off payment: invoiced from the year's date (25 October), or from the start
    date if later."""
    calendar = as_calendar(year)
    date = calendar.single_payment_on
    if starts_on is not None and starts_on > date:
        months_due(starts_on, calendar)  # refuses a start after the last debit
        return starts_on
    return date


def split_evenly(total: Decimal, count: int) -> list[Decimal]:
    """``count`` amounts summing exactly to ``total``; the remainder cents on the first."""
    if count <= 0:
        raise ValueError("count must be positive")
    total = to_money(total)
    if total < 0:
        raise ValueError("a schedule cannot split a negative total")
    cents = int(total * 100)
    share, remainder = divmod(cents, count)
    amounts = [share] * count
    amounts[0] += remainder
    return [to_money(Decimal(c) / 100) for c in amounts]


def schedule(
    total: Decimal,
    payment_mode: str,
    year: YearCalendar,
    starts_on: datetime.date | None = None,
) -> list[Instalment]:
    """The instalments of ``total`` in ``payment_mode``; none when nothing is due."""
    if payment_mode not in PAYMENT_MODES:
        raise ValueError(f"Unknown payment mode {payment_mode!r}")
    total = to_money(total)
    if total == 0:
        return []
    if payment_mode == ONCE:
        return [Instalment(invoice_date(year, starts_on), total)]
    dates = debit_dates(year, starts_on)
    return [
        Instalment(date, amount)
        for date, amount in zip(dates, split_evenly(total, len(dates)), strict=True)
    ]


# --- The debit ledger: what is left, spread over the months left ------------------------------


def next_debit(amount_due: Decimal, already_debited: Decimal, months_left: int) -> Decimal:
    """This month's debit: what is still to debit, spread over the ``months_left`` debits
    left (this one included), the remainder cents on this one.

    ``already_debited`` is what earlier debits took out of the plan (collected,
    scheduled, rejected ones awaiting their follow-up, moved to a single payment).
    So a final amount changed mid-year changes the future debits only, and the
    year's debits sum to the amount due. More debited than due: nothing (the
    difference is refunded, never debited negative). With no change, the debits
    are those of :func:`schedule`.
    """
    if months_left <= 0:
        raise ValueError("months_left must be positive")
    remaining = to_money(amount_due) - to_money(already_debited)
    if remaining <= 0:
        return to_money(0)
    return split_evenly(remaining, months_left)[0]


def remaining_plan(
    amount_due: Decimal, already_debited: Decimal, dates: list[datetime.date]
) -> list[Instalment]:
    """The debits still to come on ``dates``: what is left, spread as :func:`next_debit` does
    (its first amount is the next debit). Nothing left: none."""
    remaining = to_money(amount_due) - to_money(already_debited)
    if remaining <= 0 or not dates:
        return []
    return [
        Instalment(date, amount)
        for date, amount in zip(dates, split_evenly(remaining, len(dates)), strict=True)
    ]
