"""Billing rules: pure functions on plain values (``Decimal`` euros, dates). No ORM.

"Concernant le payement" in the family guide:

- bracket: a resident of Limonest with a proven QF pays the line of the grid
  whose bounds (inclusive) contain that QF; a resident without a proven QF pays
  the highest line; a non-resident pays the non-resident tariff;
- proration: "Si vous commencez en cours d'année, une proratisation sera
  calculée sur la base du paiement en 9 fois": a student arriving in January
  pays the instalments from January to July, 7 of 9 ninths; September, October
  and November starts pay the whole year ("Toute inscription engage le
  règlement de l'année complète");
- sibling reductions by rank, the enrolments ordered from the most to the least
  expensive; then the Pass'Culture de Limonest deduction, once per family;
- schedule: "Règlement en 1 fois" is one amount invoiced from 25 October (or
  the start date, if later); "Prélèvement automatique en 9 fois" is one debit on
  the 1st of each month from November to July (fewer after a late start), the
  amounts summing exactly to the total, the remainder on the first debit.

Money is quantized with :func:`conservatoire.money.to_money` only.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from django.utils.translation import gettext as _

from conservatoire.money import to_money

ONCE = "once"
MONTHLY = "monthly"
PAYMENT_MODES = (ONCE, MONTHLY)

INSTALMENTS = 9  # November to July
SCHOOL_YEAR_FIRST_MONTH = 9  # September
FIRST_DEBIT_MONTH = 11  # November
INVOICE_MONTH_DAY = (10, 25)  # "à partir du 25 octobre"
ZERO = Decimal("0.00")
HUNDRED = Decimal(100)


# --- Brackets ------------------------------------------------------------------


@dataclass(frozen=True)
class Bracket:
    """A line of the grid for residents: QF from ``min_qf`` to ``max_qf`` inclusive."""

    key: str
    label: str
    min_qf: int
    max_qf: int | None = None  # None: open-ended ("1501 et plus")
    order: int = 0

    def contains(self, qf: int) -> bool:
        return self.min_qf <= qf and (self.max_qf is None or qf <= self.max_qf)


class BracketKind(StrEnum):
    QF = "qf"  # resident with a proven QF
    HIGHEST = "highest"  # resident without a proven QF
    NON_RESIDENT = "non_resident"


@dataclass(frozen=True)
class BracketChoice:
    bracket: Bracket | None  # None: the non-resident tariff
    kind: BracketKind


def highest_bracket(brackets: Sequence[Bracket]) -> Bracket:
    """The line for the highest QF (the one a resident without a proven QF pays)."""
    if not brackets:
        raise ValueError("The grid has no QF bracket.")
    return max(brackets, key=lambda b: (b.min_qf, b.max_qf is None, b.max_qf or 0))


def select_bracket(
    brackets: Sequence[Bracket], *, is_resident: bool, qf_value: int | None, qf_proven: bool
) -> BracketChoice:
    """Which line of the grid a family pays."""
    if not is_resident:
        return BracketChoice(None, BracketKind.NON_RESIDENT)
    if qf_proven and qf_value is not None:
        for bracket in sorted(brackets, key=lambda b: b.min_qf):
            if bracket.contains(qf_value):
                return BracketChoice(bracket, BracketKind.QF)
    # No proven QF, or a QF no line contains (a grid with a hole): the highest line.
    return BracketChoice(highest_bracket(brackets), BracketKind.HIGHEST)


def bracket_problems(brackets: Sequence[Bracket]) -> list[str]:
    """What is wrong with a set of brackets: they must cover every QF from 0, once.

    Returns French messages (empty when the brackets are sound).
    """
    if not brackets:
        return [_("The grid needs at least one QF bracket.")]
    problems = []
    ordered = sorted(brackets, key=lambda b: b.min_qf)
    if ordered[0].min_qf != 0:
        problems.append(_("The first bracket must start at a QF of 0."))
    for bracket in ordered:
        if bracket.max_qf is not None and bracket.max_qf < bracket.min_qf:
            problems.append(
                _("Bracket “%(label)s”: the maximum is lower than the minimum.")
                % {"label": bracket.label}
            )
    for current, following in zip(ordered, ordered[1:], strict=False):
        if current.max_qf is None:
            problems.append(
                _("Only the last bracket may be open-ended (“%(label)s” is not the last).")
                % {"label": current.label}
            )
        elif following.min_qf <= current.max_qf:
            problems.append(
                _("Brackets “%(a)s” and “%(b)s” overlap.")
                % {"a": current.label, "b": following.label}
            )
        elif following.min_qf > current.max_qf + 1:
            problems.append(
                _("No bracket contains the QF from %(start)s to %(end)s.")
                % {"start": current.max_qf + 1, "end": following.min_qf - 1}
            )
    if ordered[-1].max_qf is not None:
        problems.append(_("The last bracket must be open-ended (no maximum)."))
    labels = [b.label for b in brackets]
    if len(set(labels)) != len(labels):
        problems.append(_("Two brackets have the same label."))
    return problems


# --- Proration -------------------------------------------------------------------


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


# --- Sibling reductions -------------------------------------------------------------


def reduction_percent(rank: int, reductions: Mapping[int, Decimal]) -> Decimal:
    """The reduction of the ``rank``-th enrolment: the rate of the highest rank ≤ it.

    ``{2: 10, 3: 20}``: the 2nd pays −10 %, the 3rd, 4th… −20 %, the 1st nothing.
    """
    applicable = [from_rank for from_rank in reductions if from_rank <= rank]
    if not applicable:
        return Decimal(0)
    return Decimal(reductions[max(applicable)])


def rank_by_cost(costs: Sequence[Decimal]) -> list[int]:
    """The rank (1 = most expensive) of each cost; equal costs keep their order."""
    order = sorted(range(len(costs)), key=lambda i: -costs[i])  # stable
    ranks = [0] * len(costs)
    for rank, index in enumerate(order, start=1):
        ranks[index] = rank
    return ranks


def apply_percent(amount: Decimal, percent: Decimal) -> Decimal:
    """``percent`` % of ``amount``, to the cent."""
    return to_money(Decimal(amount) * Decimal(percent) / HUNDRED)


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


# --- The family estimate ------------------------------------------------------------------


class UnknownPrice(LookupError):
    """The grid has no price for this formula and bracket."""


@dataclass(frozen=True)
class GridData:
    """A tariff grid as plain values: load it once, estimate many families."""

    school_year_label: str
    year_start: datetime.date
    brackets: tuple[Bracket, ...]
    # (formula code, bracket key) -> annual price; bracket key None: non-resident.
    prices: Mapping[tuple[str, str | None], Decimal]
    formula_names: Mapping[str, str]
    # Formula codes that never get a sibling reduction (an adult learner).
    no_sibling_reduction: frozenset[str] = frozenset()
    reductions: Mapping[int, Decimal] = field(default_factory=dict)
    pass_culture_amount: Decimal = ZERO

    def formula_codes(self) -> list[str]:
        """Codes of the formulas priced in this grid, in the order of their names map."""
        priced = {code for code, _bracket in self.prices}
        return [code for code in self.formula_names if code in priced]


@dataclass(frozen=True)
class EstimateInput:
    """One enrolment to price: a student's formula and start date.

    ``student_key`` groups several formulas of one student (cursus + second
    instrument) so they share one sibling rank; it defaults to ``key``.
    """

    key: str
    label: str
    formula_code: str
    starts_on: datetime.date | None = None
    student_key: str | None = None


@dataclass(frozen=True)
class EstimateLine:
    key: str
    label: str
    formula_code: str
    formula_name: str
    base_price: Decimal  # annual price of the bracket
    ninths: int  # proration: ninths of the year due
    prorated_price: Decimal
    rank: int | None  # sibling rank, None when no reduction applies to the formula
    reduction_percent: Decimal
    reduction: Decimal
    amount: Decimal

    @property
    def is_prorated(self) -> bool:
        return self.ninths < INSTALMENTS

    @property
    def proration(self) -> str:
        """``"7/9"``."""
        return f"{self.ninths}/{INSTALMENTS}"


@dataclass(frozen=True)
class Estimate:
    total: Decimal
    bracket_label: str
    bracket_kind: BracketKind
    lines: list[EstimateLine]
    schedule: list[Instalment]
    deduction: Decimal
    subtotal: Decimal
    payment_mode: str
    year_start: datetime.date
    starts_on: datetime.date | None = None  # the family's earliest start (None: full year)
    school_year_label: str = ""
    is_final: bool = False
    estimated_total: Decimal | None = None  # when final: the estimate it replaces
    final_reason: str = ""

    @property
    def difference(self) -> Decimal | None:
        """Final amount minus the estimate (positive: the family pays more)."""
        if not self.is_final or self.estimated_total is None:
            return None
        return self.total - self.estimated_total

    @property
    def absolute_difference(self) -> Decimal | None:
        difference = self.difference
        return None if difference is None else abs(difference)

    def as_dict(self) -> dict:
        """JSON-ready (amounts as ``"12.34"``, dates ISO): for a snapshot or a comparison."""
        return _plain(dataclasses.asdict(self))


def _plain(value):
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, StrEnum):
        return str(value)
    return value


def family_start(enrolments: Sequence[EstimateInput]) -> datetime.date | None:
    """The earliest start of a family's enrolments; None when one runs the whole year."""
    if not enrolments or any(e.starts_on is None for e in enrolments):
        return None
    return min(e.starts_on for e in enrolments)


