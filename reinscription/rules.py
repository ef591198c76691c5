"""Which questions the wizard asks, and what status a student shows: plain functions.

Nothing here touches the database or HTTP: the wizard gathers plain values (the
catalogue's courses with the question each asks and its slots in the campaign's
school year, the course codes the student follows this year, their year of
instrument…) and these functions decide. Tests call them directly.

Step 6 is built from the catalogue: each course says what it asks the family
(:class:`Question`), and the options are its slots as staff entered them. With the
demo catalogue (``demo_data.toml``) this gives the guide's questions: Éveil and
FM1C1–FM1C3 ask a day, FM1C4 a time, the Découverte an administrative re-enrolment
(instrument and day of FM1C1) or its day, and each instrument the collective
practice from the 2nd year of instrument.
"""

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

# Course kinds the rules know (the values of ``Course.Kind``).
INSTRUMENT_KIND = "instrument"
ENSEMBLE_KIND = "ensemble"
# The collective practice is chosen from this year of instrument on (the guide's "2ème année").
ENSEMBLE_FROM_INSTRUMENT_YEAR = 2
# Weekday numbers (0 = Monday, as ``CourseSlot.weekday``) as the form posts them.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
# The demo catalogue's codes that the guide's questions used to be written for. Step 6
# no longer reads them (each course says what it asks); kept for the code that still
# reads answers stored under the former keys (fm_day, fm1c4_time…).
AWAKENING = "eveil"
DISCOVERY = "decouverte"
FM_DAY_CHOICE = ("fm1c1", "fm1c2", "fm1c3")
FM1C4 = "fm1c4"


class Question(StrEnum):
    """What a course asks the family at step 6 (``Course.question``), and the fields it makes."""

    NONE = "none"
    DAY = "day"  # the preferred day, among the weekdays of the course's slots
    TIME = "time"  # the preferred time, among the course's slots
    ENSEMBLE = "ensemble"  # an instrument: the collective practice, from the 2nd year
    ADMINISTRATIVE = "administrative"  # Découverte: the box, the instrument and a day
    INSTRUMENT = "instrument"  # (made by ADMINISTRATIVE: the instrument chosen)


class When(StrEnum):
    """When a question must be answered."""

    ALWAYS = "always"
    IF_ADMINISTRATIVE = "if_administrative"  # the box is ticked
    UNLESS_ADMINISTRATIVE = "unless_administrative"  # the box is not ticked


@dataclass(frozen=True)
class Slot:
    """A weekly slot of a course in the campaign's school year."""

    id: int
    weekday: int  # 0 = Monday … 6 = Sunday
    starts_at: datetime.time
    ends_at: datetime.time
    label: str = ""


@dataclass(frozen=True)
class CatalogueCourse:
    """A course of the catalogue, with what it asks and its slots in the campaign's year."""

    code: str
    name: str
    kind: str
    question: Question = Question.NONE
    next_course: str = ""  # ADMINISTRATIVE: the course whose day is chosen (FM1C1)
    slots: tuple[Slot, ...] = ()


@dataclass(frozen=True)
class StudentCourses:
    """What a student follows this year, as plain values."""

    course_codes: frozenset[str]
    instrument_year: int | None = None
    is_adult: bool = False


@dataclass(frozen=True)
class Option:
    """One possible answer: a weekday (DAY), a slot (TIME) or a course (ENSEMBLE, INSTRUMENT)."""

    value: str  # as the form posts it: "wednesday", a slot id, a course code
    slots: tuple[Slot, ...] = ()  # DAY: the course's slots that day; TIME: the slot
    course: CatalogueCourse | None = None  # ENSEMBLE, INSTRUMENT: the course chosen

    @property
    def weekday(self) -> int | None:
        return self.slots[0].weekday if self.slots else None

    @property
    def slot_id(self) -> int | None:
        """The slot chosen, when the answer designates one (else the weekday says it)."""
        return self.slots[0].id if len(self.slots) == 1 else None


@dataclass(frozen=True)
class StepQuestion:
    """One field of step 6: what it asks, about which course, its options, when it is due."""

    kind: Question
    course: CatalogueCourse | None  # the course asked about (None for the collective practice)
    options: tuple[Option, ...] = ()
    when: When = When.ALWAYS

    @property
    def field(self) -> str:
        return field_name(self.kind, self.course.code if self.course else "")


def field_name(kind: Question, course_code: str = "") -> str:
    """A step 6 field's name: ``day_<code>``, ``time_<code>``, else the kind itself."""
    if kind in (Question.DAY, Question.TIME):
        return f"{kind}_{course_code}"
    return str(kind)


