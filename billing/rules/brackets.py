"""What a family pays: its line of the tariff grid, sibling reductions, the estimate.

Pure functions on plain values (``Decimal`` euros, dates); no ORM. "Concernant
le payement" in the family guide:

- bracket: a resident of Limonest with a proven QF pays the line of the grid
  whose bounds (inclusive) contain that QF; a resident without a proven QF pays
  the highest line; a non-resident pays the non-resident tariff;
- sibling reductions by rank, the enrolments ordered from the most to the least
  expensive; then the Pass'Culture de Limonest deduction, once per family;
- the estimate puts them together with the proration and the schedule of
  :mod:`billing.rules.schedule`.

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

from .schedule import (
    INSTALMENTS,
    PAYMENT_MODES,
    Instalment,
    PaymentCalendar,
    months_due,
    prorate,
    schedule,
)

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
    # The school year's payment dates and count (None: the family guide's).
    calendar: PaymentCalendar | None = None

    @property
    def payment_calendar(self) -> PaymentCalendar:
        return self.calendar or PaymentCalendar.default(self.year_start)

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
    instalments: int = INSTALMENTS  # the year's: ``ninths`` are parts of it

    @property
    def is_prorated(self) -> bool:
        return self.ninths < self.instalments

    @property
    def proration(self) -> str:
        """``"7/9"``."""
        return f"{self.ninths}/{self.instalments}"


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
    calendar: PaymentCalendar | None = None  # the school year's (None: the guide's)

    @property
    def instalments(self) -> int:
        """The number of direct debits of the school year (9)."""
        return (self.calendar or PaymentCalendar.default(self.year_start)).instalments

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

    calendar = grid.payment_calendar
    priced = []
    for item in enrolments:
        try:
            base = grid.prices[(item.formula_code, bracket_key)]
        except KeyError:
            raise UnknownPrice(
                f"No price for formula {item.formula_code!r} in bracket {bracket_key!r}"
            ) from None
        ninths = months_due(item.starts_on, calendar)
        priced.append((item, to_money(base), ninths, prorate(base, ninths, calendar.instalments)))

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
                instalments=calendar.instalments,
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
        schedule=schedule(total, payment_mode, calendar, start),
        deduction=deduction,
        subtotal=subtotal,
        payment_mode=payment_mode,
        year_start=grid.year_start,
        starts_on=start,
        school_year_label=grid.school_year_label,
        calendar=grid.calendar,
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
            final_amount,
            estimate.payment_mode,
            estimate.calendar or estimate.year_start,
            estimate.starts_on,
        ),
        is_final=True,
        estimated_total=estimated,
        final_reason=reason,
    )