def compute_estimate(
    grid: GridData,
    *,
    is_resident: bool,
    qf_value: int | None,
    qf_proven: bool,
    enrolments: Sequence[EstimateInput],
    payment_mode: str,
    pass_culture: bool = False,
) -> Estimate:
    """Price a family's enrolments on ``grid``: bracket, proration, reductions, schedule."""
    if payment_mode not in PAYMENT_MODES:
        raise ValueError(f"Unknown payment mode {payment_mode!r}")
    choice = select_bracket(
        grid.brackets, is_resident=is_resident, qf_value=qf_value, qf_proven=qf_proven
    )
    bracket_key = choice.bracket.key if choice.bracket else None

    priced = []
    for item in enrolments:
        try:
            base = grid.prices[(item.formula_code, bracket_key)]
        except KeyError:
            raise UnknownPrice(
                f"No price for formula {item.formula_code!r} in bracket {bracket_key!r}"
            ) from None
        ninths = months_due(item.starts_on, grid.year_start)
        priced.append((item, to_money(base), ninths, prorate(base, ninths)))

    # Sibling ranks: students ordered from the most to the least expensive
    # (their reducible enrolments, after proration); equal costs keep their order.
    students: dict[str, Decimal] = {}
    for item, _base, _ninths, prorated in priced:
        if item.formula_code in grid.no_sibling_reduction:
            continue
        student = item.student_key or item.key
        students[student] = students.get(student, ZERO) + prorated
    ranks = dict(zip(students, rank_by_cost(list(students.values())), strict=True))

    lines = []
    for item, base, ninths, prorated in priced:
        rank = None
        if item.formula_code not in grid.no_sibling_reduction:
            rank = ranks[item.student_key or item.key]
        percent = reduction_percent(rank, grid.reductions) if rank else Decimal(0)
        reduction = apply_percent(prorated, percent)
        lines.append(
            EstimateLine(
                key=item.key,
                label=item.label,
                formula_code=item.formula_code,
                formula_name=grid.formula_names.get(item.formula_code, item.formula_code),
                base_price=base,
                ninths=ninths,
                prorated_price=prorated,
                rank=rank,
                reduction_percent=percent,
                reduction=reduction,
                amount=prorated - reduction,
            )
        )

    subtotal = sum((line.amount for line in lines), ZERO)
    deduction = min(to_money(grid.pass_culture_amount), subtotal) if pass_culture else ZERO
    total = subtotal - deduction
    start = family_start(enrolments)
    return Estimate(
        total=total,
        bracket_label=choice.bracket.label if choice.bracket else "",
        bracket_kind=choice.kind,
        lines=lines,
        schedule=schedule(total, payment_mode, grid.year_start, start),
        deduction=deduction,
        subtotal=subtotal,
        payment_mode=payment_mode,
        year_start=grid.year_start,
        starts_on=start,
        school_year_label=grid.school_year_label,
    )


