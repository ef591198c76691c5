"""Step 6's questions, exactly as the guide lists them, and the family-space status."""

import pytest

from reinscription.rules import (
    DisplayStatus,
    Question,
    StudentCourses,
    course_questions,
    display_status,
    next_formula,
)

Q = Question


@pytest.mark.parametrize(
    ("codes", "instrument_year", "adult", "expected"),
    [
        # Découverte instrumentale in 2024-2025: administrative re-enrolment or day.
        ({"decouverte"}, None, False, [Q.ADMINISTRATIVE, Q.DISCOVERY_DAY]),
        # Éveil artistique: mercredi or samedi.
        ({"eveil"}, None, False, [Q.AWAKENING_DAY]),
        # FM1C1, FM1C2, FM1C3: mercredi or samedi; 1st year of instrument: no ensemble.
        ({"fm1c1", "violon", "chorale"}, 1, False, [Q.FM_DAY]),
        ({"fm1c2", "piano", "chorale"}, 2, False, [Q.FM_DAY, Q.ENSEMBLE]),
        ({"fm1c3", "guitare", "orchestre"}, 3, False, [Q.FM_DAY, Q.ENSEMBLE]),
        # FM1C4: the time, and the ensemble from the 2nd year of instrument.
        ({"fm1c4", "flute", "orchestre"}, 4, False, [Q.FM1C4_TIME, Q.ENSEMBLE]),
        # Dance, theatre: nothing but the free text.
        ({"danse"}, None, False, []),
        ({"theatre"}, None, False, []),
        # An adult learner has no compulsory collective practice to choose.
        ({"piano"}, 3, True, []),
    ],
)
def test_course_questions_follow_the_guide(codes, instrument_year, adult, expected):
    instruments = len(codes & {"piano", "violon", "guitare", "flute"})
    courses = StudentCourses(frozenset(codes), instruments, instrument_year, adult)
    assert course_questions(courses) == expected


def test_discovery_pupil_with_administrative_reenrolment_moves_to_music_curriculum():
    assert next_formula("decouverte", administrative=True) == "cursus-musique"
    assert next_formula("decouverte", administrative=False) == "decouverte"
    assert next_formula("danse", administrative=True) == "danse"


@pytest.mark.parametrize(
    ("status", "draft", "expected"),
    [
        (None, False, DisplayStatus.TODO),
        (None, True, DisplayStatus.IN_PROGRESS),
        ("reenrolled", True, DisplayStatus.REENROLLED),
        ("declined", False, DisplayStatus.DECLINED),
        ("validated", False, DisplayStatus.VALIDATED),
    ],
)
def test_display_status(status, draft, expected):
    assert display_status(status, draft) == expected
