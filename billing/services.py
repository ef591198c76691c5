"""Billing services: load a grid, estimate a family, record preferences and mandates.

Views, the wizard and the admin call these; the arithmetic lives in
:mod:`billing.rules` (pure functions), which this module feeds with plain values.
Staff-only work (exports, grid import, the admin) is in :mod:`billing.backoffice`.
"""

from __future__ import annotations

import dataclasses
import datetime
import secrets
from collections.abc import Sequence
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from accounts.models import Family
from conservatoire.models import SchoolYear
from conservatoire.money import to_money

from . import ledger
from .conf import creditor
from .models import FamilyBilling, Mandate, PaymentMode, TariffGrid
from .rules.brackets import (
    BracketKind,
    Estimate,
    EstimateInput,
    GridData,
    compute_estimate,
    finalize,
)
from .rules.schedule import PaymentCalendar, schedule
from .rules.sepa import HOLDER_MAX_LENGTH, clean_holder, compact_code
from .tasks import send_prenotification

RUM_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


class NoTariffGrid(LookupError):
    """No tariff grid exists for this school year."""


# --- Grids ---------------------------------------------------------------------------


def load_grid(school_year: SchoolYear) -> GridData:
    """The school year's grid as plain values, in a constant number of queries (4).

    The result is immutable and picklable: load it once, estimate many families.
    """
    grid = TariffGrid.objects.select_related("school_year").filter(school_year=school_year).first()
    if grid is None:
        raise NoTariffGrid(f"No tariff grid for {school_year}")
    brackets = tuple(b.as_rule() for b in grid.brackets.all())
    prices = {}
    names = {}
    no_reduction = set()
    for price in grid.prices.select_related("formula").order_by("formula__order", "formula__name"):
        formula = price.formula
        key = str(price.bracket_id) if price.bracket_id else None
        prices[(formula.code, key)] = price.amount
        names[formula.code] = formula.name
        if not formula.sibling_reduction:
            no_reduction.add(formula.code)
    reductions = {r.from_rank: r.percent for r in grid.reductions.all()}
    return GridData(
        school_year_label=grid.school_year.label,
        year_start=grid.school_year.starts_on,
        brackets=brackets,
        prices=prices,
        formula_names=names,
        no_sibling_reduction=frozenset(no_reduction),
        reductions=reductions,
        pass_culture_amount=grid.pass_culture_amount,
        calendar=PaymentCalendar.of(grid.school_year),
    )


def latest_grid_year() -> SchoolYear | None:
    """The school year of the simulator's grid: the year families see, if
    ``settings.FAMILY_SCHOOL_YEAR_PROVIDER`` names one and that year has prices (a
    grid copied for a campaign being prepared stays out of sight), else the most
    recent grid that has prices."""
    grids = TariffGrid.objects.filter(prices__isnull=False).select_related("school_year")
    provider = getattr(settings, "FAMILY_SCHOOL_YEAR_PROVIDER", "")
    year = import_string(provider)() if provider else None
    if year is not None:
        grids = grids.filter(school_year=year)
    grid = grids.order_by("-school_year__starts_on").first()
    return grid.school_year if grid else None


# --- Estimates ---------------------------------------------------------------------------


def estimate_family(
    school_year: SchoolYear,
    *,
    is_resident: bool,
    qf_value: int | None,
    qf_proven: bool,
    enrolments: Sequence[EstimateInput],
    payment_mode: str,
    pass_culture: bool = False,
    grid: GridData | None = None,
) -> Estimate:
    """A family's estimate for ``school_year`` (pass ``grid`` to skip loading it)."""
    if grid is None:
        grid = load_grid(school_year)
    return compute_estimate(
        grid,
        is_resident=is_resident,
        qf_value=qf_value,
        qf_proven=qf_proven,
        enrolments=list(enrolments),
        payment_mode=payment_mode,
        pass_culture=pass_culture,
    )


# --- A family's billing ------------------------------------------------------------------------


