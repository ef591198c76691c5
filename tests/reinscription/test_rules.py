"""Step 6's questions from the catalogue (the demo's gives the guide's), and the status."""

import datetime
from itertools import count

import pytest

from reinscription.demo import DATA as DEMO
from reinscription.rules import (
    CatalogueCourse,
    DisplayStatus,
    Question,
    Slot,
    StudentCourses,
    When,
    course_questions,
    display_status,
    next_formula,
)

Q = Question


def time(text: str) -> datetime.time:
    return datetime.time.fromisoformat(text)


def demo_catalogue() -> dict[str, CatalogueCourse]:
    """The demo catalogue as plain values, as the wizard builds it for a school year."""
    ids = count(1)
    return {
        course.code: CatalogueCourse(
            code=course.code,
            name=course.name,
            kind=course.kind.value,
            question=Question(course.question),
            next_course=course.next_course,
            slots=tuple(
                Slot(next(ids), slot.weekday, time(slot.start), time(slot.end), slot.label)
                for slot in course.slots
            ),
        )
        for course in DEMO.catalogue
    }


def asked(codes, instrument_year=None, adult=False, catalogue=None):
    courses = StudentCourses(frozenset(codes), instrument_year, adult)
    return course_questions(courses, catalogue or demo_catalogue())


def summary(questions) -> list[tuple]:
    """(field, options, when) of each question: what the family is asked."""
    return [(q.field, [o.value for o in q.options], q.when) for q in questions]


A, IF, UNLESS = When.ALWAYS, When.IF_ADMINISTRATIVE, When.UNLESS_ADMINISTRATIVE
INSTRUMENTS = ["piano", "violon", "guitare", "flute", "clarinette", "batterie"]


@pytest.mark.parametrize(
    ("codes", "instrument_year", "adult", "expected"),
    [
        # Découverte instrumentale: administrative re-enrolment (instrument and the day of
        # FM1C1: mercredi or samedi), or its own day (lundi or mercredi).
        (
            {"decouverte"},
            None,
            False,
            [
                ("administrative", [], A),
                ("instrument", INSTRUMENTS, IF),
                ("day_fm1c1", ["wednesday", "saturday"], IF),
                ("day_decouverte", ["monday", "wednesday"], UNLESS),
            ],
        ),
        # Éveil artistique: mercredi or samedi.
        ({"eveil"}, None, False, [("day_eveil", ["wednesday", "saturday"], A)]),
        # FM1C1, FM1C2, FM1C3: mercredi or samedi; 1st year of instrument: no ensemble.
        ({"fm1c1", "violon", "chorale"}, 1, False, [("day_fm1c1", ["wednesday", "saturday"], A)]),
        (
            {"fm1c2", "piano", "chorale"},
            2,
            False,
            [
                ("day_fm1c2", ["wednesday", "saturday"], A),
                ("ensemble", ["orchestre", "chorale"], A),
            ],
        ),
        (
            {"fm1c3", "guitare", "orchestre"},
            3,
            False,
            [
                ("day_fm1c3", ["wednesday", "saturday"], A),
                ("ensemble", ["orchestre", "chorale"], A),
            ],
        ),
        # Dance, theatre: nothing but the free text.
        ({"danse"}, None, False, []),
        ({"theatre"}, None, False, []),
        # An adult learner has no compulsory collective practice to choose.
        ({"piano"}, 3, True, []),
    ],
)
def test_the_demo_catalogue_asks_what_the_guide_asks(codes, instrument_year, adult, expected):
    assert summary(asked(codes, instrument_year, adult)) == expected


def test_fm1c4_asks_the_time_among_its_slots_with_their_labels():
    fm1c4, ensemble = asked({"fm1c4", "flute", "orchestre"}, 4)
    assert fm1c4.field == "time_fm1c4" and ensemble.field == "ensemble"
    slots = [option.slots[0] for option in fm1c4.options]
    assert [(s.weekday, s.starts_at, s.ends_at) for s in slots] == [
        (5, time("09:30"), time("10:30")),
        (5, time("10:30"), time("11:30")),
    ]
    assert "orchestre" in slots[0].label and "chorale" in slots[1].label
    assert [option.value for option in fm1c4.options] == [str(s.id) for s in slots]
    assert all(option.slot_id == slot.id for option, slot in zip(fm1c4.options, slots, strict=True))


def test_another_conservatoire_asks_what_its_catalogue_says():
    """No code of the demo: a course asks what its configuration says, among its slots."""
    catalogue = {
        "solfege-a": CatalogueCourse(
            "solfege-a",
            "Solfège A",
            "fm",
            Question.DAY,
            slots=(
                Slot(1, 1, time("17:00"), time("18:00")),  # mardi
                Slot(2, 3, time("17:00"), time("18:00")),  # jeudi
                Slot(3, 3, time("18:00"), time("19:00")),  # jeudi, a second group
            ),
        ),
        "harpe": CatalogueCourse("harpe", "Harpe", "instrument", Question.ENSEMBLE),
        "big-band": CatalogueCourse("big-band", "Big band", "ensemble"),
        "choeur": CatalogueCourse("choeur", "Chœur", "ensemble"),
    }
    day, ensemble = asked({"solfege-a", "harpe"}, 2, catalogue=catalogue)
    assert [option.value for option in day.options] == ["tuesday", "thursday"]
    tuesday, thursday = day.options
    assert (tuesday.weekday, tuesday.slot_id) == (1, 1)
    # Two groups on Thursday: the day is the answer, staff pick the group.
    assert (thursday.weekday, thursday.slot_id) == (3, None)
    assert [s.id for s in thursday.slots] == [2, 3]
    assert [option.course.name for option in ensemble.options] == ["Big band", "Chœur"]


def test_a_question_with_a_single_possible_answer_is_not_asked():
    catalogue = demo_catalogue()
    eveil = catalogue["eveil"]
    catalogue["eveil"] = CatalogueCourse(
        eveil.code, eveil.name, eveil.kind, eveil.question, slots=eveil.slots[:1]
    )
    assert asked({"eveil"}, catalogue=catalogue) == []


def test_a_slot_moved_to_thursday_offers_thursday():
    catalogue = demo_catalogue()
    fm1c3 = catalogue["fm1c3"]
    wednesday, saturday = fm1c3.slots
    moved = Slot(wednesday.id, 3, wednesday.starts_at, wednesday.ends_at)
    catalogue["fm1c3"] = CatalogueCourse(
        fm1c3.code, fm1c3.name, fm1c3.kind, fm1c3.question, slots=(moved, saturday)
    )
    (day,) = asked({"fm1c3"}, catalogue=catalogue)
    assert [option.value for option in day.options] == ["thursday", "saturday"]


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
