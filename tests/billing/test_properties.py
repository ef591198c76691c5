"""Property tests (hypothesis) of the billing rules."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.rules.brackets import (
    Bracket,
    EstimateInput,
    GridData,
    bracket_problems,
    compute_estimate,
)
from billing.rules.schedule import MONTHLY, PAYMENT_MODES, months_due, prorate, schedule
from billing.services import load_grid

YEAR_START = datetime.date(2025, 9, 1)

money = st.decimals(min_value=0, max_value=100_000, places=2, allow_nan=False, allow_infinity=False)
modes = st.sampled_from(PAYMENT_MODES)
start_dates = st.one_of(
    st.none(),
    st.dates(min_value=datetime.date(2025, 1, 1), max_value=datetime.date(2026, 7, 31)),
)
percents = st.decimals(min_value=0, max_value=100, places=2)


@given(total=money, mode=modes, starts_on=start_dates)
def test_instalments_always_sum_to_the_total(total, mode, starts_on):
    items = schedule(total, mode, YEAR_START, starts_on)
    assert sum((i.amount for i in items), Decimal(0)) == total


@given(total=money, mode=modes, starts_on=start_dates)
def test_no_instalment_is_negative_and_each_is_to_the_cent(total, mode, starts_on):
    for item in schedule(total, mode, YEAR_START, starts_on):
        assert item.amount >= 0
        assert item.amount == item.amount.quantize(Decimal("0.01"))
        assert YEAR_START <= item.due_on <= datetime.date(2026, 7, 31)


@given(total=money, starts_on=start_dates)
def test_monthly_debits_are_on_the_first_and_the_first_debit_is_the_largest(total, starts_on):
    items = schedule(total, MONTHLY, YEAR_START, starts_on)
    assert all(i.due_on.day == 1 for i in items)
    assert len(items) <= 9
    if items:
        assert items[0].amount == max(i.amount for i in items)
        assert items[0].amount - min(i.amount for i in items) < Decimal("0.09")


@given(amount=money, starts_on=start_dates)
def test_proration_never_exceeds_the_full_price(amount, starts_on):
    ninths = months_due(starts_on, YEAR_START)
    prorated = prorate(amount, ninths)
    assert 0 <= prorated <= amount


@given(amount=money, dates=st.tuples(start_dates, start_dates))
def test_starting_later_never_costs_more(amount, dates):
    earlier, later = sorted(dates, key=lambda d: d or datetime.date.min)  # None: all year
    early = prorate(amount, months_due(earlier, YEAR_START))
    late = prorate(amount, months_due(later, YEAR_START))
    assert late <= early


@st.composite
def monotone_grids(draw):
    """Any number of contiguous brackets and prices that never go down with the QF."""
    count = draw(st.integers(min_value=1, max_value=6))
    cuts = sorted(
        draw(
            st.sets(
                st.integers(min_value=1, max_value=3000), min_size=count - 1, max_size=count - 1
            )
        )
    )
    bounds = [0, *cuts]
    brackets = tuple(
        Bracket(
            key=str(i),
            label=f"T{i}",
            min_qf=bounds[i],
            max_qf=bounds[i + 1] - 1 if i + 1 < len(bounds) else None,
        )
        for i in range(len(bounds))
    )
    prices = {}
    formulas = ["f1", "f2", "f3"]
    for code in formulas:
        level = Decimal(0)
        for bracket in brackets:
            level += draw(st.decimals(min_value=0, max_value=300, places=2))
            prices[(code, bracket.key)] = level
        prices[(code, None)] = level + draw(st.decimals(min_value=0, max_value=300, places=2))
    reductions = {
        2: draw(percents),
        3: draw(percents),
    }
    return GridData(
        school_year_label="2025-2026",
        year_start=YEAR_START,
        brackets=brackets,
        prices=prices,
        formula_names={code: code.upper() for code in formulas},
        no_sibling_reduction=frozenset(draw(st.sets(st.sampled_from(formulas), max_size=1))),
        reductions=reductions,
        pass_culture_amount=draw(st.decimals(min_value=0, max_value=100, places=2)),
    )


enrolment_lists = st.lists(
    st.builds(
        EstimateInput,
        key=st.uuids().map(str),
        label=st.just("Élève"),
        formula_code=st.sampled_from(["f1", "f2", "f3"]),
        starts_on=start_dates,
    ),
    max_size=5,
)


@settings(max_examples=300)
@given(
    grid=monotone_grids(),
    enrolments=enrolment_lists,
    qfs=st.tuples(st.integers(0, 4000), st.integers(0, 4000)),
    mode=modes,
    pass_culture=st.booleans(),
)
def test_a_lower_qf_never_pays_more_in_a_monotone_grid(grid, enrolments, qfs, mode, pass_culture):
    low, high = sorted(qfs)

    def total(qf):
        return compute_estimate(
            grid,
            is_resident=True,
            qf_value=qf,
            qf_proven=True,
            enrolments=enrolments,
            payment_mode=mode,
            pass_culture=pass_culture,
        ).total

    assert total(low) <= total(high)


@settings(max_examples=200)
@given(grid=monotone_grids(), enrolments=enrolment_lists, mode=modes, pass_culture=st.booleans())
def test_every_estimate_is_consistent(grid, enrolments, mode, pass_culture):
    estimate = compute_estimate(
        grid,
        is_resident=True,
        qf_value=500,
        qf_proven=True,
        enrolments=enrolments,
        payment_mode=mode,
        pass_culture=pass_culture,
    )
    assert estimate.total >= 0
    assert estimate.total == sum((line.amount for line in estimate.lines), Decimal(0)) - (
        estimate.deduction
    )
    assert sum((i.amount for i in estimate.schedule), Decimal(0)) == estimate.total
    for line in estimate.lines:
        assert 0 <= line.amount <= line.prorated_price <= line.base_price


@pytest.mark.django_db
def test_a_resident_never_pays_more_than_a_non_resident_in_the_demo_grid(grid_data):
    codes = grid_data.formula_codes()
    assert len(codes) == 9

    @settings(max_examples=300, deadline=None)
    @given(
        enrolments=st.lists(
            st.builds(
                EstimateInput,
                key=st.uuids().map(str),
                label=st.just("Élève"),
                formula_code=st.sampled_from(codes),
                starts_on=start_dates,
            ),
            max_size=4,
        ),
        qf=st.one_of(st.none(), st.integers(0, 5000)),
        proven=st.booleans(),
        mode=modes,
        pass_culture=st.booleans(),
    )
    def check(enrolments, qf, proven, mode, pass_culture):
        def total(resident):
            return compute_estimate(
                grid_data,
                is_resident=resident,
                qf_value=qf,
                qf_proven=proven,
                enrolments=enrolments,
                payment_mode=mode,
                pass_culture=pass_culture,
            ).total

        assert total(True) <= total(False)

    check()


@pytest.mark.django_db
def test_the_demo_grid_is_monotone(demo_grid):
    grid = load_grid(demo_grid.school_year)
    brackets = sorted(grid.brackets, key=lambda b: b.min_qf)
    assert bracket_problems(brackets) == []
    for code in grid.formula_codes():
        line = [grid.prices[(code, b.key)] for b in brackets] + [grid.prices[(code, None)]]
        assert line == sorted(line), code
        assert line[-1] > line[-2], code  # non-residents pay more than the highest line
