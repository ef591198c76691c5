"""Staff validation: a re-enrolment "validé par le conservatoire" becomes the student's
enrolment for the campaign's school year, the basis of next year's campaign.

The enrolment takes the formula re-enrolled in (``preferences["formula"]``, which the
wizard sets through :func:`reinscription.rules.next_formula`), the courses followed
this year adjusted to that formula (:func:`next_course_codes`), and the slots the
answers designate (:func:`chosen_slots`). An enrolment that already exists for that
year (an import, a correction by staff, an earlier validation) is left as it is: the
import still wins, and staff correct the enrolment in its admin page.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone

from billing.models import Formula
from reinscription.labels import COURSES
from reinscription.models import (
    Campaign,
    Course,
    CourseSlot,
    Enrolment,
    EnrolmentCourse,
    Reenrolment,
)
from reinscription.rules import AWAKENING, DISCOVERY, FM1C4, FM_DAY_CHOICE, WEEKDAYS

# A Découverte instrumentale pupil moving on to the music curriculum (rules.next_formula)
# follows the instrument they chose, the Découverte's next course (FM1C1) and the chorale.
DISCOVERY_FORMULA = "decouverte"
CURRICULUM_FORMULA = "cursus-musique"
CURRICULUM_ENSEMBLE = "chorale"

# Answers stored before step 6 came from the catalogue: {key: course codes it is about}.
LEGACY_DAYS = {
    "fm_day": FM_DAY_CHOICE,
    "fm1c1_day": ("fm1c1",),
    "awakening_day": (AWAKENING,),
    "discovery_day": (DISCOVERY,),
}
LEGACY_FM1C4_STARTS = {"9h30": datetime.time(9, 30), "10h30": datetime.time(10, 30)}


# --- The rules, as plain functions ------------------------------------------------------------


@dataclass(frozen=True)
class SlotOption:
    """A slot of the year, as plain values."""

    pk: int
    course_code: str
    weekday: int
    starts_at: datetime.time


@dataclass(frozen=True)
class CourseFacts:
    """What the adjustment needs of a course: its kind, and the course that follows it."""

    kind: str
    next_course: str = ""


def next_course_codes(
    current: Sequence[str],
    *,
    catalogue: Mapping[str, CourseFacts],
    current_formula: str | None,
    formula: str | None,
    preferences: Mapping,
) -> list[str]:
    """The courses of next year: this year's, adjusted to the formula re-enrolled in.

    A Découverte pupil moving on to the curriculum leaves the Découverte for the
    instrument chosen, the course that follows the Découverte (FM1C1) and the chorale;
    a collective practice chosen at step 6 replaces the current one. Codes unknown to
    ``catalogue`` are dropped.
    """
    codes = [code for code in dict.fromkeys(current) if code in catalogue]
    if current_formula == DISCOVERY_FORMULA and formula == CURRICULUM_FORMULA:
        discovery = [code for code in codes if catalogue[code].kind == Course.Kind.DISCOVERY]
        following = [catalogue[code].next_course for code in discovery]
        codes = [code for code in codes if code not in discovery]
        codes += [preferences.get("instrument"), *following, CURRICULUM_ENSEMBLE]
    ensemble = preferences.get("ensemble")
    if ensemble in catalogue:
        codes = [c for c in codes if catalogue[c].kind != Course.Kind.ENSEMBLE] + [ensemble]
    return [code for code in dict.fromkeys(codes) if code and code in catalogue]


def chosen_slots(
    course_codes: Iterable[str], preferences: Mapping, slots: Sequence[SlotOption]
) -> dict[str, int]:
    """``{course code: slot pk}`` for the courses whose slot the answers designate.

    A slot chosen at step 6 (``preferences["courses"][code]["slot"]``) or a day with a
    single slot that day (``…["weekday"]``); the same from the answers stored before
    step 6 came from the catalogue (``fm_day``, ``fm1c4_time``…); else the course's
    only slot of the year, if it has just one. Otherwise the planning decides.
    """
    by_course: dict[str, list[SlotOption]] = {}
    for slot in slots:
        by_course.setdefault(slot.course_code, []).append(slot)
    answers = {
        code: answer
        for code, answer in (preferences.get(COURSES) or {}).items()
        if isinstance(answer, Mapping)
    }
    for key, codes in LEGACY_DAYS.items():
        if preferences.get(key) in WEEKDAYS:
            for code in codes:
                answers.setdefault(code, {"weekday": WEEKDAYS.index(preferences[key])})
    result = {}
    for code in course_codes:
        options = by_course.get(code, [])
        answer = answers.get(code, {})
        chosen = None
        if str(answer.get("slot") or "").isdigit():
            chosen = next((s for s in options if s.pk == int(answer["slot"])), None)
        if chosen is None and answer.get("weekday") is not None:
            matching = [s for s in options if s.weekday == answer["weekday"]]
            chosen = matching[0] if len(matching) == 1 else None
        if chosen is None and code == FM1C4 and preferences.get("fm1c4_time"):
            start = LEGACY_FM1C4_STARTS.get(preferences["fm1c4_time"])
            chosen = next((s for s in options if s.starts_at == start), None)
        if chosen is None and len(options) == 1:
            chosen = options[0]
        if chosen is not None:
            result[code] = chosen.pk
    return result


# --- Validation and the enrolment it makes ------------------------------------------------------


class ValidationResult(NamedTuple):
    validated: int
    skipped: int
    enrolled: int  # enrolments created for the campaign's year


def validate_reenrolments(queryset, user) -> ValidationResult:
    """Mark the "réinscrit" ones "validé par le conservatoire" and enrol each student for
    the campaign's year; the others are skipped."""
    validated = skipped = enrolled = 0
    now = timezone.now()
    with transaction.atomic():
        for reenrolment in (
            queryset.select_for_update(of=("self",))
            .select_related("campaign", "student")
            .order_by("pk")
        ):
            if reenrolment.status != Reenrolment.Status.REENROLLED:
                skipped += 1
                continue
            reenrolment.status = Reenrolment.Status.VALIDATED
            reenrolment.validated_by = user
            reenrolment.validated_at = now
            reenrolment.save(update_fields=["status", "validated_by", "validated_at"])
            validated += 1
            _enrolment, created = enrol_from_reenrolment(reenrolment)
            enrolled += created
    return ValidationResult(validated, skipped, enrolled)


