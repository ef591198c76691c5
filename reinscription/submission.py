"""The family's validation: the re-enrolment written in one transaction, under the family's lock.

:func:`submit_reenrolment` is what the wizard's recap calls (and the staff's factories):
it checks the version the family started from, settles step 2 against the values stored
now (:func:`.services.reconcile_details`), computes the estimate again, writes the
answer, its snapshot, the family's details and payment preference, and queues the
confirmation email.
"""

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation

from accounts.emails import family_recipients, notify_email_changed
from accounts.models import Family, Student, User
from billing import services as billing
from billing.models import PaymentMode
from billing.templatetags.billing_tags import long_date
from conservatoire.email_building import portal_url
from conservatoire.emails import queue_email

from .models import Campaign, Reenrolment, ReenrolmentSnapshot, WizardDraft
from .services import (
    FAMILY_DETAILS,
    RESPONSIBLE_DETAILS,
    STUDENT_DETAILS,
    current_details,
    estimate,
    reconcile_details,
    responsible_detail,
)
from .todo import what_is_left

logger = logging.getLogger(__name__)


# --- Writing the family's details (step 2) ---------------------------------------


def _write_details(family: Family, responsibles, student: Student, changes: dict) -> None:
    """Write what the family changed; the former address of a changed email is told,
    as the account page does."""
    _save_changes(family, {name: changes[name] for name in FAMILY_DETAILS if name in changes})
    for responsible in responsibles:
        values = {
            name: changes[key]
            for name in RESPONSIBLE_DETAILS
            if (key := responsible_detail(responsible, name)) in changes
        }
        old_email = responsible.email
        _save_changes(responsible, values)
        if "email" in values and old_email.casefold() != responsible.email.casefold():
            notify_email_changed(responsible, old_email)
    _save_changes(student, {name: changes[name] for name in STUDENT_DETAILS if name in changes})


def _save_changes(instance, values: dict) -> None:
    """Set ``values`` on ``instance`` and save the fields that changed, if any.

    A family that confirms its details unchanged writes nothing, so the audit
    history (one row per save) shows what families really changed.
    """
    changed = [name for name, value in values.items() if getattr(instance, name) != value]
    for name in changed:
        setattr(instance, name, values[name])
    if changed:
        instance.save(update_fields=changed)


# --- Validation -----------------------------------------------------------------

# ``submit_reenrolment(shown_total=NOT_SHOWN)``: no total was shown, none is compared.
NOT_SHOWN: Final = object()


