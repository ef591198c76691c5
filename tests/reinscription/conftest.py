"""The demo conservatoire as fixtures, and a tiny driver for the wizard."""

import pytest
from django.urls import reverse

from accounts.models import Student, User
from reinscription.demo import demo_password, seed_demo
from reinscription.models import Campaign


@pytest.fixture
def demo(db):
    seed_demo()
    return Campaign.objects.get()


def student_named(first_name: str) -> Student:
    return Student.objects.get(first_name=first_name)


@pytest.fixture
def login(client):
    def _login(identifier: str):
        user = User.objects.get(username=identifier)
        client.force_login(user, backend="accounts.backends.IdentifierBackend")
        return user

    return _login


def step_url(student, step=None):
    if step is None:
        return reverse("reinscription:wizard", kwargs={"student_id": student.pk})
    return reverse("reinscription:wizard_step", kwargs={"student_id": student.pk, "step": step})


def step_payload(student, step, data):
    payload = {f"reenrolment_{student.pk}-current_step": step}
    payload.update({f"{step}-{key}": value for key, value in data.items()})
    return payload


class WizardDriver:
    """Posts the wizard's steps as a browser would."""

    def __init__(self, client, student):
        self.client = client
        self.student = student

    def post(self, step, data=None, **extra):
        return self.client.post(
            step_url(self.student, step), step_payload(self.student, step, data or {}), **extra
        )

    def details(self, student=None):
        student = student or self.student
        data = {
            "address": "12 chemin de la Sablière",
            "postal_code": "69760",
            "city": "Limonest",
            "school_level": student.school_level or "cm1",
            "school_name": "École des Sources",
            "emergency_contact_name": "Mamie Martin",
            "emergency_contact_phone": "06 11 22 33 44",
            "emergency_contact_relation": "grand-mère",
        }
        for responsible in student.family.responsibles.all():
            data[f"responsible_{responsible.pk}_email"] = responsible.email
            data[f"responsible_{responsible.pk}_mobile"] = "06 12 34 56 78"
        return data

    def recap_total(self):
        response = self.client.get(step_url(self.student, "recapitulatif"))
        return response.context["form"].initial.get("shown_total")

    def complete(self, *, payment=None, courses=None, authorisations=None, validate=True):
        """Go through every step with sensible answers; return the last response."""
        responses = [
            self.post("choix", {"decision": "reenrol"}),
            self.post("coordonnees", self.details()),
            self.post("reglement", payment or {"payment_mode": "once"}),
            self.post(
                "autorisations",
                authorisations or {"image_rights": "yes", "outing_authorisation": "no"},
            ),
            self.post("documents", {}),
            self.post("cours", courses or {}),
        ]
        for response in responses:
            assert response.status_code == 302, (
                getattr(response, "context", None) and response.context["form"].errors
            )
        if not validate:
            return responses[-1]
        total = self.recap_total()
        return self.post(
            "recapitulatif", {"accept_rules": "on", "shown_total": "" if total is None else total}
        )


@pytest.fixture
def wizard(client):
    def _wizard(student):
        return WizardDriver(client, student)

    return _wizard


__all__ = ["demo_password", "step_url", "student_named"]
