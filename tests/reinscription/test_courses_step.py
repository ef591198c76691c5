"""Step 6 ("Cours et information complémentaire") is built from the catalogue: the
questions each course asks, its slots of the campaign's year, the courses in words."""

import datetime
import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from billing.demo import ensure_demo_grid
from billing.models import Formula
from conservatoire.models import SchoolYear
from documents.demo import ensure_demo_document_types
from reinscription.models import (
    Campaign,
    Course,
    CourseSlot,
    Enrolment,
    EnrolmentCourse,
    Reenrolment,
    Weekday,
)
from reinscription.rules import ENSEMBLE_KIND, INSTRUMENT_KIND, Question
from reinscription.wizard import courses_form
from reinscription.wizard.summary import SummaryFacts
from tests.reinscription.conftest import step_url, student_named

pytestmark = pytest.mark.django_db


def reach_courses_step(wizard, student):
    """Answer steps 1 to 5; return the driver."""
    w = wizard(student)
    w.post("choix", {"decision": "reenrol"})
    w.post("coordonnees", w.details())
    w.post("reglement", {"payment_mode": "once"})
    w.post("autorisations", {"image_rights": "yes", "outing_authorisation": "yes"})
    w.post("documents", {})
    return w


@pytest.fixture
def next_campaign(demo):
    """The 2026-2027 campaign, its basis 2025-2026: the demo's courses, its slots copied
    into 2026-2027, Nathan (FM1C3) and Emma (Découverte) enrolled in 2025-2026."""
    current, following = SchoolYear.for_start_year(2025), SchoolYear.for_start_year(2026)
    Campaign.objects.update(published=False)
    now = timezone.now()
    campaign = Campaign.objects.create(
        school_year=following,
        previous_year=current,
        opens_at=now - datetime.timedelta(days=1),
        closes_at=now + datetime.timedelta(days=60),
        rules_version="2026-1",
        rules_text="Règlement 2026-2027.",
        published=True,
        published_at=now - datetime.timedelta(days=1),
    )
    for slot in CourseSlot.objects.filter(school_year=current):
        slot.pk = None
        slot.school_year = following
        slot.save()
    ensure_demo_grid(following)
    ensure_demo_document_types(following)
    courses = {course.code: course for course in Course.objects.all()}
    for first_name, formula, codes, year in (
        ("Nathan", "cursus-musique", ["fm1c3", "guitare", "orchestre"], 4),
        ("Emma", "decouverte", ["decouverte"], None),
    ):
        enrolment = Enrolment.objects.create(
            student=student_named(first_name),
            school_year=current,
            formula=Formula.objects.get(code=formula),
            instrument_year=year,
        )
        for code in codes:
            EnrolmentCourse.objects.create(enrolment=enrolment, course=courses[code])
    return campaign


def fm1c3_slot(school_year, weekday: Weekday) -> CourseSlot:
    return CourseSlot.objects.get(course__code="fm1c3", school_year=school_year, weekday=weekday)


def test_a_slot_moved_to_thursday_is_offered_on_thursday(
    next_campaign, client, login, wizard, django_capture_on_commit_callbacks
):
    # The secretary moves FM1C3's Wednesday slot of 2026-2027 to Thursday.
    slot = fm1c3_slot(next_campaign.school_year, Weekday.WEDNESDAY)
    slot.weekday = Weekday.THURSDAY
    slot.save()
    # 2025-2026's slots are not the year asked about: they stay on Wednesday.
    assert fm1c3_slot(next_campaign.previous_year, Weekday.WEDNESDAY)
    login("petit-karim")
    nathan = student_named("Nathan")
    w = reach_courses_step(wizard, nathan)

    response = client.get(step_url(nathan, "cours"))

    assert response.status_code == 200
    field = response.context["form"].fields["day_fm1c3"]
    assert field.label == "FM1C3 : jour de cours souhaité"
    assert list(field.choices) == [
        ("thursday", "Jeudi 16h00–17h00"),
        ("saturday", "Samedi 13h30–14h30"),
    ]
    content = response.content.decode()
    assert "Jeudi 16h00–17h00" in content and "Mercredi 16h00" not in content
    # Wednesday is no longer an answer.
    response = w.post("cours", {"day_fm1c3": "wednesday", "ensemble": "orchestre"})
    assert response.status_code == 200 and "day_fm1c3" in response.context["form"].errors

    with django_capture_on_commit_callbacks(execute=True):
        assert w.post("cours", {"day_fm1c3": "thursday", "ensemble": "chorale"}).status_code == 302
        response = w.post("recapitulatif", {"accept_rules": "on", "shown_total": w.recap_total()})
    assert response.status_code == 302
    reenrolment = Reenrolment.objects.get(student=nathan, campaign=next_campaign)
    assert reenrolment.preferences["courses"] == {
        "fm1c3": {
            "question": "day",
            "weekday": Weekday.THURSDAY,
            "slot": slot.pk,
            "label": "Jeudi 16h00–17h00",
        }
    }
    assert reenrolment.preferences["ensemble"] == "chorale"
    shown = {
        item["label"]: item["value"]
        for item in reenrolment.snapshots.get().data["preferences_display"]
    }
    assert shown["FM1C3 : jour de cours souhaité"] == "Jeudi 16h00–17h00"


