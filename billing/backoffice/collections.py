"""After a batch is sent: what the bank did with each debit.

- **Collected.** A batch's lines stay ``scheduled`` until staff mark the batch
  collected, from its collection date on, once the Trésor public's account
  statement shows the total (:func:`mark_collected`). Nothing is assumed collected
  by the calendar alone: the statement is the proof, and an unconfirmed line still
  counts in the family's balance (as scheduled), so nothing is debited twice
  meanwhile.
- **Rejected.** An R-transaction (a reject before settlement, a return or a refund
  after it: reason code such as AM04, MS02, and its date) is recorded on its line,
  scheduled or collected (:func:`record_rejection`), with what to do: present it
  again with the family's next debit (its amount is added to the next batch's
  line, sequence RCUR) or move it to a single payment (it leaves the debit plan
  and goes to the invoices export). The follow-up can change until the amount is
  presented again (:func:`set_resolution`).

Each write locks the family's billing row first, as :func:`~billing.backoffice.exports.export_month`
does, so a rejection and a month's export never decide on each other's half-written rows.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from .. import ledger
from ..models import (
    CollectionBatch,
    DebitLine,
    DebitStatus,
    FamilyBilling,
    RejectionReason,
    RejectionResolution,
)


class TooEarly(ValueError):
    """The batch's collection date has not come yet."""


class CannotRepresent(ValueError):
    """No debit of the family is left this school year to carry a rejected amount."""


class NotRejected(ValueError):
    """Only a rejected debit has a follow-up."""


class AlreadyRejected(ValueError):
    """The debit's rejection is already recorded."""


class AlreadyRepresented(ValueError):
    """The rejected amount is already in a later debit: its follow-up is settled."""


@transaction.atomic
def mark_collected(batch: CollectionBatch, *, by, today: datetime.date | None = None) -> int:
    """Mark the batch's scheduled lines collected (rejected ones stay rejected); how many."""
    today = today or timezone.localdate()
    batch = CollectionBatch.objects.select_for_update().get(pk=batch.pk)
    if today < batch.collection_date:
        raise TooEarly(f"The batch is collected on {batch.collection_date}.")
    count = 0
    for line in batch.lines.filter(status=DebitStatus.SCHEDULED).order_by("pk"):
        line.status = DebitStatus.COLLECTED
        line.save(update_fields=["status"])
        count += 1
    if batch.collected_at is None:
        batch.collected_at, batch.collected_by = timezone.now(), by
        batch.save(update_fields=["collected_at", "collected_by"])
    return count


def can_represent(line: DebitLine) -> bool:
    """Whether a later debit of the family can still carry the line's amount: a debit
    month of the family that no batch has reached yet (so after this line's)."""
    billing = line.billing
    return bool(ledger.open_months(billing, ledger.last_batch_month(billing.school_year)))


@transaction.atomic
def record_rejection(
    line: DebitLine,
    *,
    reason: str,
    rejected_on: datetime.date,
    resolution: str,
    by,
) -> DebitLine:
    """Record the R-transaction of ``line`` (scheduled or collected) and its follow-up."""
    if reason not in RejectionReason.values:
        raise ValueError(f"Unknown rejection reason {reason!r}")
    if resolution not in RejectionResolution.values:
        raise ValueError(f"Unknown follow-up {resolution!r}")
    line = _locked(line)
    if line.status == DebitStatus.REJECTED:
        raise AlreadyRejected(f"Debit {line.pk} is already rejected.")
    if resolution == RejectionResolution.REPRESENT and not can_represent(line):
        raise CannotRepresent("No debit is left this school year.")
    line.status = DebitStatus.REJECTED
    line.rejection_reason = reason
    line.rejected_on = rejected_on
    line.resolution = resolution
    line.rejection_recorded_by = by
    line.save(
        update_fields=[
            "status",
            "rejection_reason",
            "rejected_on",
            "resolution",
            "rejection_recorded_by",
        ]
    )
    return line


@transaction.atomic
def set_resolution(line: DebitLine, resolution: str, *, by) -> DebitLine:
    """Change a rejected debit's follow-up while its amount is not presented again yet."""
    if resolution not in RejectionResolution.values:
        raise ValueError(f"Unknown follow-up {resolution!r}")
    line = _locked(line)
    if line.status != DebitStatus.REJECTED:
        raise NotRejected(f"Debit {line.pk} is not rejected.")
    if line.represented_by_id is not None:
        raise AlreadyRepresented(f"Debit {line.pk} is already presented again.")
    if resolution == RejectionResolution.REPRESENT and not can_represent(line):
        raise CannotRepresent("No debit is left this school year.")
    line.resolution = resolution
    line.rejection_recorded_by = by
    line.save(update_fields=["resolution", "rejection_recorded_by"])
    return line


def _locked(line: DebitLine) -> DebitLine:
    FamilyBilling.objects.select_for_update().filter(pk=line.billing_id).first()
    return (
        DebitLine.objects.select_for_update(of=("self",))
        .select_related("batch", "billing__school_year")
        .get(pk=line.pk)
    )
