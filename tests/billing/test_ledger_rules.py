"""The ledger's pure rules: the next debit of a family, and what its debits add up to."""

import datetime
from decimal import Decimal

import pytest

from billing.rules import ledger
from billing.rules.schedule import Instalment, next_debit, remaining_plan

D = Decimal


@pytest.mark.parametrize(
    ("due", "debited", "left", "expected"),
    [
        (D("480.00"), D("0"), 9, D("53.36")),  # the first of 9: the remainder cents on it
        (D("480.00"), D("53.36"), 8, D("53.33")),
        (D("480.00"), D("426.67"), 1, D("53.33")),  # the last takes what is left
        (D("600.00"), D("106.69"), 7, D("70.49")),  # 480 → 600 in January: only the future
        (D("100.00"), D("120.00"), 3, D("0.00")),  # more debited than due: nothing more
        (D("0"), D("0"), 9, D("0.00")),
    ],
)
def test_the_next_debit_spreads_what_is_left_over_the_months_left(due, debited, left, expected):
    assert next_debit(due, debited, left) == expected


def test_the_next_debit_needs_a_month_left():
    with pytest.raises(ValueError, match="months_left"):
        next_debit(D("10"), D("0"), 0)


def test_without_changes_the_ledger_debits_the_original_schedule():
    due, debited, amounts = D("480.00"), D("0"), []
    for left in range(9, 0, -1):
        amount = next_debit(due, debited, left)
        amounts.append(amount)
        debited += amount
    assert amounts == [D("53.36")] + [D("53.33")] * 8
    assert debited == due


def test_the_remaining_plan_starts_with_the_next_debit():
    dates = [datetime.date(2026, m, 1) for m in (3, 4, 5)]
    plan = remaining_plan(D("100.00"), D("40.00"), dates)
    assert plan == [
        Instalment(dates[0], D("20.00")),
        Instalment(dates[1], D("20.00")),
        Instalment(dates[2], D("20.00")),
    ]
    assert plan[0].amount == next_debit(D("100.00"), D("40.00"), 3)
    assert remaining_plan(D("10.00"), D("10.00"), dates) == []


def entry(amount, status, resolution="", represented=False):
    return ledger.Entry(D(amount), status, resolution, represented)


def test_the_balance_adds_up_to_the_amount_due():
    entries = [
        entry("50.00", ledger.COLLECTED),
        entry("50.00", ledger.REJECTED, ledger.REPRESENT, represented=True),  # carried below
        entry("100.00", ledger.SCHEDULED),  # 50 + the 50 rejected, presented again
        entry("30.00", ledger.REJECTED, ledger.SINGLE_PAYMENT),
        entry("20.00", ledger.REJECTED, ledger.REPRESENT),  # waits for the next batch
    ]
    balance = ledger.balance(D("450.00"), entries)
    assert balance.collected == D("50.00")
    assert balance.scheduled == D("100.00")
    assert balance.rejected == D("20.00")
    assert balance.to_represent == D("20.00")
    assert balance.single_payment == D("30.00")
    assert balance.remaining == D("250.00")
    assert balance.debited == D("200.00")  # out of the plan: 450 − 250
    parts = (
        balance.collected
        + balance.scheduled
        + balance.rejected
        + balance.single_payment
        + balance.remaining
    )
    assert parts == balance.amount_due


def test_a_lowered_amount_leaves_something_to_refund():
    balance = ledger.balance(D("90.00"), [entry("100.00", ledger.COLLECTED)])
    assert balance.remaining == D("-10.00")
    assert balance.to_refund == D("10.00")


def test_an_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status"):
        ledger.balance(D("10"), [entry("10", "lost")])
