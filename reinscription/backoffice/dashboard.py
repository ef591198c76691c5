"""The campaign seen from the secretariat: who answered, what they asked, what waits.

Plain queries, each in a constant number of SQL statements whatever the size of the
conservatoire; the admin (dashboard, filtered lists) and the exports call them.

A student *belongs to* a campaign when they followed a course in the campaign's
previous year (an :class:`Enrolment`) or already answered for it.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from accounts.models import Family, Student
from documents.models import Document
from reinscription.labels import (
    PREFERENCES,
    STATUS_LABELS,
    code_names,
    course_name,
    preference_label,
    preference_value_label,
)
from reinscription.models import (
    Campaign,
    Enrolment,
    EnrolmentCourse,
    Reenrolment,
    WizardDraft,
)
from reinscription.rules import FM_DAY_CHOICE, DisplayStatus

# The answers that carry course preferences (a declined student asks nothing).
ANSWERED_REENROL = (Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED)
PENDING = (DisplayStatus.TODO, DisplayStatus.IN_PROGRESS)

# --- Which students, which status ---------------------------------------------------------


def campaign_students(campaign: Campaign, queryset: QuerySet[Student] | None = None):
    """The students concerned by ``campaign`` (enrolled last year, or who answered)."""
    queryset = Student.objects.all() if queryset is None else queryset
    return queryset.filter(
        Exists(
            Enrolment.objects.filter(student=OuterRef("pk"), school_year=campaign.previous_year_id)
        )
        | Exists(Reenrolment.objects.filter(student=OuterRef("pk"), campaign=campaign))
    )


def status_expression(campaign: Campaign, student_ref: str = "pk"):
    """A SQL expression worth the student's :class:`DisplayStatus` in ``campaign``."""
    answer = Reenrolment.objects.filter(student=OuterRef(student_ref), campaign=campaign)
    draft = WizardDraft.objects.filter(student=OuterRef(student_ref), campaign=campaign)
    return Coalesce(
        Subquery(answer.values("status")[:1]),
        Case(
            When(Exists(draft), then=Value(DisplayStatus.IN_PROGRESS.value)),
            default=Value(DisplayStatus.TODO.value),
        ),
        output_field=CharField(),
    )


def with_status(campaign: Campaign, queryset: QuerySet[Student] | None = None):
    """The campaign's students, annotated with ``campaign_status``."""
    return campaign_students(campaign, queryset).annotate(
        campaign_status=status_expression(campaign)
    )


def status_counts(campaign: Campaign) -> dict[DisplayStatus, int]:
    """How many students are à faire, en cours, réinscrits, non réinscrits, validés (1 query)."""
    counts = dict.fromkeys(DisplayStatus, 0)
    rows = (
        with_status(campaign)
        .order_by()
        .values("campaign_status")
        .annotate(count=Count("pk"))
        .values_list("campaign_status", "count")
    )
    for status, count in rows:
        counts[DisplayStatus(status)] = count
    return counts


def documents_waiting(campaign: Campaign) -> int:
    """Documents received for the campaign's year and not reviewed yet."""
    return Document.objects.filter(
        status=Document.Status.RECEIVED, type__school_year=campaign.school_year_id
    ).count()


def families_without_answer(campaign: Campaign) -> QuerySet[Family]:
    """Families with at least one student of the campaign who has not answered yet."""
    pending = (
        campaign_students(campaign)
        .filter(family=OuterRef("pk"))
        .exclude(Exists(Reenrolment.objects.filter(student=OuterRef("pk"), campaign=campaign)))
    )
    return Family.objects.filter(Exists(pending))


def pending_students_by_family(campaign: Campaign, family_ids) -> dict[int, list[tuple]]:
    """``{family_id: [(student, status), …]}`` for the students without an answer."""
    rows = (
        with_status(campaign, Student.objects.filter(family_id__in=family_ids))
        .filter(campaign_status__in=[status.value for status in PENDING])
        .order_by("family_id", "first_name", "pk")
    )
    result: dict[int, list[tuple]] = defaultdict(list)
    for student in rows:
        result[student.family_id].append((student, DisplayStatus(student.campaign_status)))
    return result


# --- What the families asked ---------------------------------------------------------------


@dataclass
class PreferenceCell:
    value: str
    label: str
    count: int


@dataclass
class PreferenceRow:
    """One question for one group of students (their current course), answer counts."""

    key: str
    label: str
    course_code: str = ""
    course_name: str = ""
    cells: list[PreferenceCell] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)


def current_courses(campaign: Campaign, student_ids) -> dict[int, set[str]]:
    """The course codes each student follows in the campaign's previous year (1 query)."""
    courses: dict[int, set[str]] = defaultdict(set)
    rows = EnrolmentCourse.objects.filter(
        enrolment__school_year=campaign.previous_year_id, enrolment__student_id__in=student_ids
    ).values_list("enrolment__student_id", "course__code")
    for student_id, code in rows:
        courses[student_id].add(code)
    return courses


def preference_table(campaign: Campaign) -> list[PreferenceRow]:
    """Counts of each answer of step 6 among the re-enrolled students (3 queries).

    The day asked for formation musicale is counted per current FM course
    (FM1C1, FM1C2, FM1C3), as the planning is made per course.
    """
    answers = list(
        Reenrolment.objects.filter(campaign=campaign, status__in=ANSWERED_REENROL).values_list(
            "student_id", "preferences"
        )
    )
    courses = current_courses(campaign, [student_id for student_id, _prefs in answers])
    names = code_names()
    counters: dict[tuple[str, str], Counter] = defaultdict(Counter)
    for student_id, preferences in answers:
        for key, value in (preferences or {}).items():
            if key not in PREFERENCES or value in ("", None, False):
                continue
            if key == "fm_day":
                groups = sorted(courses.get(student_id, set()) & set(FM_DAY_CHOICE)) or [""]
            else:
                groups = [""]
            for group in groups:
                counters[(key, group)][str(value)] += 1
    rows = []
    for key in PREFERENCES:
        groups = sorted(group for (k, group) in counters if k == key)
        for group in groups:
            counter = counters[(key, group)]
            known = [str(value) for value in PREFERENCES[key][1] if value is not True]
            values = [v for v in known if v in counter]
            values += sorted(v for v in counter if v not in values)
            rows.append(
                PreferenceRow(
                    key=key,
                    label=preference_label(key),
                    course_code=group,
                    course_name=course_name(group, names),
                    cells=[
                        PreferenceCell(v, preference_value_label(key, v, names), counter[v])
                        for v in values
                    ],
                )
            )
    return rows


def open_or_latest_campaign() -> Campaign | None:
    """The campaign the back office shows by default."""
    campaigns = Campaign.objects.select_related("school_year", "previous_year")
    return campaigns.open_at().first() or campaigns.first()


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, STATUS_LABELS[status]) for status in DisplayStatus]


def q_preference(key: str, value: str) -> Q:
    """Re-enrolments whose stored answer ``key`` is ``value`` (JSON key lookup)."""
    if key == "administrative":
        return Q(preferences__administrative=True)
    return Q(**{f"preferences__{key}": value})
