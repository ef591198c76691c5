"""Another family's student, re-enrolment, document, recap PDF and wizard: 404, nothing written.

Single cases are tested by their apps (tests/reinscription/test_wizard.py
``test_another_familys_student_gives_404``, tests/documents/test_download_view.py,
tests/documents/test_upload_view.py, tests/staff/test_recap_pdf.py); here every URL a
family can reach with another family's ids is tried, by GET and by POST, through the URLs.
"""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document, DocumentFile, DocumentType
from reinscription.models import Reenrolment, ReenrolmentSnapshot, WizardDraft
from reinscription.wizard import STEP_NAMES
from tests.documents.factories import MINIMAL_PDF
from tests.reinscription.conftest import WizardDriver, step_payload, step_url, student_named
from tests.security.conftest import recap_pdf_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def victim(demo, family_client):
    """The Leroy family: Inès re-enrolled (a recap exists) and her dance certificate sent."""
    client = family_client("leroy-marc")
    inès = student_named("Inès")
    WizardDriver(client, inès).complete()
    certificate = DocumentType.objects.get(code="certificat-medical-danse")
    client.post(
        reverse("documents:upload"),
        {
            f"files_{certificate.pk}-{inès.pk}": SimpleUploadedFile(
                "certificat.pdf", MINIMAL_PDF, "application/pdf"
            ),
        },
    )
    client.logout()
    assert Reenrolment.objects.filter(student=inès).exists()
    return inès, DocumentFile.objects.get(document__student=inès)


def test_every_url_with_another_familys_ids_gives_404(victim, family_client):
    inès, certificate = victim
    client = family_client("martin-claire")
    lucas = student_named("Lucas")  # Inès's brother, nothing started
    urls = [
        step_url(inès),
        *[step_url(inès, step) for step in STEP_NAMES],
        step_url(inès, "fin"),
        step_url(lucas, "choix"),
        reverse("reinscription:reenrolment_detail", args=[inès.pk]),
        reverse("documents:download", args=[certificate.pk]),
    ]
    pdf_url = recap_pdf_url(inès)
    if pdf_url:
        urls.append(pdf_url)
    for url in urls:
        response = client.get(url)
        assert response.status_code == 404, url
        assert b"%PDF" not in response.content[:10]
        assert "Inès".encode() not in response.content, url


def test_posting_another_familys_wizard_gives_404_and_writes_nothing(victim, family_client):
    inès, _certificate = victim
    lucas = student_named("Lucas")
    client = family_client("martin-claire")
    before = WizardDraft.objects.count(), ReenrolmentSnapshot.objects.count()
    for student in (inès, lucas):
        for step in STEP_NAMES:
            response = client.post(
                step_url(student, step),
                step_payload(student, step, {"decision": "decline", "accept_rules": "on"}),
            )
            assert response.status_code == 404, (student, step)
    assert (WizardDraft.objects.count(), ReenrolmentSnapshot.objects.count()) == before
    assert Reenrolment.objects.get(student=inès).status == Reenrolment.Status.REENROLLED


def test_uploading_for_another_familys_student_writes_nothing(victim, family_client):
    """The form has a file field per row of the family's own table: a field naming
    another family's student is none of them, its file is refused by name."""
    inès, _certificate = victim
    client = family_client("martin-claire")
    certificate = DocumentType.objects.get(code="certificat-medical-danse")
    response = client.post(
        reverse("documents:upload"),
        {
            f"files_{certificate.pk}-{inès.pk}": SimpleUploadedFile(
                "faux.pdf", MINIMAL_PDF, "application/pdf"
            ),
        },
    )
    assert response.status_code == 200
    assert "Le fichier « faux.pdf » n’a pas été envoyé" in response.content.decode()
    assert "Inès".encode() not in response.content
    assert DocumentFile.objects.filter(document__student=inès).count() == 1
    assert not Document.objects.filter(family=student_named("Léa").family).exists()


def test_ids_that_do_not_exist_give_404_not_500(victim, family_client):
    client = family_client("martin-claire")
    for url in (
        reverse("reinscription:wizard_step", kwargs={"student_id": 999_999, "step": "choix"}),
        reverse("reinscription:reenrolment_detail", args=[999_999]),
        reverse("documents:download", args=[999_999]),
    ):
        assert client.get(url).status_code == 404, url
