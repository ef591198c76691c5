"""The re-enrolment's business operations: what the views and the wizard call.

Views stay thin: they gather the family's answers and call these functions,
which hand plain values to ``billing`` and ``documents``. The validation itself
(``submit_reenrolment``, its locks and writes) is in :mod:`.submission`.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field

from django.db.models import Prefetch

from accounts.models import Family, Student, User, french_number
from billing import services as billing
from billing.models import PaymentMode
from documents.rules import FamilyFacts, StudentFacts

from .models import (
    Campaign,
    Course,
    CourseSlot,
    Enrolment,
    Reenrolment,
    WizardDraft,
)
from .rules import CatalogueCourse, DisplayStatus, Question, Slot, StudentCourses, display_status


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
