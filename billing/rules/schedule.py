"""When a family pays: proration of a late start and the instalments of a total.

Pure functions on plain values (``Decimal`` euros, dates); no ORM.

- proration: "Si vous commencez en cours d'année, une proratisation sera
  calculée sur la base du paiement en 9 fois": a student arriving in January
  pays the instalments from January to July, 7 of 9 ninths; September, October
  and November starts pay the whole year ("Toute inscription engage le
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

INSTALMENTS = 9  # November to July
SCHOOL_YEAR_FIRST_MONTH = 9  # September
FIRST_DEBIT_MONTH = 11  # November
INVOICE_MONTH_DAY = (10, 25)  # "à partir du 25 octobre"


# --- Proration ---------------------------------------------------------------------------


def months_due(starts_on: datetime.date | None, year_start: datetime.date) -> int:
    """How many of the 9 instalments a student starting on ``starts_on`` pays.

    ``year_start`` is the first day of the school year (1 September). No date,
    a start before the school year or in September, October or November: 9.
    December: 8, January: 7 … July: 1. August (after the last debit): refused.
    """
    if starts_on is None:
        return INSTALMENTS
    index = (starts_on.year - year_start.year) * 12 + starts_on.month - SCHOOL_YEAR_FIRST_MONTH
    first_debit_index = FIRST_DEBIT_MONTH - SCHOOL_YEAR_FIRST_MONTH  # 2
    if index <= first_debit_index:
        return INSTALMENTS
    due = INSTALMENTS - (index - first_debit_index)
    if due <= 0:
        raise ValueError(f"{starts_on} is after the last instalment of the school year.")
    return due


def last_start_date(year_start: datetime.date) -> datetime.date:
    """The last day a student may start and still owe an instalment (31 July)."""
    return datetime.date(year_start.year + 1, 7, 31)


def prorate(amount: Decimal, ninths: int) -> Decimal:
    """``ninths`` ninths of an annual ``amount``, to the cent."""
    if not 0 <= ninths <= INSTALMENTS:
        raise ValueError("ninths must be between 0 and 9")
    if ninths == INSTALMENTS:
        return to_money(amount)
    return to_money(Decimal(amount) * ninths / INSTALMENTS)


# --- Schedules ------------------------------------------------------------------------


@dataclass(frozen=True)
class Instalment:
    due_on: datetime.date
    amount: Decimal


def debit_dates(
    year_start: datetime.date, starts_on: datetime.date | None = None
) -> list[datetime.date]:
    """The 1st of each month from November (or the start month, if later) to July."""
    count = months_due(starts_on, year_start)
    dates = []
    for index in range(INSTALMENTS - count, INSTALMENTS):
        month = FIRST_DEBIT_MONTH + index
        year = year_start.year + (month - 1) // 12
        dates.append(datetime.date(year, (month - 1) % 12 + 1, 1))
    return dates


def invoice_date(
    year_start: datetime.date, starts_on: datetime.date | None = None
) -> datetime.date:
    """One-off payment: invoiced from 25 October, or from the start date if later."""
    month, day = INVOICE_MONTH_DAY
    date = datetime.date(year_start.year, month, day)
    if starts_on is not None and starts_on > date:
        months_due(starts_on, year_start)  # refuses a start after July
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
    year_start: datetime.date,
    starts_on: datetime.date | None = None,
) -> list[Instalment]:
    """The instalments of ``total`` in ``payment_mode``; none when nothing is due."""
    if payment_mode not in PAYMENT_MODES:
        raise ValueError(f"Unknown payment mode {payment_mode!r}")
    total = to_money(total)
    if total == 0:
        return []
    if payment_mode == ONCE:
        return [Instalment(invoice_date(year_start, starts_on), total)]
    dates = debit_dates(year_start, starts_on)
    return [
        Instalment(date, amount)
        for date, amount in zip(dates, split_evenly(total, len(dates)), strict=True)
    ]
