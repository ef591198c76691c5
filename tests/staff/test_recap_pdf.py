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
from tests.staff.factories import chosen, submit

pytestmark = pytest.mark.django_db

HOSTILE = 'Merci ! <script>alert("x")</script> <img src="file:///etc/passwd"> fin'


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


@pytest.fixture
def lea(demo):
    lea = student_named("Léa")
    reenrolment = submit(
        lea,
        preferences=chosen(lea, day_fm1c2="saturday", ensemble="orchestre"),
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
        "FM1C2, Piano, Chorale Domin'ut",  # courses this year, by name
        "Formule en 2024-2025",
        "Droit à l",  # authorisations
        "Samedi 11h30–12h30",  # preference, with its hours
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


# --- One page, what is missing first, rendered once ----------------------------------------------


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def words_and_fonts(data: bytes) -> list[tuple[str, str]]:
    """Each piece of text of the first page with the name of its font."""
    pieces = []

    def visit(text, _cm, _tm, font, _size):
        if text.strip() and font:
            pieces.append((text.strip(), str(font.get("/BaseFont", ""))))

    PdfReader(io.BytesIO(data)).pages[0].extract_text(visitor_text=visit)
    return pieces


def font_of(data: bytes, word: str) -> str:
    return next(font for text, font in words_and_fonts(data) if word in text)


@pytest.mark.parametrize("payment_mode", ["once", "monthly"])
def test_each_child_of_the_two_child_family_gets_a_one_page_recap(demo, payment_mode):
    for name in ("Inès", "Lucas"):
        student = student_named(name)
        reenrolment = submit(
            student,
            payment_mode=payment_mode,
            comments="Nous aimerions savoir si un stage est prévu aux vacances de printemps.",
        )
        data = recap_pdf(reenrolment)
        assert page_count(data) == 1, (name, payment_mode)
        assert student.full_name in pdf_text(data)


def test_the_longest_demo_recap_fits_on_one_page(lea):
    lea.payment_mode = "monthly"
    lea.comments = "Léa aimerait essayer le violoncelle l’an prochain. " * 4
    lea.save(update_fields=["payment_mode", "comments"])
    assert page_count(recap_pdf(Reenrolment.objects.get(pk=lea.pk))) == 1


def test_a_missing_document_is_the_strongest_and_said_in_words(lea):
    data = recap_pdf(lea)
    assert "✖ Manquant" in pdf_text(data)  # a marker, not only a colour
    assert font_of(data, "Manquant").endswith("DejaVu-Sans-Bold")


def test_a_received_document_is_neutral_and_an_accepted_one_is_ticked(lea):
    document_type = DocumentType.objects.get(
        school_year=lea.campaign.school_year, code="justificatif-domicile"
    )
    document = Document.objects.create(
        type=document_type, family=lea.student.family, status=Document.Status.RECEIVED
    )
    data = recap_pdf(lea)
    assert "Reçu" in pdf_text(data) and "✖" not in pdf_text(data)
    assert not font_of(data, "Reçu").endswith("Bold")
    document.status = Document.Status.ACCEPTED
    document.save(update_fields=["status"])
    assert "✔ Accepté" in pdf_text(recap_pdf(lea))


def test_the_pdf_embeds_two_faces_only(lea):
    fonts = {font.split("+")[-1] for _text, font in words_and_fonts(recap_pdf(lea))}
    assert fonts == {"DejaVu-Sans", "DejaVu-Sans-Bold"}


def test_the_recap_is_rendered_once_for_the_email_the_family_the_admin_and_the_zip(
    demo, secretary_client, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    import zipfile

    import reinscription.recap
    from accounts.models import User
    from reinscription.recap import write_recaps_zip

    rendered = []
    original = reinscription.recap.render_pdf
    monkeypatch.setattr(
        reinscription.recap,
        "render_pdf",
        lambda *args, **kwargs: rendered.append(args) or original(*args, **kwargs),
    )
    with django_capture_on_commit_callbacks(execute=True):
        lea = submit(student_named("Léa"))
    emailed = mailoutbox[-1].attachments[0][1]
    request = RequestFactory().get("/")
    request.user = User.objects.get(username="martin-claire")
    downloaded = family_recap_response(request, lea.student_id).content
    admin = secretary_client.get(reverse("admin:reinscription_reenrolment_recap", args=[lea.pk]))
    with io.BytesIO() as archive:
        write_recaps_zip([lea.pk], archive)
        zipped = zipfile.ZipFile(archive).read("recapitulatif-2025-2026-martin-lea.pdf")
    assert len(rendered) == 1
    assert emailed == downloaded == admin.content == zipped


def test_a_change_the_recap_shows_makes_a_new_one(lea, secretary_client):
    from django.utils import timezone

    url = reverse("admin:reinscription_reenrolment_recap", args=[lea.pk])
    before = store_recap_pdf(lea.snapshots.get())
    assert "Manquant" in pdf_text(secretary_client.get(url).content)
    document_type = DocumentType.objects.get(
        school_year=lea.campaign.school_year, code="justificatif-domicile"
    )
    Document.objects.create(
        type=document_type, family=lea.student.family, status=Document.Status.ACCEPTED
    )
    assert "Accepté" in pdf_text(secretary_client.get(url).content)
    Reenrolment.objects.filter(pk=lea.pk).update(
        status=Reenrolment.Status.VALIDATED, validated_at=timezone.now()
    )
    after = store_recap_pdf(lea.snapshots.get())
    assert after != before and default_storage.exists(before)
    assert "Accepté" in pdf_text(default_storage.open(after).read())


def test_a_large_logo_is_reduced_before_it_reaches_weasyprint():
    from PIL import Image

    from conservatoire.pdf import LOGO_MAX_PIXELS, small_logo

    def png(width, height) -> bytes:
        buffer = io.BytesIO()
        Image.new("RGBA", (width, height), (122, 31, 61, 255)).save(buffer, "PNG")
        return buffer.getvalue()

    body, mime_type = small_logo(png(1600, 600), "image/png")
    assert mime_type == "image/png"
    assert Image.open(io.BytesIO(body)).size == (320, 120)
    assert max(LOGO_MAX_PIXELS) >= 320
    small = png(200, 80)
    assert small_logo(small, "image/png") == (small, "image/png")  # left as it is
    assert small_logo(b"not an image", "image/jpeg") == (b"not an image", "image/jpeg")