def finalize(estimate: Estimate, final_amount: Decimal, reason: str) -> Estimate:
    """The estimate replaced by the final amount set by staff, with its schedule."""
    final_amount = to_money(final_amount)
    if final_amount < 0:
        raise ValueError("A final amount cannot be negative.")
    estimated = estimate.estimated_total if estimate.is_final else estimate.total
    return dataclasses.replace(
        estimate,
        total=final_amount,
        schedule=schedule(
            final_amount, estimate.payment_mode, estimate.year_start, estimate.starts_on
        ),
        is_final=True,
        estimated_total=estimated,
        final_reason=reason,
    )


# --- References and display ------------------------------------------------------------------


def payfip_reference(start_year: int, family_pk: int) -> str:
    """The invoice reference a family types on PayFiP: ``2025000123`` + a mod-97 key.

    ``R2025000123-47``: the key catches a mistyped digit.
    """
    body = f"{start_year}{family_pk:06d}"
    key = 97 - (int(body) * 100) % 97
    return f"R{body}-{key:02d}"


def compact_code(value: str) -> str:
    """An IBAN or BIC as stored: no spaces, upper case."""
    return "".join(value.split()).upper()


def mask_iban(iban: str) -> str:
    """``FR76 **** **** **** **** ***0 189``: country, check digits and last 4 only."""
    compact = compact_code(iban)
    if len(compact) < 8:
        return "*" * len(compact)
    masked = compact[:4] + "*" * (len(compact) - 8) + compact[-4:]
    return " ".join(masked[i : i + 4] for i in range(0, len(masked), 4))