def enrol_from_reenrolment(reenrolment: Reenrolment) -> tuple[Enrolment | None, bool]:
    """The student's enrolment for the campaign's year, made from a validated answer.

    Returns ``(enrolment, created)``; ``(None, False)`` for an answer that is not a
    validated re-enrolment. An existing enrolment of that year is returned untouched.
    """
    if (
        reenrolment.status != Reenrolment.Status.VALIDATED
        or reenrolment.decision != Reenrolment.Decision.REENROL
    ):
        return None, False
    campaign = reenrolment.campaign
    existing = Enrolment.objects.filter(
        student_id=reenrolment.student_id, school_year_id=campaign.school_year_id
    ).first()
    if existing is not None:
        return existing, False
    previous = (
        Enrolment.objects.filter(
            student_id=reenrolment.student_id, school_year_id=campaign.previous_year_id
        )
        .select_related("formula")
        .prefetch_related("lines__course")
        .first()
    )
    preferences = reenrolment.preferences or {}
    current_formula = previous.formula.code if previous and previous.formula else None
    formula_code = preferences.get("formula") or current_formula
    formula = Formula.objects.filter(code=formula_code).first() if formula_code else None
    catalogue = {
        code: CourseFacts(kind, next_code or "")
        for code, kind, next_code in Course.objects.values_list("code", "kind", "next_course__code")
    }
    codes = next_course_codes(
        [line.course.code for line in previous.lines.all()] if previous else [],
        catalogue=catalogue,
        current_formula=current_formula,
        formula=formula_code,
        preferences=preferences,
    )
    courses = {course.code: course for course in Course.objects.filter(code__in=codes)}
    slots = [
        SlotOption(slot.pk, slot.course.code, slot.weekday, slot.starts_at)
        for slot in CourseSlot.objects.filter(
            school_year_id=campaign.school_year_id, course__code__in=codes
        ).select_related("course")
    ]
    slot_of = chosen_slots(codes, preferences, slots)
    try:
        with transaction.atomic():
            enrolment = Enrolment.objects.create(
                student_id=reenrolment.student_id,
                school_year_id=campaign.school_year_id,
                formula=formula or (previous.formula if previous else None),
                instrument_year=_next_instrument_year(previous, current_formula, formula_code),
            )
            EnrolmentCourse.objects.bulk_create(
                EnrolmentCourse(
                    enrolment=enrolment, course=courses[code], slot_id=slot_of.get(code)
                )
                for code in codes
                if code in courses
            )
    except IntegrityError:  # made meanwhile (another validation, an import)
        return (
            Enrolment.objects.get(
                student_id=reenrolment.student_id, school_year_id=campaign.school_year_id
            ),
            False,
        )
    return enrolment, True


def _next_instrument_year(
    previous: Enrolment | None, current_formula: str | None, formula: str | None
) -> int | None:
    if current_formula == DISCOVERY_FORMULA and formula == CURRICULUM_FORMULA:
        return 1
    if previous is None or previous.instrument_year is None:
        return None
    return previous.instrument_year + 1


def enrol_validated(campaign: Campaign) -> int:
    """Make the missing enrolments of ``campaign``'s validated re-enrolments (for those
    validated before validation made them); returns how many were created."""
    missing = (
        Reenrolment.objects.filter(
            campaign=campaign,
            status=Reenrolment.Status.VALIDATED,
            decision=Reenrolment.Decision.REENROL,
        )
        .exclude(student__enrolments__school_year=campaign.school_year_id)
        .select_related("campaign")
        .order_by("pk")
    )
    created = 0
    for reenrolment in missing:
        _enrolment, made = enrol_from_reenrolment(reenrolment)
        created += made
    return created
