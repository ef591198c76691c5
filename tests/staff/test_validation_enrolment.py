"""A validated re-enrolment becomes the student's enrolment for the campaign's year."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from accounts.models import Student
from reinscription.backoffice.imports.resource import run_import
from reinscription.backoffice.validation import (
    CourseFacts,
    SlotOption,
    chosen_slots,
    enrol_from_reenrolment,
    next_course_codes,
    validate_reenrolments,
)
from reinscription.models import Course, Enrolment, Reenrolment
from tests.staff.conftest import change_form_data, student_named
from tests.staff.factories import submit
from tests.staff.test_imports import csv_file, line

pytestmark = pytest.mark.django_db

CATALOGUE = {
    "decouverte": CourseFacts("decouverte", next_course="fm1c1"),
    "fm1c1": CourseFacts("fm"),
    "fm1c2": CourseFacts("fm"),
    "piano": CourseFacts("instrument"),
    "violon": CourseFacts("instrument"),
    "chorale": CourseFacts("ensemble"),
    "orchestre": CourseFacts("ensemble"),
}


def day(weekday: int, slot: int | None = None) -> dict:
    return {"question": "day", "weekday": weekday, "slot": slot, "label": "…"}


def answered(student, preferences: dict, **kwargs) -> Reenrolment:
    """``student`` re-enrolled through the wizard's service, with step 6's ``preferences``
    as the wizard stores them (days and times under ``courses``)."""
    reenrolment = submit(student, **kwargs)
    reenrolment.preferences = {**reenrolment.preferences, **preferences}
    reenrolment.save(update_fields=["preferences"])
    return reenrolment


def enrolment_of(student, year) -> Enrolment:
    return Enrolment.objects.prefetch_related("lines__course", "lines__slot").get(
        student=student, school_year=year
    )


def lines_of(enrolment) -> dict[str, tuple | None]:
    """``{course code: (weekday, "HH:MM") or None}``."""
    return {
        line.course.code: (line.slot.weekday, f"{line.slot.starts_at:%H:%M}") if line.slot else None
        for line in enrolment.lines.all()
    }


# --- The rules -------------------------------------------------------------------------------


def test_the_same_courses_follow_the_same_formula():
    codes = next_course_codes(
        ["fm1c2", "piano", "chorale"],
        catalogue=CATALOGUE,
        current_formula="cursus-musique",
        formula="cursus-musique",
        preferences={},
    )
    assert codes == ["fm1c2", "piano", "chorale"]


def test_a_discovery_pupil_moving_on_takes_the_instrument_fm1c1_and_the_chorale():
    codes = next_course_codes(
        ["decouverte"],
        catalogue=CATALOGUE,
        current_formula="decouverte",
        formula="cursus-musique",
        preferences={"administrative": True, "instrument": "violon"},
    )
    assert codes == ["violon", "fm1c1", "chorale"]


def test_the_collective_practice_chosen_replaces_the_current_one():
    codes = next_course_codes(
        ["fm1c2", "piano", "chorale"],
        catalogue=CATALOGUE,
        current_formula="cursus-musique",
        formula="cursus-musique",
        preferences={"ensemble": "orchestre"},
    )
    assert codes == ["fm1c2", "piano", "orchestre"]


def test_slots_come_from_the_answers_else_from_a_single_slot():
    slots = [
        SlotOption(1, "fm1c2", 2, datetime.time(15)),
        SlotOption(2, "fm1c2", 5, datetime.time(11, 30)),
        SlotOption(3, "fm1c4", 5, datetime.time(9, 30)),
        SlotOption(4, "fm1c4", 5, datetime.time(10, 30)),
        SlotOption(5, "orchestre", 2, datetime.time(17)),
        SlotOption(6, "eveil", 2, datetime.time(10)),
        SlotOption(7, "eveil", 5, datetime.time(11)),
    ]
    preferences = {"courses": {"fm1c2": day(5), "fm1c4": {"question": "time", "slot": 4}}}
    assert chosen_slots(["fm1c2", "fm1c4", "orchestre", "eveil"], preferences, slots) == {
        "fm1c2": 2,
        "fm1c4": 4,
        "orchestre": 5,  # its only slot
    }  # Éveil: no answer, two slots, the planning decides
    # Answers stored before step 6 came from the catalogue.
    legacy = {"awakening_day": "saturday", "fm1c4_time": "9h30"}
    assert chosen_slots(["eveil", "fm1c4"], legacy, slots) == {"eveil": 7, "fm1c4": 3}


# --- Validation --------------------------------------------------------------------------------


def test_validating_enrols_the_student_for_the_campaigns_year(demo, secretary, secretary_client):
    lea = answered(student_named("Léa"), {"courses": {"fm1c2": day(2)}, "ensemble": "orchestre"})
    response = secretary_client.post(
        reverse("admin:reinscription_reenrolment_changelist"),
        {"action": "validate_selected", ACTION_CHECKBOX_NAME: [str(lea.pk)]},
        follow=True,
    )
    assert "Inscriptions créées pour la nouvelle année scolaire : 1." in response.content.decode()
    enrolment = enrolment_of(lea.student, demo.school_year)
    assert enrolment.formula.code == "cursus-musique"
    assert enrolment.instrument_year == 3  # her 2nd year of piano was 2024-2025
    assert lines_of(enrolment) == {
        "fm1c2": (2, "15:00"),  # Wednesday, as asked
        "piano": None,
        "orchestre": (2, "17:00"),  # chosen instead of the chorale; its only slot
    }


def test_a_discovery_pupil_is_enrolled_in_the_music_curriculum(demo, secretary):
    fm1c1 = Course.objects.get(code="fm1c1")
    Course.objects.filter(code="decouverte", next_course=None).update(next_course=fm1c1)
    emma = answered(
        student_named("Emma"),
        {
            "formula": "cursus-musique",
            "administrative": True,
            "instrument": "violon",
            "courses": {"fm1c1": day(5)},
        },
    )
    validate_reenrolments(Reenrolment.objects.filter(pk=emma.pk), secretary)
    enrolment = enrolment_of(emma.student, demo.school_year)
    assert enrolment.formula.code == "cursus-musique"
    assert enrolment.instrument_year == 1
    assert lines_of(enrolment) == {
        "violon": None,
        "fm1c1": (5, "10:30"),  # Saturday, as asked
        "chorale": (5, "09:30"),
    }


def test_the_change_form_validation_enrols_too_and_links_the_enrolment(demo, secretary_client):
    nathan = answered(student_named("Nathan"), {"courses": {"fm1c3": day(5)}})
    url = reverse("admin:reinscription_reenrolment_change", args=[nathan.pk])
    response = secretary_client.post(
        url, change_form_data(secretary_client, url, status="validated"), follow=True
    )
    enrolment = enrolment_of(nathan.student, demo.school_year)
    assert reverse("admin:reinscription_enrolment_change", args=[enrolment.pk]) in (
        response.content.decode()
    )
    assert lines_of(enrolment)["fm1c3"] == (5, "13:30")
    assert enrolment.instrument_year == 4


def test_a_declined_or_unvalidated_answer_enrols_nobody(demo, secretary):
    lucas = submit(student_named("Lucas"), decision="decline")
    lea = submit(student_named("Léa"))
    assert enrol_from_reenrolment(lucas) == (None, False)
    assert enrol_from_reenrolment(lea) == (None, False)
    validate_reenrolments(Reenrolment.objects.filter(pk=lucas.pk), secretary)
    assert not Enrolment.objects.filter(school_year=demo.school_year).exists()


def test_an_existing_enrolment_of_the_year_is_left_as_it_is(demo, secretary):
    """Imported or corrected by staff before the validation: it stands."""
    lea = submit(student_named("Léa"))
    imported = Enrolment.objects.create(
        student=lea.student, school_year=demo.school_year, instrument_year=7
    )
    result = validate_reenrolments(Reenrolment.objects.filter(pk=lea.pk), secretary)
    assert result == (1, 0, 0)
    assert Enrolment.objects.get(student=lea.student, school_year=demo.school_year) == imported
    imported.refresh_from_db()
    assert imported.instrument_year == 7 and not imported.lines.exists()


def test_an_import_of_the_new_year_still_wins(demo, secretary):
    run_import(csv_file(line()), "export.csv", dry_run=False)  # Zoé Garnier, 2024-2025
    zoe = Student.objects.get(legacy_id="E100")
    reenrolment = answered(zoe, {"courses": {"fm1c3": day(2)}})
    validate_reenrolments(Reenrolment.objects.filter(pk=reenrolment.pk), secretary)
    assert set(lines_of(enrolment_of(zoe, demo.school_year))) == {"fm1c3", "piano", "chorale"}

    result = run_import(
        csv_file(line(annee_scolaire="2025-2026", cours="fm2c1, piano, orchestre")),
        "export.csv",
        dry_run=False,
    )
    assert not result.has_errors()
    assert set(lines_of(enrolment_of(zoe, demo.school_year))) == {"fm2c1", "piano", "orchestre"}
