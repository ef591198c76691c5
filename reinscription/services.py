"""The re-enrolment's business operations: what the views and the wizard call.

Views stay thin: they gather the family's answers and call these functions,
which hand plain values to ``billing`` and ``documents``.
"""

import datetime
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Final

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation

from accounts.emails import family_recipients, notify_email_changed
from accounts.models import Family, Student, User, french_number
from billing import services as billing
from billing.models import PaymentMode
from billing.templatetags.billing_tags import long_date
from conservatoire.email_building import portal_url
from conservatoire.emails import queue_email
from documents.rules import FamilyFacts, StudentFacts

from .models import (
    Campaign,
    Course,
    CourseSlot,
    Enrolment,
    Reenrolment,
    ReenrolmentSnapshot,
    WizardDraft,
)
from .rules import CatalogueCourse, DisplayStatus, Question, Slot, StudentCourses, display_status
from .todo import what_is_left

logger = logging.getLogger(__name__)


def open_campaign() -> Campaign | None:
    """The campaign families see now: published and within its dates."""
    return Campaign.objects.open_at().select_related("school_year", "previous_year").first()


def family_school_year():
    """The school year families see (``settings.FAMILY_SCHOOL_YEAR_PROVIDER``).

    The year of the campaign they see, else of the last one they saw; a campaign
    being prepared (not published yet) is not theirs. ``None`` before any campaign
    was published: ``documents`` and ``billing`` then decide alone.
    """
    campaign = (
        open_campaign() or Campaign.objects.last_opened().select_related("school_year").first()
    )
    return campaign.school_year if campaign is not None else None


# --- What the student follows this year --------------------------------------


def current_enrolment(student: Student, campaign: Campaign) -> Enrolment | None:
    """The student's enrolment in the campaign's previous year, with its courses."""
    return (
        Enrolment.objects.filter(student=student, school_year=campaign.previous_year)
        .select_related("formula")
        .prefetch_related("lines__course")
        .first()
    )


def student_courses(student: Student, enrolment: Enrolment | None) -> StudentCourses:
    return StudentCourses(
        course_codes=frozenset(line.course.code for line in enrolment.lines.all())
        if enrolment
        else frozenset(),
        instrument_year=enrolment.instrument_year if enrolment else None,
        is_adult=student.is_adult_learner,
    )


def course_catalogue(school_year) -> dict[str, CatalogueCourse]:
    """The catalogue for step 6, by code in its order, each course with its slots in
    ``school_year`` (2 queries, whatever its size)."""
    slots: dict[int, list[Slot]] = {}
    for slot in CourseSlot.objects.filter(school_year=school_year).order_by("weekday", "starts_at"):
        slots.setdefault(slot.course_id, []).append(
            Slot(slot.pk, slot.weekday, slot.starts_at, slot.ends_at, slot.label)
        )
    courses = Course.objects.select_related("next_course").order_by("order", "name")
    return {
        course.code: CatalogueCourse(
            code=course.code,
            name=course.name,
            kind=course.kind,
            question=Question(course.question),
            next_course=course.next_course.code if course.next_course else "",
            slots=tuple(slots.get(course.pk, ())),
        )
        for course in courses
    }


def student_disciplines(enrolment: Enrolment | None) -> frozenset[str]:
    if not enrolment:
        return frozenset()
    return frozenset(line.course.discipline for line in enrolment.lines.all())


# --- The family space ----------------------------------------------------------


@dataclass
class StudentRow:
    student: Student
    status: DisplayStatus
    reenrolment: Reenrolment | None
    # Followed a course in the campaign's previous year: the basis of the re-enrolment.
    # A student outside it (a younger sibling…) is enrolled by the conservatoire, not here.
    in_basis: bool = True

    @property
    def can_start(self) -> bool:
        """Whether the family may open the wizard for this student."""
        return self.in_basis and self.status != DisplayStatus.VALIDATED


def family_panel(family: Family, campaign: Campaign) -> list[StudentRow]:
    """Each student of the family with its status for the campaign (constant queries)."""
    students = family.students.prefetch_related(
        Prefetch(
            "reenrolments",
            queryset=Reenrolment.objects.filter(campaign=campaign),
            to_attr="campaign_reenrolments",
        ),
        Prefetch(
            "drafts",
            queryset=WizardDraft.objects.filter(campaign=campaign),
            to_attr="campaign_drafts",
        ),
        Prefetch(
            "enrolments",
            queryset=Enrolment.objects.filter(school_year=campaign.previous_year_id).only(
                "pk", "student_id"
            ),
            to_attr="basis_enrolments",
        ),
    )
    rows = []
    for student in students:
        reenrolment = student.campaign_reenrolments[0] if student.campaign_reenrolments else None
        status = display_status(
            reenrolment.status if reenrolment else None, bool(student.campaign_drafts)
        )
        rows.append(StudentRow(student, status, reenrolment, bool(student.basis_enrolments)))
    return rows


# --- Money ----------------------------------------------------------------------


def family_facts(family: Family, payment: dict) -> FamilyFacts:
    return FamilyFacts(
        is_resident=family.is_resident,
        wants_qf_tariff=bool(family.is_resident and payment.get("wants_qf_tariff")),
        pays_by_direct_debit=payment.get("payment_mode") == PaymentMode.MONTHLY,
        bank_changed=bool(payment.get("bank_changed")),
    )