def test_the_page_shows_the_courses_and_formula_in_words_and_the_years_of_the_campaign(
    next_campaign, client, login, wizard
):
    login("martin-claire")
    emma = student_named("Emma")
    reach_courses_step(wizard, emma)

    response = client.get(step_url(emma, "cours"))

    content = response.content.decode()
    assert "Cours suivis en 2025-2026 :" in content
    assert "<strong>Découverte instrumentale</strong>" in content
    assert "Formule en 2026-2027 :" in content
    assert "Cursus musique" in content  # with the administrative re-enrolment
    assert "qui ont fait la Découverte instrumentale en 2025-2026" in content
    assert "2024-2025" not in content
    assert "le jour pour suivre la FM1C1" in content
    form = response.context["form"]
    assert list(form.fields["day_fm1c1"].choices) == [
        ("wednesday", "Mercredi 14h00–15h00"),
        ("saturday", "Samedi 10h30–11h30"),
    ]
    assert list(form.fields["day_decouverte"].choices) == [
        ("monday", "Lundi 17h00–18h00"),
        ("wednesday", "Mercredi 15h00–16h00"),
    ]
    assert ("violon", "Violon") in form.fields["instrument"].choices
    assert "planning prévisionnel 2026-2027" in content


def test_fm1c4_offers_its_slots_with_the_guides_words(demo, client, login, wizard):
    login("durand-anne")
    manon = student_named("Manon")
    reach_courses_step(wizard, manon)

    response = client.get(step_url(manon, "cours"))

    form = response.context["form"]
    times = [label for _value, label in form.fields["time_fm1c4"].choices]
    assert times == [
        "Samedi 9h30–10h30 (pour ceux qui font la pratique collective orchestre le "
        "mercredi après-midi)",
        "Samedi 10h30–11h30 (pour ceux qui font la chorale à 9h30)",
    ]
    ensembles = dict(form.fields["ensemble"].choices)
    assert ensembles == {
        "orchestre": "Orchestre — Mercredi 17h00–18h30",
        "chorale": "Chorale Domin'ut — Samedi 9h30–10h30",
    }
    content = response.content.decode()
    assert "entre Orchestre et Chorale Domin&#x27;ut" in content
    assert "<strong>FM1C4, Flûte traversière, Orchestre</strong>" in content


def test_an_answer_reopened_after_validation_shows_the_same_choices(demo, client, login, wizard):
    login("martin-claire")
    lea = student_named("Léa")
    wizard(lea).complete(courses={"day_fm1c2": "saturday", "ensemble": "orchestre"})
    preferences = Reenrolment.objects.get(student=lea).preferences

    initial = courses_form.course_initial(preferences)

    assert initial == {"day_fm1c2": "saturday", "ensemble": "orchestre"}
    facts = SummaryFacts(lea, demo)
    cleaned = {**initial, "comments": ""}
    stored = courses_form.course_preferences(cleaned, facts.questions)
    assert stored == {k: v for k, v in preferences.items() if k != "formula"}


def test_the_course_kinds_the_rules_know_are_the_models():
    assert Course.Kind.INSTRUMENT == INSTRUMENT_KIND
    assert Course.Kind.ENSEMBLE == ENSEMBLE_KIND
    assert set(Course.Question.values) <= {question.value for question in Question}


# --- The data migration: a 2025-2026 database keeps working ------------------------------------

MIGRATION = importlib.import_module("reinscription.migrations.0005_course_question")


def test_the_migration_sets_the_guides_questions_by_code(demo):
    Course.objects.update(question=Course.Question.NONE, next_course=None)

    MIGRATION.set_questions(apps, None)

    questions = dict(Course.objects.values_list("code", "question"))
    assert questions["eveil"] == questions["fm1c1"] == questions["fm1c3"] == "day"
    assert questions["fm1c4"] == "time"
    assert questions["decouverte"] == "administrative"
    assert questions["piano"] == questions["batterie"] == "ensemble"
    assert questions["orchestre"] == questions["danse"] == questions["fm2c1"] == "none"
    assert Course.objects.get(code="decouverte").next_course.code == "fm1c1"


def test_the_migration_moves_the_answers_stored_under_the_former_keys(demo):
    from tests.staff.factories import submit

    lea = submit(student_named("Léa"), preferences={"fm_day": "saturday", "ensemble": "orchestre"})
    manon = submit(student_named("Manon"), preferences={"fm1c4_time": "10h30"})
    emma = submit(
        student_named("Emma"),
        preferences={
            "administrative": True,
            "instrument": "violon",
            "fm1c1_day": "wednesday",
            "discovery_day": "monday",
        },
    )

    MIGRATION.move_stored_answers(apps, None)

    year = demo.school_year
    lea.refresh_from_db()
    assert lea.preferences["courses"] == {
        "fm1c2": {
            "question": "day",
            "weekday": 5,
            "slot": CourseSlot.objects.get(course__code="fm1c2", school_year=year, weekday=5).pk,
            "label": "Samedi 11h30–12h30",
        }
    }
    assert "fm_day" not in lea.preferences and lea.preferences["ensemble"] == "orchestre"
    manon.refresh_from_db()
    ten_thirty = CourseSlot.objects.get(
        course__code="fm1c4", school_year=year, starts_at=datetime.time(10, 30)
    )
    assert manon.preferences["courses"]["fm1c4"]["slot"] == ten_thirty.pk
    emma.refresh_from_db()
    assert set(emma.preferences["courses"]) == {"fm1c1"}  # the Découverte's day: not taken
    assert emma.preferences["courses"]["fm1c1"]["weekday"] == 2
    assert "discovery_day" not in emma.preferences
