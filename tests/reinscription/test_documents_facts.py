"""The family's documents page knows the payment mode and disciplines from the re-enrolment."""

import pytest
from django.urls import reverse

from billing.models import FamilyBilling
from reinscription.services import documents_facts
from tests.reinscription.conftest import student_named

pytestmark = pytest.mark.django_db


def test_facts_follow_the_payment_preference_and_courses(demo):
    ines = student_named("Inès")
    family = ines.family
    facts, students = documents_facts(family, demo.school_year)
    assert not facts.pays_by_direct_debit
    assert dict((s.first_name, f.disciplines) for s, f in students)["Inès"] == {"dance"}
    FamilyBilling.objects.create(
        family=family, school_year=demo.school_year, payment_mode="monthly", bank_changed=True
    )
    facts, _students = documents_facts(family, demo.school_year)
    assert facts.pays_by_direct_debit and facts.bank_changed


def test_documents_page_requests_the_dance_certificate_later_too(demo, client, login):
    login("leroy-marc")
    content = client.get(reverse("documents:list")).content.decode().lower()
    assert "certificat médical" in content


def test_declined_students_are_not_asked_for_documents(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.post("choix", {"decision": "decline"})
    w.post("recapitulatif", {"accept_rules": "on"})
    _facts, students = documents_facts(ines.family, demo.school_year)
    assert [s.first_name for s, _f in students] == ["Lucas"]