def estimate(
    family: Family,
    campaign: Campaign,
    *,
    student: Student,
    reenrol: bool,
    formula_code: str | None,
    payment_mode: str,
    wants_qf_tariff: bool,
    pass_culture: bool,
):
    """The family's estimate if this student's answer is the one given now.

    It counts the other students already re-enrolled in this campaign, so
    sibling reductions apply; the student at hand counts only if re-enrolled.
    """
    others = (
        Reenrolment.objects.filter(
            campaign=campaign,
            student__family=family,
            status__in=[Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED],
        )
        .exclude(student=student)
        .select_related("student")
    )
    inputs = [
        billing.EstimateInput(
            key=str(other.student_id),
            label=other.student.full_name,
            formula_code=other.preferences.get("formula", ""),
            starts_on=None,
        )
        for other in others
        if other.preferences.get("formula")
    ]
    if reenrol and formula_code:
        inputs.append(
            billing.EstimateInput(
                key=str(student.pk),
                label=student.full_name,
                formula_code=formula_code,
                starts_on=None,
            )
        )
    return billing.estimate_family(
        campaign.school_year,
        is_resident=family.is_resident,
        qf_value=family.qf_value,
        qf_proven=family.qf_proven or wants_qf_tariff,
        enrolments=inputs,
        payment_mode=payment_mode or PaymentMode.ONCE,
        pass_culture=pass_culture,
    )


# --- The family's details (step 2) -----------------------------------------------

FAMILY_DETAILS = ("address", "postal_code", "city")
RESPONSIBLE_DETAILS = ("email", "mobile")
STUDENT_DETAILS = (
    "school_level",
    "school_name",
    "emergency_contact_name",
    "emergency_contact_phone",
    "emergency_contact_relation",
)
PHONE_DETAILS = ("mobile", "emergency_contact_phone")


def responsible_detail(responsible: User, name: str) -> str:
    """Step 2's field name for one of a responsible's details."""
    return f"responsible_{responsible.pk}_{name}"


def detail_text(key: str, value) -> str:
    """A step-2 value as plain text (JSON-ready, comparable): a French phone number in
    its national writing, whatever the way it was typed or stored."""
    text = "" if value is None else str(value).strip()
    if text and key.endswith(PHONE_DETAILS):
        number = french_number(text)
        if number is not None:
            return number.as_national
    return text


def current_details(family: Family, responsibles, student: Student) -> dict[str, str]:
    """Step 2's values as stored now, keyed by the step's field names."""
    values = {name: getattr(family, name) for name in FAMILY_DETAILS}
    for responsible in responsibles:
        for name in RESPONSIBLE_DETAILS:
            values[responsible_detail(responsible, name)] = getattr(responsible, name)
    values.update({name: getattr(student, name) for name in STUDENT_DETAILS})
    return {key: detail_text(key, value) for key, value in values.items()}


@dataclass
class DetailsReconciliation:
    """What a draft's step 2 means against the values stored now (see :func:`reconcile_details`)."""

    changes: dict[str, str] = field(default_factory=dict)
    refreshed: dict[str, str] = field(default_factory=dict)
    conflicts: dict[str, dict[str, str]] = field(default_factory=dict)


def reconcile_details(
    typed: Mapping, initial: Mapping[str, str], current: Mapping[str, str]
) -> DetailsReconciliation:
    """Compare step 2's answers with the values it was built with and those stored now.

    ``typed`` is the step's cleaned data, ``initial`` the values the step was built
    with (recorded in the draft), ``current`` :func:`current_details`. A field the
    family left as shown is not written: the stored value stands, and is in
    ``refreshed`` when it changed since (a co-parent, the account page, an import).
    A field the family changed is in ``changes``, unless it also changed elsewhere
    to something else: then it is in ``conflicts`` (``stored`` and ``typed``) and
    the family chooses. A field missing from ``initial`` counts as shown as stored.
    """
    result = DetailsReconciliation()
    for key, value in typed.items():
        if key not in current:
            continue
        stored = current[key]
        shown = detail_text(key, initial[key]) if key in initial else stored
        text = detail_text(key, value)
        if text == shown:
            if stored != shown:
                result.refreshed[key] = stored
        elif text == stored:
            continue
        elif stored != shown:
            result.conflicts[key] = {"stored": stored, "typed": text}
        else:
            result.changes[key] = text
    return result


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


# --- Facts for the family's documents page ------------------------------------------


def documents_facts(family: Family, school_year) -> tuple[FamilyFacts, list]:
    """What ``documents`` needs to know outside the wizard (DOCUMENTS_FACTS_PROVIDER).

    The payment mode comes from the family's billing preference of the year, the
    disciplines from what each student follows now; declined students need nothing.
    """
    from billing.models import FamilyBilling

    preference = FamilyBilling.objects.filter(family=family, school_year=school_year).first()
    facts = FamilyFacts(
        is_resident=family.is_resident,
        wants_qf_tariff=family.is_resident and family.qf_value is not None,
        pays_by_direct_debit=bool(preference and preference.payment_mode == PaymentMode.MONTHLY),
        bank_changed=bool(preference and preference.bank_changed),
    )
    campaign = Campaign.objects.filter(school_year=school_year).first()
    students = list(family.students.all())
    declined = set()
    enrolments = {}
    if campaign:
        declined = set(
            Reenrolment.objects.filter(
                campaign=campaign, student__family=family, status=Reenrolment.Status.DECLINED
            ).values_list("student_id", flat=True)
        )
        for enrolment in Enrolment.objects.filter(
            student__family=family, school_year=campaign.previous_year
        ).prefetch_related("lines__course"):
            enrolments[enrolment.student_id] = enrolment
    return facts, [
        (
            student,
            StudentFacts(
                disciplines=student_disciplines(enrolments.get(student.pk)),
                is_adult=student.is_adult_learner,
            ),
        )
        for student in students
        if student.pk not in declined
    ]