def day_options(course: CatalogueCourse) -> tuple[Option, ...]:
    """Each distinct weekday of the course's slots, in the week's order, with its slots."""
    days: dict[int, list[Slot]] = {}
    for slot in sorted(course.slots, key=lambda s: (s.weekday, s.starts_at)):
        days.setdefault(slot.weekday, []).append(slot)
    return tuple(Option(WEEKDAYS[day], tuple(slots)) for day, slots in days.items())


def time_options(course: CatalogueCourse) -> tuple[Option, ...]:
    """Each slot of the course, in the week's order."""
    slots = sorted(course.slots, key=lambda s: (s.weekday, s.starts_at))
    return tuple(Option(str(slot.id), (slot,)) for slot in slots)


def course_options(courses: Iterable[CatalogueCourse]) -> tuple[Option, ...]:
    return tuple(Option(course.code, course.slots, course) for course in courses)


def course_questions(
    courses: StudentCourses, catalogue: Mapping[str, CatalogueCourse]
) -> list[StepQuestion]:
    """The questions of step 6 for this student: those of the courses they follow, in the
    catalogue's order, then the collective practice.

    ``catalogue`` maps each course code to its course, in the catalogue's order. A
    question with a single possible answer is not asked (there is nothing to choose).
    """
    questions: list[StepQuestion] = []
    ensemble = False
    for course in catalogue.values():
        if course.code not in courses.course_codes:
            continue
        if course.question == Question.DAY:
            questions.append(StepQuestion(Question.DAY, course, day_options(course)))
        elif course.question == Question.TIME:
            questions.append(StepQuestion(Question.TIME, course, time_options(course)))
        elif course.question == Question.ADMINISTRATIVE:
            questions += administrative_questions(course, catalogue)
        elif course.question == Question.ENSEMBLE:
            ensemble = True
    if (
        ensemble
        and (courses.instrument_year or 0) >= ENSEMBLE_FROM_INSTRUMENT_YEAR
        and not courses.is_adult
    ):
        ensembles = [c for c in catalogue.values() if c.kind == ENSEMBLE_KIND]
        questions.append(StepQuestion(Question.ENSEMBLE, None, course_options(ensembles)))
    return _asked(questions)


def _asked(questions: list[StepQuestion]) -> list[StepQuestion]:
    """The questions with something to choose, one per field (a day asked in any case
    wins over the same day asked with the box)."""
    kept: dict[str, StepQuestion] = {}
    for question in questions:
        if question.kind != Question.ADMINISTRATIVE and len(question.options) < 2:
            continue
        if question.field not in kept or question.when == When.ALWAYS:
            kept[question.field] = question
    return list(kept.values())


def administrative_questions(
    course: CatalogueCourse, catalogue: Mapping[str, CatalogueCourse]
) -> list[StepQuestion]:
    """The Découverte's questions: the "Réinscription administrative" box, then with it the
    instrument and the day of the course that follows, without it the course's own day."""
    instruments = [c for c in catalogue.values() if c.kind == INSTRUMENT_KIND]
    questions = [
        StepQuestion(Question.ADMINISTRATIVE, course),
        StepQuestion(
            Question.INSTRUMENT, course, course_options(instruments), When.IF_ADMINISTRATIVE
        ),
    ]
    following = catalogue.get(course.next_course)
    if following is not None:
        questions.append(
            StepQuestion(Question.DAY, following, day_options(following), When.IF_ADMINISTRATIVE)
        )
    questions.append(
        StepQuestion(Question.DAY, course, day_options(course), When.UNLESS_ADMINISTRATIVE)
    )
    return questions


def next_formula(current_formula: str | None, *, administrative: bool) -> str | None:
    """The formula a student re-enrols in: the same one, except that a Découverte
    instrumentale pupil who ticks "Réinscription administrative" moves on to the
    music curriculum (instrument, FM1C1 and the chorale Domin'ut)."""
    if current_formula == "decouverte" and administrative:
        return "cursus-musique"
    return current_formula


class DisplayStatus(StrEnum):
    TODO = "todo"
    IN_PROGRESS = "in_progress"
    REENROLLED = "reenrolled"
    DECLINED = "declined"
    VALIDATED = "validated"


def display_status(reenrolment_status: str | None, has_draft: bool) -> DisplayStatus:
    """à faire, en cours, réinscrit, non réinscrit or validé par le conservatoire."""
    if reenrolment_status:
        return DisplayStatus(reenrolment_status)
    return DisplayStatus.IN_PROGRESS if has_draft else DisplayStatus.TODO
