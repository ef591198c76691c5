"""Deleting a family never takes its re-enrolments, snapshots, enrolments or documents along."""

import pytest
from django.core.files.base import ContentFile
from django.db.models import ProtectedError
from django.urls import reverse

from accounts.models import Family, Student, User
from billing.models import FamilyBilling
from documents.models import Document, DocumentFile, DocumentType
from reinscription.models import Enrolment, Reenrolment, ReenrolmentSnapshot, WizardDraft
from tests import factories
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(demo):
    return submit(student_named("Léa"))


def without_billing_and_enrolments(family: Family) -> Family:
    """The family's billing and enrolments (protected too) gone: only the answers remain."""
    FamilyBilling.objects.filter(family=family).delete()
    Enrolment.objects.filter(student__family=family).delete()
    return family


def test_deleting_a_family_with_a_snapshot_is_refused(lea):
    family = without_billing_and_enrolments(lea.student.family)
    with pytest.raises(ProtectedError) as refused:
        family.delete()
    assert lea in refused.value.protected_objects
    assert Family.objects.filter(pk=family.pk).exists()
    assert ReenrolmentSnapshot.objects.filter(reenrolment=lea).count() == 1


def test_a_reenrolment_with_its_snapshots_cannot_be_deleted(lea):
    with pytest.raises(ProtectedError):
        lea.delete()
    assert Reenrolment.objects.filter(pk=lea.pk).exists()


def test_a_student_with_an_enrolment_cannot_be_deleted(demo):
    student = Enrolment.objects.select_related("student").first().student
    with pytest.raises(ProtectedError):
        student.delete()


def test_a_document_and_its_files_are_protected(demo):
    family = factories.FamilyFactory()
    document = Document.objects.create(
        type=DocumentType.objects.filter(scope="family").first(),
        family=family,
        status=Document.Status.RECEIVED,
    )
    DocumentFile.objects.create(
        document=document,
        file=ContentFile(b"%PDF-1.4 test", name="justificatif.pdf"),
        original_name="justificatif.pdf",
        size=13,
        content_type="application/pdf",
    )
    with pytest.raises(ProtectedError):
        document.delete()
    with pytest.raises(ProtectedError):
        family.delete()
    assert DocumentFile.objects.filter(document=document).exists()


def test_a_family_created_by_mistake_is_deleted_with_its_people_and_drafts(campaign):
    responsible = factories.ResponsibleFactory()
    family = responsible.family
    student = Student.objects.create(family=family, first_name="Ilan", last_name=family.name)
    WizardDraft.objects.create(student=student, campaign=campaign, data={})
    family.delete()
    assert not User.objects.filter(pk=responsible.pk).exists()
    assert not Student.objects.filter(pk=student.pk).exists()
    assert not WizardDraft.objects.exists()


def test_the_admin_shows_the_cannot_delete_page(lea, admin_client):
    family = without_billing_and_enrolments(lea.student.family)
    url = reverse("admin:accounts_family_delete", args=[family.pk])
    page = admin_client.get(url)
    assert page.status_code == 200
    content = page.content.decode()
    assert "objets liés et protégés" in content
    assert "Léa Martin — Réinscription 2025-2026</a>" in content
    assert "Oui, je suis sûr" not in content
    response = admin_client.post(url, {"post": "yes"})
    assert response.status_code == 200
    assert Family.objects.filter(pk=family.pk).exists()
    assert ReenrolmentSnapshot.objects.filter(reenrolment=lea).exists()
