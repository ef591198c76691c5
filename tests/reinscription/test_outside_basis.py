"""A student who followed no course last year ("hors base") is not offered an empty
re-enrolment: the family is asked to contact the conservatoire and the wizard refuses
(the secretariat's side: tests/staff/test_outside_basis.py)."""

import pytest
from django.urls import reverse

from accounts.models import Family
from reinscription.models import Reenrolment, WizardDraft
from tests.factories import StudentFactory
from tests.reinscription.conftest import step_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(demo):
    """Léa's younger brother, added to the Martin family, never enrolled."""
    family = Family.objects.get(legacy_id="DEMO-martin")
    return StudentFactory(family=family, first_name="Paul", last_name="Martin")


def row_of(page: str, name: str) -> str:
    return page.split(f"{name}</strong>")[1].split("</li>")[0]


def test_the_family_space_asks_to_contact_the_conservatoire(paul, client, login):
    login("martin-claire")
    page = client.get(reverse("reinscription:family_space")).content.decode()
    paul_row = row_of(page, "Paul Martin")
    assert "Contactez le conservatoire" in paul_row or "contactez le conservatoire" in paul_row
    assert "Commencer" not in paul_row
    assert step_url(paul) not in paul_row
    # His sister keeps her button.
    assert "Commencer" in row_of(page, "Léa Martin")


def test_the_wizard_refuses_a_student_outside_the_basis(paul, client, login):
    login("martin-claire")
    for url in (step_url(paul), step_url(paul, "choix"), step_url(paul, "recapitulatif")):
        response = client.get(url)
        assert response.status_code == 403
        content = response.content.decode()
        assert "contactez le conservatoire" in content.lower()
        assert "0,00" not in content
    response = client.post(
        step_url(paul, "choix"),
        {f"reenrolment_{paul.pk}-current_step": "choix", "choix-decision": "reenrol"},
    )
    assert response.status_code == 403
    assert not WizardDraft.objects.filter(student=paul).exists()
    assert not Reenrolment.objects.filter(student=paul).exists()
