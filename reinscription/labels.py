"""What the portal calls things: statuses, the step 6 answers, course and formula names.

Shared by the family side (the recap PDF) and the back office (dashboard, admin,
exports), so it lives on the family side: ``reinscription.backoffice`` imports
it, never the other way round.

Course preferences are stored by code (``Reenrolment.preferences``)::

    {
        "formula": "cursus-musique",        # the formula re-enrolled in
        "courses": {                         # step 6's days and times, by course code
            "fm1c3": {"question": "day", "weekday": 3, "slot": 42,
                      "label": "Jeudi 16h00–17h00"},
            "fm1c4": {"question": "time", "weekday": 5, "slot": 57,
                      "label": "Samedi 9h30–10h30 (…)"},
        },
        "ensemble": "orchestre",             # the collective practice chosen (a course)
        "administrative": True,              # Découverte: "Réinscription administrative"
        "instrument": "violon",              # … and the instrument chosen
    }

A day answer carries the weekday (0 = Monday) and the slot when that day has one
slot of the course (else ``None``: the day says it); a time answer, its slot. The
label is the answer as the family read it, so it reads well after slots change.
:func:`code_names`, :func:`course_name` and :func:`formula_name` are the one place
that turns codes into names; :func:`preference_items` names a whole answer.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.dateformat import time_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import Formula

from .models import Course, Weekday
from .rules import DisplayStatus, Option, Question, Slot

# The secretariat's words (dashboard, admin filters, exports): short column values.
STATUS_LABELS = {
    DisplayStatus.TODO: _("to do"),
    DisplayStatus.IN_PROGRESS: _("in progress"),
    DisplayStatus.REENROLLED: _("re-enrolled"),
    DisplayStatus.DECLINED: _("not re-enrolled"),
    DisplayStatus.VALIDATED: _("validated by the conservatoire"),
}

# The family's words, from the answer to the conservatoire's validation: the family
# space, its badge, the recap page, the confirmation and reminder emails and the recap
# PDF say the same. They describe the re-enrolment (« la réinscription », feminine),
# never the child, so they agree whoever the child is: the portal knows no child's
# sex and does not ask for it.
FAMILY_STATUS_LABELS = {
    DisplayStatus.TODO: pgettext_lazy("family status", "to do"),
    DisplayStatus.IN_PROGRESS: pgettext_lazy("family status", "in progress"),
    DisplayStatus.REENROLLED: pgettext_lazy(
        "family status", "re-enrolment recorded, awaiting validation"
    ),
    DisplayStatus.DECLINED: pgettext_lazy("family status", "no re-enrolment"),
    DisplayStatus.VALIDATED: pgettext_lazy(
        "family status", "re-enrolment validated by the conservatoire"
    ),
}


def family_status_label(status: str | None) -> str:
    """The family's words for a status ("" for an unknown one)."""
    try:
        return str(FAMILY_STATUS_LABELS[DisplayStatus(status)])
    except ValueError:
        return ""


# The step 6 answers stored in Reenrolment.preferences besides "courses":
# key -> (label, {value: label}); course codes are named through code_names().
PREFERENCES: dict[str, tuple] = {
    "ensemble": (_("Compulsory collective practice"), {}),
    "administrative": (
        pgettext_lazy("guide", "Administrative re-enrolment"),
        {True: _("yes"), "True": _("yes")},
    ),
    "instrument": (_("Instrument chosen by the pupil"), {}),
    "formula": (_("Formula"), {}),
}
COURSES = "courses"  # the key of the day and time answers
COURSE_QUESTIONS = {
    Question.DAY: _("%(course)s: preferred day"),
    Question.TIME: _("%(course)s: preferred time"),
}
QUESTION_LABELS = {Question.DAY: _("Preferred day"), Question.TIME: _("Preferred time")}
# A slot's hours, as a date format ("9h30" in French).
SLOT_TIME_FORMAT = pgettext_lazy("hours of a course slot, a time format", "G:i")


def preference_label(key: str) -> str:
    return str(PREFERENCES[key][0]) if key in PREFERENCES else key