def set_payment_preference(
    family: Family,
    school_year: SchoolYear,
    *,
    payment_mode: str,
    bank_changed: bool,
    pass_culture_number: str = "",
    estimate: Estimate | None = None,
) -> FamilyBilling:
    """Record the family's "mode de règlement souhaité" for the year.

    With ``estimate``, also keep that estimate (one write, as :func:`record_estimate`).
    """
    if payment_mode not in PaymentMode.values:
        raise ValueError(f"Unknown payment mode {payment_mode!r}")
    defaults = {
        "payment_mode": payment_mode,
        "bank_changed": bank_changed,
        "pass_culture_number": pass_culture_number.strip(),
    }
    if estimate is not None:
        defaults.update(_estimate_fields(estimate))
    billing, _created = FamilyBilling.objects.update_or_create(
        family=family, school_year=school_year, defaults=defaults
    )
    return billing


def record_estimate(family: Family, school_year: SchoolYear, estimate: Estimate) -> FamilyBilling:
    """Keep the estimate the family validated (its total, mode and first start)."""
    billing, _created = FamilyBilling.objects.update_or_create(
        family=family, school_year=school_year, defaults=_estimate_fields(estimate)
    )
    return billing


def _estimate_fields(estimate: Estimate) -> dict:
    return {
        "payment_mode": estimate.payment_mode,
        "estimated_total": estimate.total if not estimate.is_final else estimate.estimated_total,
        "estimated_at": timezone.now(),
        "starts_on": estimate.starts_on,
    }


def final_bill(family: Family, school_year: SchoolYear) -> FamilyBilling | None:
    """The family's billing when staff have set its final amount, else None."""
    return FamilyBilling.objects.filter(
        family=family, school_year=school_year, final_amount__isnull=False
    ).first()


def final_estimate(
    family: Family, school_year: SchoolYear, estimate: Estimate | None = None
) -> Estimate | None:
    """What the family sees: the final amount and its schedule once staff set it
    (with the estimate it replaces and the reason), otherwise ``estimate``. Once
    debits were sent, the schedule is the ledger's (:func:`billing.ledger.debit_schedule`).

    Without ``estimate``, the final amount is explained against the estimate
    the family validated (kept by :func:`record_estimate`).
    """
    billing = final_bill(family, school_year)
    if billing is None:
        return estimate
    if estimate is None:
        final = finalize(_stored_estimate(billing), billing.final_amount, billing.final_reason)
        if billing.estimated_total is None:  # nothing was estimated: nothing to compare
            final = dataclasses.replace(final, estimated_total=None)
    else:
        if estimate.payment_mode != billing.payment_mode:
            estimate = dataclasses.replace(estimate, payment_mode=billing.payment_mode)
        final = finalize(estimate, billing.final_amount, billing.final_reason)
    if billing.payment_mode == PaymentMode.MONTHLY and billing.debit_lines.exists():
        # Debits already sent stay as they were: the ledger's schedule, not a fresh one.
        final = dataclasses.replace(final, schedule=ledger.debit_schedule(billing))
    return final


def _stored_estimate(billing: FamilyBilling) -> Estimate:
    total = billing.estimated_total if billing.estimated_total is not None else Decimal("0.00")
    year_start = billing.school_year.starts_on
    calendar = PaymentCalendar.of(billing.school_year)
    return Estimate(
        total=total,
        bracket_label="",
        bracket_kind=BracketKind.QF,
        lines=[],
        schedule=schedule(total, billing.payment_mode, calendar, billing.starts_on),
        deduction=Decimal("0.00"),
        subtotal=total,
        payment_mode=billing.payment_mode,
        year_start=year_start,
        starts_on=billing.starts_on,
        school_year_label=billing.school_year.label,
        calendar=calendar,
    )


