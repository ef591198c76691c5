"""``seed_demo``: every case of the guide, idempotent, logins printed."""

import json

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from accounts.models import Family, Student, User
from reinscription.models import Campaign, Course, CourseSlot, Enrolment, EnrolmentCourse

pytestmark = pytest.mark.django_db


def snapshot():
    models = [Family, Student, User, Campaign, Course, CourseSlot, Enrolment, EnrolmentCourse]
    return {
        model.__name__: sorted(map(str, model.objects.values_list(flat=False))) for model in models
    }


def run_json(*args):
    from io import StringIO

    out = StringIO()
    call_command("seed_demo", "--json", *args, stdout=out)
    return json.loads(out.getvalue())


def test_seed_demo_twice_leaves_the_same_data():
    first_logins = run_json()
    first = snapshot()
    second_logins = run_json()
    assert snapshot() == first
    assert first_logins == second_logins


def test_json_lists_every_login_with_the_expected_keys():
    logins = run_json()
    assert {tuple(sorted(login)) for login in logins} == {
        ("email", "identifier", "password", "staff", "students")
    }
    staff = [login for login in logins if login["staff"]]
    assert len(staff) == 1
    for login in logins:
        user = authenticate(
            RequestFactory().post("/"), username=login["identifier"], password=login["password"]
        )
        assert user is not None, login["identifier"]
        assert user.is_staff == login["staff"]


def test_demo_covers_every_case_of_the_guide():
    run_json()
    campaign = Campaign.objects.get()
    assert campaign.is_open()
    assert campaign.school_year.label == "2025-2026"

    def students_following(code):
        return Student.objects.filter(
            enrolments__lines__course__code=code,
            enrolments__school_year=campaign.previous_year,
        )

    for code in ["decouverte", "eveil", "fm1c1", "fm1c2", "fm1c3", "fm1c4", "danse", "theatre"]:
        assert students_following(code).exists(), code
    assert Enrolment.objects.filter(instrument_year=2).exists()
    sizes = [family.students.count() for family in Family.objects.all()]
    assert 3 in sizes
    assert any(family.responsibles.count() == 2 for family in Family.objects.all())
    assert Family.objects.filter(is_resident=False).exists()
    assert Student.objects.filter(is_adult_learner=True).exists()
    # FM1C1 has a Wednesday and a Saturday slot in the campaign year.
    days = set(
        CourseSlot.objects.filter(
            course__code="fm1c1", school_year=campaign.school_year
        ).values_list("weekday", flat=True)
    )
    assert days == {2, 5}


def test_generated_families_for_load_tests_are_idempotent_too():
    logins = run_json("--families", "25")
    generated = [login for login in logins if login["identifier"].startswith("charge-")]
    assert len(generated) == 25
    assert all(login["students"] for login in generated)
    count = Family.objects.count()
    run_json("--families", "25")
    assert Family.objects.count() == count
    user = authenticate(
        RequestFactory().post("/"),
        username=generated[0]["identifier"],
        password=generated[0]["password"],
    )
    assert user is not None and user.family.students.exists()
