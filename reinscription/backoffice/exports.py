"""Planning exports for the secretariat (CSV and XLSX).

- the re-enrolled students per course of this year, with their course
  preferences for next year and the family's free text;
- the families who have not answered yet (à faire or en cours).

The files are written by :mod:`conservatoire.spreadsheets` (French CSV, XLSX,
formula-like text kept as text).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import Max, OuterRef, Prefetch, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from conservatoire.spreadsheets import Sheet, csv_response, xlsx_response
from reinscription.backoffice.dashboard import (
    ANSWERED_REENROL,
    families_without_answer,
    pending_students_by_family,
)
from reinscription.labels import (
    COURSES,
    STATUS_LABELS,
    code_names,
    formula_name,
    preference_value_label,
)
from reinscription.models import Campaign, Course, EnrolmentCourse, Reenrolment, ReminderSent
from reinscription.rules import DisplayStatus

# The step 6 answers with a column each, after the days and times (one column for all).
PLANNING_PREFERENCES = ("ensemble", "administrative", "instrument")


# --- Planning: re-enrolled students per course -------------------------------------------------


def planning_header() -> list[str]:
    return [
        _("Course"),
        _("Student"),
        _("Birth date"),
        _("Family"),
        _("Status"),
        _("Formula next year"),
        _("Year of instrument"),
        _("Preferred days and times"),
        _("Collective practice"),
        _("Administrative re-enrolment"),
        _("Instrument chosen"),
        _("Complementary information"),
        _("Responsibles"),
        _("Emails"),
        _("Mobiles"),
    ]


def planning_sheets(
    campaign: Campaign,
    *,
    course_code: str | None = None,
    reenrolment_ids: Iterable[int] | None = None,
) -> list[Sheet]:
    """One sheet per course followed this year, listing its re-enrolled students."""
    reenrolments = (
        Reenrolment.objects.filter(campaign=campaign, status__in=ANSWERED_REENROL)
        .select_related("student__family")
        .prefetch_related(
            Prefetch(
                "student__family__responsibles",
                queryset=User.objects.filter(is_active=True).order_by("pk"),
                to_attr="active_responsibles",
            )
        )
        .order_by("student__last_name", "student__first_name", "pk")
    )
    if reenrolment_ids is not None:
        reenrolments = reenrolments.filter(pk__in=list(reenrolment_ids))
    reenrolments = list(reenrolments)
    by_student = {r.student_id: r for r in reenrolments}
    lines = EnrolmentCourse.objects.filter(
        enrolment__school_year=campaign.previous_year_id,
        enrolment__student_id__in=list(by_student),
    ).select_related("course", "enrolment")
    if course_code:
        lines = lines.filter(course__code=course_code)
    per_course: dict[int, list] = defaultdict(list)
    courses: dict[int, Course] = {}
    followed = set()
    for line in lines:
        courses[line.course_id] = line.course
        per_course[line.course_id].append((by_student[line.enrolment.student_id], line.enrolment))
        followed.add(line.enrolment.student_id)
    names = code_names()
    sheets = []
    for course in sorted(courses.values(), key=lambda c: (c.order, c.name)):
        entries = sorted(
            per_course[course.pk],
            key=lambda item: (item[0].student.last_name, item[0].student.first_name),
        )
        rows = [_planning_row(course.name, r, enrolment, names) for r, enrolment in entries]
        sheets.append(Sheet(course.name, planning_header(), rows))
    if not course_code:
        others = [r for r in reenrolments if r.student_id not in followed]
        if others:
            rows = [_planning_row("—", r, None, names) for r in others]
            sheets.append(Sheet(_("Without course"), planning_header(), rows))
    return sheets


def _planning_row(course_name: str, reenrolment: Reenrolment, enrolment, names) -> list:
    student = reenrolment.student
    preferences = reenrolment.preferences or {}
    responsibles = getattr(student.family, "active_responsibles", [])

    def pref(key):
        value = preferences.get(key)
        if value in (None, "", False):
            return ""
        return preference_value_label(key, value, names)

    return [
        course_name,
        student.full_name,
        student.birth_date,
        student.family.name,
        str(STATUS_LABELS[DisplayStatus(reenrolment.status)]),
        formula_name(preferences.get("formula"), names),
        enrolment.instrument_year if enrolment else None,
        "; ".join(
            f"{names.get(code, code)} : {answer.get('label', '')}"
            for code, answer in (preferences.get(COURSES) or {}).items()
        ),
        *[pref(key) for key in PLANNING_PREFERENCES],
        reenrolment.comments,
        ", ".join(r.get_full_name() or r.username for r in responsibles),
        ", ".join(r.email for r in responsibles if r.email),
        ", ".join(str(r.mobile) for r in responsibles if r.mobile),
    ]


def planning_response(campaign: Campaign, fmt: str, suffix: str = "", **kwargs):
    """The planning export as a download: one CSV table, or one XLSX sheet per course.

    ``kwargs`` go to :func:`planning_sheets`; an unknown ``fmt`` gives ``None``.
    """
    if fmt not in ("csv", "xlsx"):
        return None
    sheets = planning_sheets(campaign, **kwargs)
    filename = export_filename("planning", campaign, fmt, suffix)
    if fmt == "csv":
        rows = [row for sheet in sheets for row in sheet.rows]
        return csv_response(filename, planning_header(), rows)
    return xlsx_response(filename, sheets)


# --- Families who have not answered --------------------------------------------------------------


def unanswered_header() -> list[str]:
    return [
        _("Family"),
        _("Identifier in the previous tool"),
        _("Students without an answer"),
        _("Status"),
        _("Responsibles"),
        _("Identifiers"),
        _("Emails"),
        _("Mobiles"),
        _("Accesses last sent"),
        _("Last reminder"),
    ]


def unanswered_rows(campaign: Campaign) -> list[list]:
    last_reminder = (
        ReminderSent.objects.filter(family=OuterRef("pk"), campaign=campaign)
        .order_by("-sent_at")
        .values("sent_at")[:1]
    )
    families = list(
        families_without_answer(campaign)
        .annotate(
            last_reminder=Subquery(last_reminder),
            access_sent=Max("responsibles__access_sent_at"),
        )
        .prefetch_related(
            Prefetch(
                "responsibles",
                queryset=User.objects.filter(is_active=True).order_by("pk"),
                to_attr="active_responsibles",
            )
        )
        .order_by("name", "pk")
    )
    pending = pending_students_by_family(campaign, [family.pk for family in families])
    rows = []
    for family in families:
        students = pending.get(family.pk, [])
        responsibles = family.active_responsibles
        rows.append(
            [
                family.name,
                family.legacy_id,
                ", ".join(student.full_name for student, _status in students),
                ", ".join(str(STATUS_LABELS[status]) for _student, status in students),
                ", ".join(r.get_full_name() or r.username for r in responsibles),
                ", ".join(r.username for r in responsibles),
                ", ".join(r.email for r in responsibles if r.email),
                ", ".join(str(r.mobile) for r in responsibles if r.mobile),
                family.access_sent,
                family.last_reminder,
            ]
        )
    return rows


def unanswered_sheet(campaign: Campaign) -> Sheet:
    return Sheet(_("Without answer"), unanswered_header(), unanswered_rows(campaign))


def unanswered_response(campaign: Campaign, fmt: str):
    """The families without an answer as a download; an unknown ``fmt`` gives ``None``."""
    if fmt not in ("csv", "xlsx"):
        return None
    sheet = unanswered_sheet(campaign)
    filename = export_filename("sans-reponse", campaign, fmt)
    if fmt == "csv":
        return csv_response(filename, sheet.header, sheet.rows)
    return xlsx_response(filename, [sheet])


def export_filename(kind: str, campaign: Campaign, extension: str, suffix: str = "") -> str:
    stamp = timezone.localtime().strftime("%Y%m%d")
    suffix = f"-{suffix}" if suffix else ""
    return f"{kind}-{campaign.school_year.label}{suffix}-{stamp}.{extension}"