@transaction.atomic
def set_final_amount(billing: FamilyBilling, *, amount: Decimal, reason: str, by) -> FamilyBilling:
    """Staff set the final amount (with a reason); direct-debit families are
    then pre-notified of their schedule (after commit)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValueError("A reason is required to set the final amount.")
    billing.final_amount = to_money(amount)
    billing.final_reason = reason
    billing.final_set_by = by
    billing.final_set_at = timezone.now()
    billing.save(update_fields=["final_amount", "final_reason", "final_set_by", "final_set_at"])
    queue_prenotification(billing)
    return billing


def queue_prenotification(billing: FamilyBilling) -> None:
    """After commit, ask Celery to pre-notify a direct-debit family of its schedule."""
    if billing.payment_mode != PaymentMode.MONTHLY or billing.final_amount is None:
        return
    pk = billing.pk
    transaction.on_commit(lambda: send_prenotification.delay(pk))


# --- Mandates ---------------------------------------------------------------------------------


def new_rum(family: Family) -> str:
    """``LIM-2025-000123-K7QX``: prefix, year, family number, 4 random characters."""
    year = timezone.localdate().year
    suffix = "".join(secrets.choice(RUM_ALPHABET) for _ in range(4))
    return f"{creditor().rum_prefix}-{year}-{family.pk:06d}-{suffix}"


def _create_mandate(family: Family, **fields) -> Mandate:
    """A mandate with a fresh RUM (a collision, 1 in a million, draws again)."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return Mandate.objects.create(family=family, rum=new_rum(family), **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def has_signed_mandate(family: Family) -> bool:
    """Whether the family's current mandate can be debited: an account and a signature
    date (what ``backoffice.exports`` checks before a debit). Otherwise a family paying
    by direct debit still has its mandate to sign and send."""
    mandate = Mandate.objects.current_for(family)
    return bool(mandate and mandate.iban and mandate.signed_on)


def reserve_mandate(family: Family) -> Mandate:
    """The mandate to print for the family: its current one, or a new reference."""
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).first()
        mandate = Mandate.objects.current_for(family)
        if mandate is None:
            mandate = _create_mandate(family)
    return mandate


def record_mandate(
    family: Family,
    *,
    iban: str,
    bic: str = "",
    holder: str,
    signed_on: datetime.date | None = None,
) -> Mandate:
    """Record the family's bank account on a mandate with a unique RUM.

    A reserved mandate (printed blank) is completed; the same account keeps its
    mandate; a new account gets a new mandate (a new RUM), as SEPA requires.
    The holder's name is at most 70 characters (``AccountHolderField`` says so to
    the family): a longer one is refused, never cut.
    """
    iban = compact_code(iban)
    bic = compact_code(bic)
    holder = _checked_holder(holder)
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=family.pk).first()
        mandate = Mandate.objects.current_for(family)
        if mandate is not None and (not mandate.iban or mandate.iban == iban):
            mandate.iban, mandate.bic, mandate.holder = iban, bic, holder
            if signed_on:
                mandate.signed_on = signed_on
            mandate.save(update_fields=["iban", "bic", "holder", "signed_on"])
            return mandate
        return _create_mandate(family, iban=iban, bic=bic, holder=holder, signed_on=signed_on)


def amend_mandate(
    mandate: Mandate, *, iban: str, bic: str = "", holder: str | None = None
) -> Mandate:
    """Record a change of the debtor's account as an amendment of ``mandate``.

    A new mandate row (a new RUM) whose ``amended_from`` is ``mandate``: it keeps
    the signature date of the mandate it amends, and its first debit tells the
    bank the original RUM and account (or, for another bank, ``SMNDA`` and a
    first debit, FRST). The amended mandate stays as it was, for the record.
    """
    iban = compact_code(iban)
    if not iban:
        raise ValueError("An amendment needs the new IBAN.")
    if iban == mandate.iban:
        raise ValueError("The new IBAN is the mandate's own.")
    holder = _checked_holder(mandate.holder if holder is None else holder)
    with transaction.atomic():
        Family.objects.select_for_update().filter(pk=mandate.family_id).first()
        return _create_mandate(
            mandate.family,
            iban=iban,
            bic=compact_code(bic),
            holder=holder,
            signed_on=mandate.signed_on,
            amended_from=mandate,
        )


def _checked_holder(holder: str) -> str:
    holder = clean_holder(holder)
    if len(holder) > HOLDER_MAX_LENGTH:
        raise ValueError(f"The account holder's name exceeds {HOLDER_MAX_LENGTH} characters.")
    return holder
