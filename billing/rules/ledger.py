"""What a family's direct debits add up to: the ledger's balance. Pure, no ORM.

Each debit sent to the bank is an :class:`Entry` (a ``DebitLine``): ``scheduled``
(in a batch, not yet confirmed), ``collected`` (the Trésor public's statement
shows it) or ``rejected`` (an R-transaction came back). A rejected debit is either
presented again with the next month's debit (``represent``: once it is, the later
debit carries its amount and the entry is ``represented``) or moved to a single
payment (``single_payment``: it leaves the debit plan and is invoiced).

The balance always adds up::

    collected + scheduled + rejected + single_payment + remaining == amount_due

``rejected`` is what came back and is not yet carried by a later debit;
``remaining`` is what no debit has taken yet (negative: debited more than due,
to refund). :func:`billing.rules.schedule.next_debit` spreads ``remaining``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from conservatoire.money import to_money

SCHEDULED = "scheduled"
COLLECTED = "collected"
REJECTED = "rejected"
STATUSES = (SCHEDULED, COLLECTED, REJECTED)

REPRESENT = "represent"
SINGLE_PAYMENT = "single_payment"
RESOLUTIONS = ("", REPRESENT, SINGLE_PAYMENT)


@dataclass(frozen=True)
class Entry:
    amount: Decimal
    status: str
    resolution: str = ""  # a rejected entry's follow-up: REPRESENT, SINGLE_PAYMENT or none yet
    represented: bool = False  # a rejected entry whose amount a later entry carries


@dataclass(frozen=True)
class Balance:
    amount_due: Decimal
    collected: Decimal
    scheduled: Decimal
    rejected: Decimal  # came back, not carried by a later debit yet
    to_represent: Decimal  # the part of ``rejected`` to add to the next debit
    single_payment: Decimal  # left the debit plan: due by a single payment (invoice)
    remaining: Decimal  # not taken by any debit yet; negative: to refund

    @property
    def debited(self) -> Decimal:
        """What the debits so far took out of the plan (``next_debit``'s ``already_debited``)."""
        return self.amount_due - self.remaining

    @property
    def to_refund(self) -> Decimal:
        return max(-self.remaining, to_money(0))


def balance(amount_due: Decimal, entries: Iterable[Entry]) -> Balance:
    """The family's balance for ``amount_due`` after its debit ``entries``."""
    amount_due = to_money(amount_due)
    sums = {SCHEDULED: to_money(0), COLLECTED: to_money(0)}
    rejected = to_represent = single_payment = to_money(0)
    for entry in entries:
        amount = to_money(entry.amount)
        if entry.status in sums:
            sums[entry.status] += amount
        elif entry.status != REJECTED:
            raise ValueError(f"Unknown debit status {entry.status!r}")
        elif entry.resolution == SINGLE_PAYMENT:
            single_payment += amount
        elif entry.represented:
            continue  # a later entry carries it
        else:
            rejected += amount
            if entry.resolution == REPRESENT:
                to_represent += amount
    remaining = amount_due - sums[COLLECTED] - sums[SCHEDULED] - rejected - single_payment
    return Balance(
        amount_due=amount_due,
        collected=sums[COLLECTED],
        scheduled=sums[SCHEDULED],
        rejected=rejected,
        to_represent=to_represent,
        single_payment=single_payment,
        remaining=remaining,
    )
