"""The recap PDF: what it shows, that it fetches nothing, who may download it."""

import io
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import default_storage
from django.http import Http404
from django.test import RequestFactory
from django.urls import reverse
from pypdf import PdfReader

import conservatoire.pdf
from billing import services as billing
from billing.models import FamilyBilling
from conservatoire.emails import queue_email
from documents.models import Document, DocumentType
from reinscription.models import Reenrolment
from reinscription.recap import (
    family_recap_response,
    recap_attachment,
    recap_pdf,
    store_recap_pdf,
)
from tests.staff.conftest import login, student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db

HOSTILE = 'Merci ! <script>alert("x")</script> <img src="file:///etc/passwd"> fin'


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def lea(demo):
    reenrolment = submit(
        student_named("Léa"),
        preferences={"fm_day": "saturday", "ensemble": "orchestre"},
        comments="Léa aimerait essayer le violoncelle.",
    )
    reenrolment.internal_note = "Note interne : famille à rappeler"
    reenrolment.save(update_fields=["internal_note"])
    return reenrolment


def test_the_recap_shows_the_key_fields(lea):
    text = pdf_text(recap_pdf(lea))
    for expected in (
        "Conservatoire municipal de Limonest",
        "RÉCAPITULATIF DE RÉINSCRIPTION",
        "2025-2026",
        "Léa Martin",
        "Martin",  # family
        "claire.martin@example.org",
        "julien.martin@example.org",
        "12 chemin de la Sablière",
        "Collège Jean-Giono",
        "Mamie Martin",
        "FM1C2",  # courses this year
        "Droit à l",  # authorisations
        "Samedi",  # preference
        "Orchestre",
        "violoncelle",  # free text
        "Justificatif de domicile",  # requested document
        "Manquant",  # and its status
        "Le coût définitif sera déterminé par nos services.",
        "2025-1",  # rules version
        lea.rules_accepted_at.astimezone().strftime("%d/%m/%Y"),
    ):
        assert expected in text, expected
    assert "€" in text
    assert "Note interne" not in text


def test_the_recap_shows_the_rules_acceptance_time(lea):
    from django.utils import timezone

    accepted = timezone.localtime(lea.rules_accepted_at)
    text = pdf_text(recap_pdf(lea))
    assert f"{accepted:%d/%m/%Y} à {accepted:%H:%M}" in text


def test_the_final_amount_replaces_the_estimate(lea, secretary):
    family = lea.student.family
    billing_row = FamilyBilling.objects.get(family=family, school_year=lea.campaign.school_year)
    billing.set_final_amount(
        billing_row, amount=Decimal("432.10"), reason="Tarif QF vérifié", by=secretary
    )
    text = pdf_text(recap_pdf(lea))
    assert "432,10" in text
    assert "Montant définitif" in text
    assert "Tarif QF vérifié" in text


def test_document_statuses_are_read_live(lea):
    document_type = DocumentType.objects.get(
        school_year=lea.campaign.school_year, code="justificatif-domicile"
    )
    Document.objects.create(
        type=document_type, family=lea.student.family, status=Document.Status.ACCEPTED
    )
    assert "Accepté" in pdf_text(recap_pdf(lea))


def test_family_text_is_printed_as_text_and_fetches_nothing(demo, monkeypatch):
    asked = []
    original = conservatoire.pdf.resolve_static

    def spy(url):
        asked.append(url)
        return original(url)

    monkeypatch.setattr(conservatoire.pdf, "resolve_static", spy)
    reenrolment = submit(student_named("Léa"), comments=HOSTILE)
    text = pdf_text(recap_pdf(reenrolment))
    assert '<script>alert("x")</script>' in text
    assert '<img src="file:///etc/passwd">' in text
    assert "root:" not in text
    assert asked, "the stylesheet is read through the restricted fetcher"
    assert all("/static/" in url and "passwd" not in url for url in asked), asked


def test_a_declined_student_gets_a_short_recap(demo):
    reenrolment = submit(student_named("Lucas"), decision="decline")
    text = pdf_text(recap_pdf(reenrolment))
    assert "Lucas Leroy" in text
    assert "ne souhaite pas réinscrire" in text
    assert "Déménagement" in text
    assert "Mode de règlement" not in text


def test_the_recap_is_one_a4_page(lea):
    reader = PdfReader(io.BytesIO(recap_pdf(lea)))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == (595, 842)


def test_the_recap_is_stored_privately_for_the_email(
    lea, settings, mailoutbox, django_capture_on_commit_callbacks
):
    snapshot = lea.snapshots.get()
    name = store_recap_pdf(snapshot)
    assert name.startswith("recaps/2025-2026/")
    assert Path(settings.MEDIA_ROOT, name).is_file()
    assert store_recap_pdf(snapshot) == name  # stable: stored once
    attachment = recap_attachment(snapshot)
    assert attachment["filename"] == "recapitulatif-2025-2026-martin-lea.pdf"
    with django_capture_on_commit_callbacks(execute=True):
        queue_email("test", ["claire.martin@example.org"], attachments=[attachment])
    message = mailoutbox[-1]
    filename, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf"
    assert "Léa Martin" in pdf_text(content)
    assert default_storage.exists(name)


def test_the_family_downloads_its_own_recap(lea, client):
    user = login(client, "martin-claire")
    request = RequestFactory().get("/")
    request.user = user
    response = family_recap_response(request, lea.student_id)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert "Note interne" not in pdf_text(response.content)


def test_another_family_gets_a_404(lea, client):
    user = login(client, "bernard-sarah")
    request = RequestFactory().get("/")
    request.user = user
    with pytest.raises(Http404):
        family_recap_response(request, lea.student_id)


def test_staff_without_family_gets_a_404_and_anonymous_must_log_in(lea, secretary):
    from django.contrib.auth.models import AnonymousUser

    request = RequestFactory().get("/")
    request.user = secretary
    with pytest.raises(Http404):
        family_recap_response(request, lea.student_id)
    request.user = AnonymousUser()
    response = family_recap_response(request, lea.student_id)
    assert response.status_code == 302


def test_staff_download_the_recap_from_the_reenrolment_page(lea, secretary_client):
    page = secretary_client.get(reverse("admin:reinscription_reenrolment_change", args=[lea.pk]))
    url = reverse("admin:reinscription_reenrolment_recap", args=[lea.pk])
    assert url in page.content.decode()
    response = secretary_client.get(url)
    assert response.status_code == 200
    assert "Léa Martin" in pdf_text(response.content)


def test_a_page_is_rendered_to_png_as_a_ci_artefact(lea):
    """Keep artifacts/recap-page-1.png, to look at (pdftoppm from poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    lea.comments = HOSTILE
    lea.save(update_fields=["comments"])
    artifacts = Path(settings.BASE_DIR) / "artifacts"
    artifacts.mkdir(exist_ok=True)
    pdf = artifacts / "recap.pdf"
    pdf.write_bytes(recap_pdf(Reenrolment.objects.get(pk=lea.pk)))
    subprocess.run(
        ["pdftoppm", "-png", "-r", "70", str(pdf), str(artifacts / "recap-page")], check=True
    )
    assert (artifacts / "recap-page-1.png").stat().st_size > 10_000