@dataclass
class SubmitResult:
    """What a validation did. Nothing is written unless ``reenrolment`` is set and no
    flag is: ``conflict`` (someone validated meanwhile: ``reenrolment`` is theirs),
    ``closed``, ``total_changed`` (``total`` is the one computed now),
    ``details_conflicts`` (step 2's fields changed both here and elsewhere)."""

    reenrolment: Reenrolment | None
    conflict: bool = False
    closed: bool = False
    total_changed: bool = False
    total: Decimal | None = None
    details_conflicts: dict[str, dict[str, str]] = field(default_factory=dict)


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {key: _json(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_json(item) for item in value]
    return value


def estimate_data(result) -> dict:
    """The estimate as plain JSON for the snapshot (dates also spelt out in French)."""
    with translation.override("fr"):
        return _estimate_data(result)


def _estimate_data(result) -> dict:
    return {
        "total": str(result.total),
        "bracket": result.bracket_label,
        # qf (a quotient familial chose the line), highest (none: the top line), non_resident
        "bracket_kind": str(result.bracket_kind),
        "is_final": result.is_final,
        "lines": [
            {"label": line.label, "formula": line.formula_name, "amount": str(line.amount)}
            for line in result.lines
        ],
        "schedule": [
            {
                "due_on": item.due_on.isoformat(),
                "due_on_display": long_date(item.due_on),  # 1er novembre 2026
                "amount": str(item.amount),
            }
            for item in result.schedule
        ],
    }


@transaction.atomic
def submit_reenrolment(
    *,
    student: Student,
    campaign: Campaign,
    user: User,
    answers: dict[str, dict],
    base_version: int,
    summary: dict,
    shown_total: Decimal | None | object = NOT_SHOWN,
    details_initial: Mapping[str, str] | None = None,
) -> SubmitResult:
    """Write the family's answer in one transaction: one row per student and campaign.

    Everything is decided under the family's lock, which serialises the validations
    of all its children (two siblings, two responsibles, a double click):

    * ``base_version`` is the version the family started from; if someone else
      validated in between, nothing is written and the result says so;
    * step 2's answers are compared with ``details_initial`` (the values the step
      was built with) and the values stored now (:func:`reconcile_details`): only
      what the family changed is written, and a field also changed elsewhere stops
      the validation (``details_conflicts``);
    * the family's estimate is computed here, counting the siblings re-enrolled
      until now; if it differs from ``shown_total`` (the recap's), nothing is
      written (``total_changed``); otherwise it is the one kept for the family.

    ``summary`` is the recap, stored in the snapshot with the estimate computed here.
    The confirmation email leaves after commit.
    """
    family = Family.objects.select_for_update().get(pk=student.family_id)
    if not campaign.is_open():
        return SubmitResult(None, closed=True)
    existing = (
        Reenrolment.objects.select_for_update().filter(student=student, campaign=campaign).first()
    )
    if (existing.version if existing else 0) != base_version or (
        existing and existing.status == Reenrolment.Status.VALIDATED
    ):
        return SubmitResult(existing, conflict=True)

    choice = answers["choix"]
    reenrol = choice["decision"] == "reenrol"
    result = None
    if reenrol:
        student = Student.objects.select_for_update().get(pk=student.pk)
        responsibles = list(family.responsibles.select_for_update().order_by("pk"))
        details = reconcile_details(
            answers["coordonnees"],
            details_initial or {},
            current_details(family, responsibles, student),
        )
        if details.conflicts:
            return SubmitResult(None, details_conflicts=details.conflicts)
        payment = answers["reglement"]
        result = estimate(
            family,
            campaign,
            student=student,
            reenrol=True,
            formula_code=summary.get("preferences", {}).get("formula"),
            payment_mode=payment.get("payment_mode") or PaymentMode.ONCE,
            wants_qf_tariff=bool(payment.get("wants_qf_tariff")),
            pass_culture=bool(payment.get("pass_culture_number")),
        )
        if shown_total is not NOT_SHOWN and shown_total != result.total:
            return SubmitResult(None, total_changed=True, total=result.total)
        summary = {**summary, "estimate": estimate_data(result)}

    now = timezone.now()
    fields = {
        "decision": choice["decision"],
        "decline_reason": "" if reenrol else choice.get("decline_reason", ""),
        "status": Reenrolment.Status.REENROLLED if reenrol else Reenrolment.Status.DECLINED,
        "payment_mode": answers.get("reglement", {}).get("payment_mode", "") if reenrol else "",
        "image_rights": answers.get("autorisations", {}).get("image_rights"),
        "outing_authorisation": answers.get("autorisations", {}).get("outing_authorisation"),
        "preferences": _json(summary.get("preferences", {})),
        "comments": answers.get("cours", {}).get("comments", "") if reenrol else "",
        "estimated_total": result.total if result else None,
        "rules_version": campaign.rules_version,
        "rules_accepted_at": now,
        "submitted_by": user,
        "submitted_at": now,
    }
    if reenrol:
        _write_details(family, responsibles, student, details.changes)
        _apply_payment(family, campaign, answers["reglement"], result)
    try:
        with transaction.atomic():
            if existing:
                for name, value in fields.items():
                    setattr(existing, name, value)
                existing.version += 1
                existing.save()
                reenrolment = existing
            else:
                reenrolment = Reenrolment.objects.create(
                    student=student, campaign=campaign, **fields
                )
    except IntegrityError:  # another validation created it first
        return SubmitResult(
            Reenrolment.objects.filter(student=student, campaign=campaign).first(), conflict=True
        )
    snapshot_data = _json(
        {
            **summary,
            "version": reenrolment.version,
            "submitted_at": now,
            "submitted_by": user.get_full_name() or user.username,
            "rules_version": campaign.rules_version,
        }
    )
    snapshot = ReenrolmentSnapshot.objects.create(
        reenrolment=reenrolment,
        version=reenrolment.version,
        data=snapshot_data,
        rules_version=campaign.rules_version,
        created_by=user,
        created_at=now,
    )
    WizardDraft.objects.filter(student=student, campaign=campaign).delete()
    send_confirmation(reenrolment, snapshot)
    return SubmitResult(reenrolment)


def _apply_payment(family: Family, campaign: Campaign, payment: dict, estimate) -> None:
    billing.set_payment_preference(
        family,
        campaign.school_year,
        payment_mode=payment["payment_mode"],
        bank_changed=bool(payment.get("bank_changed")),
        pass_culture_number=payment.get("pass_culture_number", ""),
        estimate=estimate,
    )
    if payment.get("bank_changed") and payment.get("iban"):
        billing.record_mandate(
            family,
            iban=payment["iban"],
            bic=payment.get("bic", ""),
            holder=payment.get("account_holder", ""),
        )


def send_confirmation(reenrolment: Reenrolment, snapshot: ReenrolmentSnapshot) -> None:
    """Email the recap (text, HTML and the PDF) to every active responsible, after commit.

    The PDF is rendered by the worker when the email leaves, not in the request. The
    email ends with what is left for the family (:func:`.todo.what_is_left`, as now).
    """
    family = reenrolment.student.family
    recipients, greeting = family_recipients(family)  # one email, greeting each by name
    if not recipients:
        logger.warning("Family %s has no email address for the confirmation.", family.pk)
        return
    queue_email(
        "reenrolment_confirmation",
        recipients,
        "reinscription/emails/confirmation",
        {
            "reenrolment": reenrolment,
            "snapshot": snapshot.data,
            "space_url": portal_url("reinscription:family_space"),
            "left": what_is_left(family, reenrolment.campaign, base_url=settings.PORTAL_URL),
            **greeting,
        },
        attachments=[{"generator": "reinscription.recap.snapshot_attachment", "pk": snapshot.pk}],
    )
