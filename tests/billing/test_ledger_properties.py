"""Property tests (hypothesis) of the debit ledger.

The pure rules: the next debit and the plan of what is left. Then the real
services on the database, for any amount due and any sequence of exports,
final-amount changes, rejections (presented again or moved to a single payment)
and batches marked collected: the balance adds up to the amount due after every
step, no month is debited twice, a rejected amount is carried once, and once the
year's last month is exported the debits add up to the amount due.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from billing import ledger
from billing.backoffice import collections, exports
from billing.models import CollectionBatch, DebitLine, DebitStatus, RejectionResolution
from billing.rules.schedule import next_debit, remaining_plan, schedule, split_evenly
from tests.factories import SchoolYearFactory

from .factories import ready_family

D = Decimal
YEAR_START = datetime.date(2025, 9, 1)
MONTHS = [i.due_on for i in schedule(D("9"), "monthly", YEAR_START)]
money = st.decimals(min_value=0, max_value=5_000, places=2, allow_nan=False, allow_infinity=False)


# --- Pure rules ---------------------------------------------------------------------------------


@given(due=money, debited=money, left=st.integers(1, 9))
def test_the_next_debit_is_the_first_of_the_plan_and_the_plan_sums_to_what_is_left(
    due, debited, left
):
    plan = remaining_plan(due, debited, MONTHS[-left:])
    amount = next_debit(due, debited, left)
    assert amount >= 0 and amount == amount.quantize(D("0.01"))
    if due > debited:
        assert plan[0].amount == amount
        assert sum(i.amount for i in plan) == due - debited
    else:
        assert plan == [] and amount == 0


@given(due=money, left=st.integers(1, 9))
def test_debiting_the_next_debit_every_month_is_the_schedule(due, left):
    debited, amounts = D("0"), []
    for months_left in range(left, 0, -1):
        amounts.append(next_debit(due, debited, months_left))
        debited += amounts[-1]
    assert amounts == split_evenly(due, left)


@given(due=money, changes=st.lists(st.tuples(st.integers(0, 8), money), max_size=4))
def test_whatever_the_changes_the_debits_end_at_the_last_amount_due(due, changes):
    """The amount due changes before some months: the year's debits add up to the last
    amount due, unless the debits before its change already took more (nothing is then
    debited any more: the difference is to refund)."""
    changed = dict(changes)
    debited = taken_before_last_change = D("0")
    for index in range(9):
        if index in changed:
            due, taken_before_last_change = changed[index], debited
        debited += next_debit(due, debited, 9 - index)
    assert debited == max(due, taken_before_last_change)


# --- The real ledger, on the database -------------------------------------------------------------

operations = st.lists(
    st.one_of(
        st.tuples(st.just("export"), st.integers(0, 8)),
        st.tuples(st.just("amount"), st.integers(0, 1), money),
        st.tuples(
            st.just("reject"),
            st.integers(0, 30),
            st.sampled_from(RejectionResolution.values),
        ),
        st.tuples(st.just("collect"), st.integers(0, 8)),
    ),
    max_size=14,
)


@pytest.mark.django_db
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(amounts=st.tuples(money, money), steps=operations)
def test_the_ledger_always_adds_up_and_never_debits_a_month_twice(amounts, steps):
    with transaction.atomic():
        run(amounts, steps)
        transaction.set_rollback(True)  # each example starts from an empty database


def run(amounts, steps):
    year = SchoolYearFactory()
    billings = [
        ready_family(year, name, final=amount)
        for name, amount in zip(("Martin", "Bernard"), amounts, strict=True)
    ]
    for step in steps:
        kind, *args = step
        if kind == "export":
            export(year, MONTHS[args[0]])
        elif kind == "amount":
            billing = billings[args[0]]
            billing.final_amount = billing.prenotified_total = args[1]
            billing.save()
        elif kind == "reject":
            reject(args[0], args[1])
        else:
            batch = CollectionBatch.objects.filter(school_year=year, month=MONTHS[args[0]]).first()
            if batch is not None:
                collections.mark_collected(batch, by=None, today=batch.collection_date)
        check(billings)

    last = CollectionBatch.objects.filter(school_year=year).order_by("-month").first()
    for month in MONTHS:  # the rest of the year
        if last is None or month > last.month:
            export(year, month)
    check(billings)
    invoiced = {invoice.billing.pk: invoice.amount for invoice in exports.invoices(year)}
    for billing in billings:
        billing.refresh_from_db()
        balance = ledger.balance_of(billing)
        assert balance.rejected == 0  # presented again in July at the latest
        # Every euro due is debited or invoiced (once no debit month is left), or to refund.
        debited = balance.collected + balance.scheduled
        assert debited + invoiced.get(billing.pk, 0) == balance.amount_due + balance.to_refund


def export(year, month):
    later = CollectionBatch.objects.filter(school_year=year, month__gt=month).exists()
    existing = CollectionBatch.objects.filter(school_year=year, month=month).first()
    before = {b.pk: ledger.balance_of(b).remaining for b in _billings(year)}
    try:
        batch = exports.export_month(year, month)
    except exports.LaterMonthExported:
        assert later and existing is None
        return
    except exports.NothingToExport:
        assert existing is None and not later
        return
    if existing is not None:  # the same month again: the same batch, the same bytes
        assert batch.pk == existing.pk
        assert bytes(batch.sepa_file) == bytes(existing.sepa_file)
        assert bytes(batch.csv_file) == bytes(existing.csv_file)
        return
    for billing in _billings(year):  # a new batch never takes more than what is left
        assert ledger.balance_of(billing).remaining >= min(before[billing.pk], D("0"))


def reject(index, resolution):
    lines = list(DebitLine.objects.exclude(status=DebitStatus.REJECTED).order_by("pk"))
    if not lines:
        return
    line = lines[index % len(lines)]
    rejected_on = timezone.localdate()
    try:
        collections.record_rejection(
            line, reason="AM04", rejected_on=rejected_on, resolution=resolution, by=None
        )
    except collections.CannotRepresent:
        collections.record_rejection(
            line,
            reason="AM04",
            rejected_on=rejected_on,
            resolution=RejectionResolution.SINGLE_PAYMENT,
            by=None,
        )


def check(billings):
    for billing in billings:
        billing.refresh_from_db()
        lines = DebitLine.objects.filter(billing=billing)
        balance = ledger.balance_of(billing)

        def total(condition, lines=lines):
            return lines.filter(condition).aggregate(s=Sum("amount"))["s"] or D("0")

        # The balance, against sums the database makes on its own.
        collected = total(Q(status=DebitStatus.COLLECTED))
        scheduled = total(Q(status=DebitStatus.SCHEDULED))
        single = total(Q(status=DebitStatus.REJECTED, resolution="single_payment"))
        waiting = total(Q(status=DebitStatus.REJECTED, resolution="represent", represented_by=None))
        assert (balance.collected, balance.scheduled) == (collected, scheduled)
        assert (balance.single_payment, balance.rejected) == (single, waiting)
        assert collected + scheduled + waiting + single + balance.remaining == billing.final_amount

        # No month is debited twice: one live line per batch, one batch per month.
        live = lines.exclude(status=DebitStatus.REJECTED)
        assert live.count() == live.values("batch").distinct().count()
        months = CollectionBatch.objects.filter(school_year=billing.school_year)
        assert months.count() == months.values("month").distinct().count()

        # A rejected amount presented again is carried once, by exactly one later debit.
        carried = total(Q(represented_by__isnull=False))
        assert carried == (lines.aggregate(s=Sum("represented_amount"))["s"] or D("0"))
        for line in lines.filter(represented_by__isnull=False).select_related(
            "batch", "represented_by__batch"
        ):
            assert line.represented_by.batch.month > line.batch.month
        assert all(line.amount > 0 for line in lines)


def _billings(year):
    from billing.models import FamilyBilling

    return list(FamilyBilling.objects.filter(school_year=year).select_related("school_year"))
