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
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from accounts.models import Family, Student
from conservatoire.emails import failed_count
from documents.models import Document
from reinscription.labels import (
    COURSES,
    PREFERENCES,
    QUESTION_LABELS,
    STATUS_LABELS,
    code_names,
    course_name,
    preference_label,
    preference_value_label,
)
from reinscription.models import (
    Campaign,
    Enrolment,
    Reenrolment,
    Weekday,
    WizardDraft,
)
from reinscription.rules import WEEKDAYS, DisplayStatus, Question

# The answers that carry course preferences (a declined student asks nothing).
ANSWERED_REENROL = (Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED)
PENDING = (DisplayStatus.TODO, DisplayStatus.IN_PROGRESS)
# The students of the campaign's families outside its basis (see outside_basis).
OUTSIDE = "outside"
OUTSIDE_LABEL = _("outside the basis")

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


def outside_basis(campaign: Campaign, queryset: QuerySet[Student] | None = None):
    """The "hors base" students: in a family of the campaign, but not in its basis.

    They followed no course in the campaign's previous year (a younger sibling, a
    child added to the family) and have not answered: the family is not offered an
    empty re-enrolment for them, the secretariat handles them.
    """
    queryset = Student.objects.all() if queryset is None else queryset
    in_campaign = campaign_students(campaign)
    return queryset.filter(family__in=in_campaign.values("family")).exclude(
        pk__in=in_campaign.values("pk")
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
    """One question (a day or time: for one course) and its answer counts."""

    key: str
    label: str
    course_code: str = ""
    course_name: str = ""
    cells: list[PreferenceCell] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(cell.count for cell in self.cells)


def preference_table(campaign: Campaign) -> list[PreferenceRow]:
    """Counts of each answer of step 6 among the re-enrolled students (3 queries).

    A day or a time is counted per course it was asked for (the planning is made per
    course): a day by weekday, a time by slot. The other answers follow.
    """
    answers = list(
        Reenrolment.objects.filter(campaign=campaign, status__in=ANSWERED_REENROL).values_list(
            "student_id", "preferences"
        )
    )
    names = code_names()
    counters: dict[str, Counter] = defaultdict(Counter)
    cell_labels: dict[tuple[str, str], tuple] = {}  # (row key, value) -> (sort key, label)
    for _student_id, preferences in answers:
        for key, value in (preferences or {}).items():
            if value in ("", None, False):
                continue
            if key == COURSES and isinstance(value, dict):
                for code, answer in value.items():
                    cell = _course_cell(answer)
                    if cell is not None:
                        row_key = f"{answer['question']}.{code}"
                        counters[row_key][cell[0]] += 1
                        cell_labels.setdefault((row_key, cell[0]), cell[1:])
            elif key in PREFERENCES:
                counters[key][str(value)] += 1
    rows = []
    course_keys = sorted(
        (key for key in counters if "." in key),
        key=lambda key: (course_name(key.partition(".")[2], names), key),
    )
    for key in course_keys:
        question, _dot, code = key.partition(".")
        counter = counters[key]
        values = sorted(counter, key=lambda v: cell_labels[(key, v)])
        rows.append(
            PreferenceRow(
                key=key,
                label=str(QUESTION_LABELS.get(question, question)),
                course_name=course_name(code, names),
                cells=[PreferenceCell(v, cell_labels[(key, v)][1], counter[v]) for v in values],
            )
        )
    for key in PREFERENCES:
        if key not in counters:
            continue
        counter = counters[key]
        known = [str(value) for value in PREFERENCES[key][1] if value is not True]
        values = [v for v in known if v in counter]
        values += sorted(v for v in counter if v not in values)
        rows.append(
            PreferenceRow(
                key=key,
                label=preference_label(key),
                cells=[
                    PreferenceCell(v, preference_value_label(key, v, names), counter[v])
                    for v in values
                ],
            )
        )
    return rows


def _course_cell(answer) -> tuple[str, tuple, str] | None:
    """A day or time answer as (value, sort key, label): a day by weekday, a time by slot."""
    if not isinstance(answer, dict):
        return None
    weekday = answer.get("weekday")
    if answer.get("question") == Question.DAY and weekday in range(len(WEEKDAYS)):
        return WEEKDAYS[weekday], (weekday,), str(Weekday(weekday).label)
    if answer.get("question") == Question.TIME and answer.get("slot") is not None:
        label = str(answer.get("label", ""))
        return str(answer["slot"]), (weekday if weekday is not None else 7, label), label
    return None


def open_or_latest_campaign() -> Campaign | None:
    """The campaign the back office shows by default."""
    campaigns = Campaign.objects.select_related("school_year", "previous_year")
    return campaigns.open_at().first() or campaigns.first()


def status_choices() -> list[tuple[str, str]]:
    return [(status.value, STATUS_LABELS[status]) for status in DisplayStatus]


def is_preference_key(key: str) -> bool:
    """Whether :func:`q_preference` knows ``key``: a stored key, or ``day.<course code>``
    / ``time.<course code>`` (the rows of :func:`preference_table`)."""
    question, dot, code = key.partition(".")
    return key in PREFERENCES or bool(dot and code and question in QUESTION_LABELS)


def q_preference(key: str, value: str) -> Q:
    """Re-enrolments whose stored answer ``key`` is ``value`` (JSON key lookup).

    ``day.fm1c3`` and ``wednesday``: the day answered for FM1C3; ``time.fm1c4`` and a
    slot id: the time answered for FM1C4.
    """
    if key == "administrative":
        return Q(preferences__administrative=True)
    question, dot, code = key.partition(".")
    if dot:
        # Django's JSON key lookups compare as JSON on every backend (PostgreSQL has
        # no jsonb = integer operator for a bare KeyTransform).
        if question == Question.DAY and value in WEEKDAYS:
            field, wanted = "weekday", WEEKDAYS.index(value)
        elif question == Question.TIME and value.isdigit():
            field, wanted = "slot", int(value)
        else:
            return Q(pk__in=[])
        return Q(**{f"preferences__{COURSES}__{code}__{field}": wanted})
    return Q(**{f"preferences__{key}": value})


# --- Emails -----------------------------------------------------------------------------------


def failed_emails() -> dict:
    """The emails that failed for good (72 hours of attempts): how many, and their list in
    the outbox, whose "Renvoyer" sends them again (1 query)."""
    url = reverse("admin:conservatoire_outboxemail_changelist")
    return {"count": failed_count(), "url": f"{url}?{urlencode({'delivery': 'failed'})}"}