def preference_value_label(key: str, value, names: Mapping[str, str] | None = None) -> str:
    """The French label of a stored answer (course and formula codes through ``names``)."""
    choices = PREFERENCES.get(key, (None, {}))[1]
    if value in choices:
        return str(choices[value])
    if names and value in names:
        return names[value]
    return str(value)


def course_question_label(question: str, course: str) -> str:
    """The question of a day or time answer, "FM1C3 : jour souhaité" (``course``: a name)."""
    label = COURSE_QUESTIONS.get(question, COURSE_QUESTIONS[Question.DAY])
    return str(label) % {"course": course}


def preference_items(
    preferences: Mapping, names: Mapping[str, str], *, skip: tuple[str, ...] = ("formula",)
) -> list[tuple[str, str]]:
    """A stored answer as (question, answer) labels: each day or time by course, then the
    other keys (those in ``skip`` and the empty ones left out)."""
    items = []
    for key, value in preferences.items():
        if key in skip or value in ("", None, False):
            continue
        if key == COURSES and isinstance(value, Mapping):
            for code, answer in value.items():
                answer = answer if isinstance(answer, Mapping) else {"label": answer}
                question = course_question_label(answer.get("question", ""), names.get(code, code))
                items.append((question, str(answer.get("label", ""))))
        else:
            items.append((preference_label(key), preference_value_label(key, value, names)))
    return items


# --- Slots and step 6's options ------------------------------------------------------------------


def slot_hours(slot: Slot) -> str:
    """A slot's hours, "14h00–15h00", with its label if staff gave one: "9h30–10h30 (…)"."""
    time = str(SLOT_TIME_FORMAT)
    hours = f"{time_format(slot.starts_at, time)}–{time_format(slot.ends_at, time)}"
    return f"{hours} ({slot.label})" if slot.label else hours


def day_text(slots) -> str:
    """One day's slots as "Mercredi 14h00–15h00": the weekday and the hours of each."""
    if not slots:
        return ""
    return f"{Weekday(slots[0].weekday).label} {', '.join(slot_hours(slot) for slot in slots)}"


def option_label(option: Option) -> str:
    """What the family reads for one option of step 6: a day or a slot with its hours
    ("Mercredi 14h00–15h00"), a course with its days and hours ("Orchestre — Mercredi …")."""
    if option.course is None:
        return day_text(option.slots)
    days = ", ".join(day_text([slot]) for slot in option.slots)
    return f"{option.course.name} — {days}" if days else option.course.name


# --- Course and formula names ------------------------------------------------------------------


def course_names() -> dict[str, str]:
    """The name of every course, by code (1 query)."""
    return dict(Course.objects.values_list("code", "name"))


def code_names() -> dict[str, str]:
    """The name of every course and formula, by code (2 queries).

    A formula wins over a course of the same code (``eveil`` is both).
    """
    names = course_names()
    names.update(Formula.objects.values_list("code", "name"))
    return names


def enrolment_course_names(enrolment) -> list[str]:
    """The names of the courses of an enrolment (its lines prefetched with their course),
    in the catalogue's order: what a family reads, never the codes."""
    if enrolment is None:
        return []
    courses = sorted((line.course for line in enrolment.lines.all()), key=_catalogue_order)
    return [course.name for course in courses]


def _catalogue_order(course: Course) -> tuple:
    return (course.order, course.name)


def formula_name(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A formula's name: "" without a code, the code itself when no formula has it.

    ``names`` (from :func:`code_names`) saves the query when naming many.
    """
    if not code:
        return ""
    if names is None:
        names = dict(Formula.objects.filter(code=code).values_list("code", "name"))
    return names.get(code, code)


def course_name(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A course's name: "" without a code, the code itself when no course has it.

    ``names`` (from :func:`course_names` or :func:`code_names`) saves the query.
    """
    if not code:
        return ""
    if names is None:
        names = dict(Course.objects.filter(code=code).values_list("code", "name"))
    return names.get(code, code)
