"""The re-enrolment's business operations: what the views and the wizard call.

Views stay thin: they gather the family's answers and call these functions,
which hand plain values to ``billing`` and ``documents``.
"""

import datetime
import logging
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone, translation
from django.utils.formats import date_format

from accounts.models import Family, Student, User
from billing import services as billing
from billing.models import PaymentMode
from conservatoire.emails import queue_email
from documents.rules import FamilyFacts, StudentFacts

from .models import Campaign, Course, Enrolment, Reenrolment, ReenrolmentSnapshot, WizardDraft
from .rules import DisplayStatus, StudentCourses, display_status

logger = logging.getLogger(__name__)


def open_campaign() -> Campaign | None:
    return Campaign.objects.open_at().select_related("school_year", "previous_year").first()


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
    courses = [line.course for line in enrolment.lines.all()] if enrolment else []
    return StudentCourses(
        course_codes=frozenset(course.code for course in courses),
        instrument_kinds=sum(course.kind == Course.Kind.INSTRUMENT for course in courses),
        instrument_year=enrolment.instrument_year if enrolment else None,
        is_adult=student.is_adult_learner,
    )


def student_disciplines(enrolment: Enrolment | None) -> frozenset[str]:
    if not enrolment:
        return frozenset()
    return frozenset(line.course.discipline for line in enrolment.lines.all())


def instrument_choices() -> list[tuple[str, str]]:
    return list(Course.objects.filter(kind=Course.Kind.INSTRUMENT).values_list("code", "name"))


# --- The family space ----------------------------------------------------------


@dataclass
class StudentRow:
    student: Student
    status: DisplayStatus
    reenrolment: Reenrolment | None


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
    )
    rows = []
    for student in students:
        reenrolment = student.campaign_reenrolments[0] if student.campaign_reenrolments else None
        status = display_status(
            reenrolment.status if reenrolment else None, bool(student.campaign_drafts)
        )
        rows.append(StudentRow(student, status, reenrolment))
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


# --- Validation -----------------------------------------------------------------


@dataclass
class SubmitResult:
    reenrolment: Reenrolment | None
    conflict: bool = False
    closed: bool = False


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
        "is_final": result.is_final,
        "lines": [
            {"label": line.label, "formula": line.formula_name, "amount": str(line.amount)}
            for line in result.lines
        ],
        "schedule": [
            {
                "due_on": item.due_on.isoformat(),
                "due_on_display": date_format(item.due_on, "j F Y"),
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
    estimate=None,
) -> SubmitResult:
    """Write the family's answer in one transaction: one row per student and campaign.

    ``base_version`` is the version the family started from; if someone else
    validated in between (a double click, another responsible), nothing is
    written and the result says so. The confirmation email leaves after commit.
    """
    # Serialise validations of one student (a no-op on SQLite, which locks writes).
    Student.objects.select_for_update().filter(pk=student.pk).first()
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
        "estimated_total": Decimal(summary["estimate"]["total"])
        if summary.get("estimate")
        else None,
        "rules_version": campaign.rules_version,
        "rules_accepted_at": now,
        "submitted_by": user,
        "submitted_at": now,
    }
    if reenrol:
        _apply_details(student, answers["coordonnees"])
        _apply_payment(student.family, campaign, answers["reglement"], estimate)
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


def _apply_details(student: Student, details: dict) -> None:
    family = student.family
    _save_changes(
        family,
        {name: details[name] for name in ("address", "postal_code", "city")},
    )
    for responsible in family.responsibles.all():
        prefix = f"responsible_{responsible.pk}_"
        if prefix + "email" in details:
            _save_changes(
                responsible,
                {"email": details[prefix + "email"], "mobile": details[prefix + "mobile"]},
            )
    _save_changes(
        student,
        {
            name: details.get(name, "")
            for name in (
                "school_level",
                "school_name",
                "emergency_contact_name",
                "emergency_contact_phone",
                "emergency_contact_relation",
            )
        },
    )


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

    The PDF is rendered by the worker when the email leaves, not in the request.
    """
    family = reenrolment.student.family
    recipients = family.contact_emails()
    if not recipients:
        logger.warning("Family %s has no email address for the confirmation.", family.pk)
        return
    queue_email(
        "reenrolment_confirmation",
        sorted(set(recipients)),
        "reinscription/emails/confirmation",
        {"reenrolment": reenrolment, "snapshot": snapshot.data},
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
