"""Fields a family adds to a POST (family, student, status, price…) change nothing.

tests/reinscription/test_wizard.py ``test_extra_post_fields_are_ignored`` covers the
recap step; here every wizard step, the account page and the upload get them, under the
step's prefix and without it, and the validated record is compared field by field.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import User
from billing.models import FamilyBilling
from documents.models import Document, DocumentType
from reinscription.models import Reenrolment
from tests.documents.factories import MINIMAL_PDF
from tests.reinscription.conftest import WizardDriver, step_payload, step_url, student_named

pytestmark = pytest.mark.django_db


def tampering(other_family, other_student) -> dict[str, str]:
    return {
        "family": str(other_family.pk),
        "family_id": str(other_family.pk),
        "student": str(other_student.pk),
        "student_id": str(other_student.pk),
        "status": "validated",
        "price": "0",
        "total": "0",
        "estimated_total": "1",
        "final_amount": "0",
        "shown_total": "0",
        "qf_value": "1",
        "qf_proven": "on",
        "is_resident": "on",
        "is_staff": "on",
        "is_superuser": "on",
        "version": "99",
        "submitted_by": "1",
        "internal_note": "x",
    }


class TamperingDriver(WizardDriver):
    """The wizard driver, adding the extra fields to every step, prefixed and not."""

    extra: dict[str, str] = {}

    def post(self, step, data=None, **extra):
        payload = step_payload(self.student, step, data or {})
        for name, value in self.extra.items():
            payload.setdefault(f"{step}-{name}", value)
            payload.setdefault(name, value)
        if step == "recapitulatif":  # the genuine shown total wins over the forged one
            payload[f"{step}-shown_total"] = str((data or {}).get("shown_total", ""))
        return self.client.post(step_url(self.student, step), payload, **extra)


def test_extra_fields_on_every_step_are_ignored(demo, family_client):
    client = family_client("leroy-marc")
    inès, léa = student_named("Inès"), student_named("Léa")
    other = léa.family
    family = inès.family
    before = {
        "qf": (family.qf_value, family.qf_proven, family.is_resident),
        "other": (other.name, other.address, other.qf_value),
    }
    driver = TamperingDriver(client, inès)
    driver.extra = tampering(other, léa)
    assert driver.complete(validate=False).status_code == 302
    total = driver.recap_total()
    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 302

    reenrolment = Reenrolment.objects.select_related("student__family").get(student=inès)
    assert reenrolment.student.family == family
    assert reenrolment.status == Reenrolment.Status.REENROLLED
    assert reenrolment.estimated_total == total
    assert reenrolment.version == 1
    assert reenrolment.submitted_by.username == "leroy-marc"
    assert reenrolment.internal_note == ""
    assert not Reenrolment.objects.filter(student=léa).exists()
    bill = FamilyBilling.objects.get(family=family)
    assert bill.estimated_total == total and bill.final_amount is None
    assert not FamilyBilling.objects.filter(family=other).exists()
    family.refresh_from_db()
    other.refresh_from_db()
    assert (family.qf_value, family.qf_proven, family.is_resident) == before["qf"]
    assert (other.name, other.address, other.qf_value) == before["other"]
    assert not User.objects.filter(username="leroy-marc", is_staff=True).exists()


def test_extra_fields_on_the_account_page_are_ignored(demo, family_client):
    client = family_client("leroy-marc")
    léa = student_named("Léa")
    password_hash = User.objects.get(username="leroy-marc").password
    response = client.post(
        reverse("accounts:account"),
        {
            "email": "marc.leroy@example.org",
            "mobile": "06 70 80 90 10",
            "username": "martin-claire",
            "is_active": "",
            "password": "x",
            "temporary_password": "x",
            **tampering(léa.family, léa),
        },
    )
    assert response.status_code == 302
    user = User.objects.get(pk=client.session["_auth_user_id"])
    assert user.username == "leroy-marc"
    assert user.family == student_named("Inès").family
    assert (user.is_staff, user.is_superuser, user.is_active) == (False, False, True)
    assert user.password == password_hash


def test_extra_fields_on_an_upload_are_ignored(demo, family_client):
    client = family_client("leroy-marc")
    inès, léa = student_named("Inès"), student_named("Léa")
    certificate = DocumentType.objects.get(code="certificat-medical-danse")
    response = client.post(
        reverse("documents:upload"),
        {
            f"files_{certificate.pk}-{inès.pk}": SimpleUploadedFile(
                "certificat.pdf", MINIMAL_PDF, "application/pdf"
            ),
            **tampering(léa.family, léa),
            "status": "accepted",
            "reviewed_by": "1",
        },
    )
    assert response.status_code == 302
    document = Document.objects.get()
    assert (document.family, document.student) == (inès.family, inès)
    assert document.status == Document.Status.RECEIVED
