"""As the secretariat, in Chromium, in the administration (/gestion/): review a document
(accept one, refuse another with a reason the family gets by email), validate a
re-enrolment, set the family's final amount with a reason, export the recap PDFs.
Screenshots of every page go to artifacts/screenshots/; the recap PDF too (with a PNG
of its first page where pdftoppm exists).
"""

import io
import re
import shutil
import subprocess
import zipfile
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect
from pypdf import PdfReader

from accounts.models import Family
from billing.models import FamilyBilling
from documents import services as documents
from documents.models import Document, DocumentType
from reinscription.demo import STAFF_IDENTIFIER, STAFF_PASSWORD
from reinscription.models import Reenrolment
from tests.browser.conftest import DESKTOP, SCREENSHOTS
from tests.browser.family_pages import demo, log_in, validate_reenrolment  # noqa: F401

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QF_CERTIFICATE = "Attestation de quotient familial 2025 (CAF)"
PROOF_OF_ADDRESS = "Justificatif de domicile"


@pytest.fixture
def martin(demo):  # noqa: F811
    """Léa Martin re-enrolled by her family, which sent two documents to review."""
    validate_reenrolment()
    family = Family.objects.get(legacy_id="DEMO-martin")
    claire = family.responsibles.get(username="martin-claire")
    for name, filename in [(QF_CERTIFICATE, "attestation-caf.pdf"), (PROOF_OF_ADDRESS, "edf.pdf")]:
        document_type = DocumentType.objects.get(name=name)
        upload = SimpleUploadedFile(filename, PDF, content_type="application/pdf")
        documents.save_upload(document_type, family, None, upload, claire)
    return family


def model_link(page, model: str):
    """The link of a model on the administration's home page (by its URL)."""
    return page.locator(f'#content-main a[href$="/gestion/{model}/"]').first


def test_the_secretariat_reviews_validates_prices_and_exports(live_app, martin, page, screenshot):
    url = live_app.url
    page.goto(f"{url}/gestion/")
    screenshot("01-admin-login")
    page.get_by_label(re.compile("Nom d.utilisateur|Identifiant")).fill(STAFF_IDENTIFIER)
    page.get_by_label("Mot de passe").fill(STAFF_PASSWORD)
    page.get_by_role("button", name=re.compile("Connexion|Se connecter")).click()
    expect(page.get_by_role("link", name=re.compile("Réinscriptions", re.I)).first).to_be_visible()
    screenshot("02-admin-index")

    # Documents: the list shows those waiting for review.
    model_link(page, "documents/document").click()
    screenshot("03-documents-waiting")
    page.locator("#result_list").get_by_role("link", name=QF_CERTIFICATE).click()
    screenshot("04-document")
    page.get_by_role("button", name="Accepter").click()
    expect(page.get_by_text("Document accepté.")).to_be_visible()
    screenshot("05-document-accepted")
    assert Document.objects.get(type__name=QF_CERTIFICATE).status == "accepted"

    page.goto(f"{url}/gestion/documents/document/")
    page.locator("#result_list").get_by_role("link", name=PROOF_OF_ADDRESS).click()
    page.get_by_role("link", name="Refuser…").click()
    screenshot("06-document-refusal")
    page.get_by_label(re.compile("Motif")).fill("Le justificatif date de plus de 3 mois.")
    page.get_by_role("button", name=re.compile("Refuser")).click()
    expect(page.get_by_text(re.compile("Document refusé"))).to_be_visible()
    screenshot("07-document-refused")
    assert Document.objects.get(type__name=PROOF_OF_ADDRESS).status == "refused"
    # Claire got the confirmation of the re-enrolment, then this refusal.
    emails = live_app.sink.wait_for_emails("claire.martin@example.org", count=2)
    refusal = next(e for e in emails if "plus de 3 mois" in e.text)
    assert PROOF_OF_ADDRESS in refusal.text

    # Re-enrolments: validate Léa's with the list's action.
    page.goto(f"{url}/gestion/")
    model_link(page, "reinscription/reenrolment").click()
    screenshot("08-reenrolments")
    row = page.locator("#result_list tbody tr", has_text="Léa Martin")
    row.locator("input.action-select").check()
    page.locator("select[name=action]").select_option("validate_selected")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".messagelist .success")).to_be_visible()
    expect(row).to_contain_text("validé par le conservatoire")
    screenshot("09-reenrolment-validated")
    reenrolment = Reenrolment.objects.get(student__first_name="Léa")
    assert reenrolment.status == "validated"

    # The family's final amount, from the re-enrolment's page.
    page.get_by_role("link", name="Léa Martin").first.click()
    screenshot("10-reenrolment")
    page.locator('.field-final_amount_link a[href*="/gestion/billing/familybilling/"]').click()
    screenshot("11-billing")
    page.get_by_role("spinbutton", name="Montant définitif").fill("412.50")
    page.get_by_role("textbox", name="Motif du montant définitif").fill(
        "Réduction accordée par la commission."
    )
    page.get_by_role("button", name="Enregistrer", exact=True).click()
    screenshot("12-billing-saved")
    billing = FamilyBilling.objects.get(family=martin)
    assert billing.final_amount == Decimal("412.50")

    # The family now sees the final amount and its reason.
    family_context = page.context.browser.new_context(viewport=DESKTOP, locale="fr-FR")
    family_page = family_context.new_page()
    log_in(family_page, url)
    lea = reenrolment.student
    family_page.goto(f"{url}/espace/eleves/{lea.pk}/recapitulatif/")
    expect(family_page.get_by_role("heading", name=re.compile("Montant définitif"))).to_be_visible()
    expect(family_page.get_by_text("412,50 €").first).to_be_visible()
    expect(family_page.get_by_text("Réduction accordée par la commission.")).to_be_visible()
    screenshot("13-family-sees-final-amount", family_page)
    family_context.close()

    # The recap PDFs of the selected re-enrolments, in a ZIP.
    page.goto(f"{url}/gestion/reinscription/reenrolment/")
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("download_recaps")
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Envoyer").click()
    with zipfile.ZipFile(download_info.value.path()) as archive:
        names = archive.namelist()
        assert len(names) == 1 and names[0].endswith(".pdf")
        recap = archive.read(names[0])
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(recap)).pages)
    assert "Léa Martin" in text
    assert "412,50" in text
    pdf_path = SCREENSHOTS / "secretary-journey-14-recap.pdf"
    pdf_path.write_bytes(recap)
    if shutil.which("pdftoppm"):  # its first page as a picture, to look at
        subprocess.run(  # noqa: S603
            ["pdftoppm", "-png", "-r", "70", "-singlefile", str(pdf_path), str(pdf_path)[:-4]],
            check=True,
        )
