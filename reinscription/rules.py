"""Which questions the wizard asks, and what status a student shows: plain functions.

Nothing here touches the database or HTTP: the wizard gathers plain values
(the course codes the student follows this year, their year of instrument…)
and these functions decide. Tests call them directly.
"""

from dataclasses import dataclass
from enum import StrEnum

# Course codes of the catalogue (see reinscription/demo.py).
AWAKENING = "eveil"
DISCOVERY = "decouverte"
FM_DAY_CHOICE = ("fm1c1", "fm1c2", "fm1c3")
FM1C4 = "fm1c4"


class Question(StrEnum):
    """The course questions of the guide's step 6."""

    ADMINISTRATIVE = "administrative"  # Découverte → "Réinscription administrative"
    DISCOVERY_DAY = "discovery_day"  # Découverte instrumentale: lundi or mercredi
    AWAKENING_DAY = "awakening_day"  # Éveil artistique: mercredi or samedi
    FM_DAY = "fm_day"  # FM1C1, FM1C2, FM1C3: mercredi or samedi
    FM1C4_TIME = "fm1c4_time"  # 9h30–10h30 or 10h30–11h30
    ENSEMBLE = "ensemble"  # from the 2nd year of instrument: orchestre or chorale


@dataclass(frozen=True)
class StudentCourses:
    """What a student follows this year, as plain values."""

    course_codes: frozenset[str]
    instrument_kinds: int = 0  # how many instrument courses
    instrument_year: int | None = None
    is_adult: bool = False


def course_questions(courses: StudentCourses) -> list[Question]:
    """The questions of step 6 that apply to this student, in the guide's order."""
    questions = []
    codes = courses.course_codes
    if DISCOVERY in codes:
        questions += [Question.ADMINISTRATIVE, Question.DISCOVERY_DAY]
    if AWAKENING in codes:
        questions.append(Question.AWAKENING_DAY)
    if codes & set(FM_DAY_CHOICE):
        questions.append(Question.FM_DAY)
    if FM1C4 in codes:
        questions.append(Question.FM1C4_TIME)
    if courses.instrument_kinds and (courses.instrument_year or 0) >= 2 and not courses.is_adult:
        questions.append(Question.ENSEMBLE)
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
