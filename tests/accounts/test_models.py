"""Rules of the data model: families, responsibles, students, identifiers."""

import pytest
from django.db import IntegrityError, transaction

from accounts.identifiers import READABLE_ALPHABET, generate_identifier, generate_password
from accounts.models import Family, Student, User
from tests.factories import FamilyFactory, ResponsibleFactory, StaffFactory, StudentFactory

pytestmark = pytest.mark.django_db

AMBIGUOUS = set("0Oo1lI")


def test_identifier_is_generated_readable_when_staff_create_a_responsible():
    family = FamilyFactory(name="Dupont-Éloi")
    user = User.objects.create(family=family, last_name="Dupont-Éloi", email="a@example.org")
    stem, suffix = user.username.split("-")
    assert stem == "duponteloi"
    assert len(suffix) == 5
    assert not AMBIGUOUS & set(suffix)


def test_identifiers_are_unique_whatever_the_case():
    ResponsibleFactory(username="martin-claire")
    with pytest.raises(IntegrityError), transaction.atomic():
        ResponsibleFactory(username="Martin-Claire")


def test_identifier_lookup_is_case_insensitive():
    user = ResponsibleFactory(username="bernard-sarah")
    assert User.objects.get_by_natural_key("BERNARD-Sarah") == user


def test_two_parents_may_share_one_email_but_not_one_identifier():
    family = FamilyFactory()
    first = ResponsibleFactory(family=family, email="foyer@example.org")
    second = ResponsibleFactory(family=family, email="foyer@example.org")
    assert first.username != second.username
    assert set(family.responsibles.all()) == {first, second}


def test_a_student_belongs_to_exactly_one_family():
    student = StudentFactory()
    assert student.family_id is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Student.objects.create(first_name="Sans", last_name="Famille")


def test_an_adult_learner_is_a_student_of_their_own_family():
    family = FamilyFactory(name="Moreau")
    responsible = ResponsibleFactory(family=family, first_name="Sophie")
    learner = StudentFactory(family=family, first_name="Sophie", is_adult_learner=True)
    assert learner.family == responsible.family


def test_family_is_resident_or_not():
    assert FamilyFactory(is_resident=True).is_resident
    outside = FamilyFactory(city="Dardilly", is_resident=False)
    assert Family.objects.filter(is_resident=False).get() == outside


def test_staff_have_no_family():
    staff = StaffFactory()
    assert not staff.is_responsible
    assert list(User.objects.responsibles()) == []


def test_generated_passwords_are_long_and_readable():
    for _ in range(200):
        password = generate_password()
        assert len(password) >= 12
        assert set(password) <= set(READABLE_ALPHABET)
        assert not AMBIGUOUS & set(password)


def test_generate_identifier_falls_back_for_empty_names():
    assert generate_identifier("").startswith("famille-")
