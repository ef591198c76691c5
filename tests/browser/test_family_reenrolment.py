"""As a family, in Chromium on a phone: the seven steps for a child, with an upload,
then the confirmation email read from the SMTP sink. Screenshots of every step go to
artifacts/screenshots/."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from reinscription.demo import demo_password, seed_demo
from reinscription.models import Reenrolment
from tests.browser.conftest import PHONE

pytestmark = pytest.mark.browser

NEXT = "Passer à l’étape suivante"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def demo(live_app):
    seed_demo()


def log_in(page, url, identifier):
    page.goto(f"{url}/compte/connexion/")
    page.get_by_label("Identifiant").fill(identifier)
    page.get_by_label("Mot de passe").fill(demo_password(identifier))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name=re.compile("Espace famille"))).to_be_visible()


def no_sideways_scroll(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_a_family_reenrols_a_child_in_seven_steps(live_app, demo, page, screenshot, tmp_path):
    page.set_viewport_size(PHONE)
    log_in(page, live_app.url, "martin-claire")
    screenshot("0-family-space")
    page.get_by_role("link", name="Commencer — Léa Martin").click()

    expect(page.get_by_text("Étape 1 sur 7")).to_be_visible()
    page.get_by_label("je souhaite réinscrire Léa").check()
    screenshot("1-choice")
    no_sideways_scroll(page)
    page.get_by_role("button", name=NEXT).click()

    expect(page.get_by_text("Étape 2 sur 7")).to_be_visible()
    expect(page.locator("#id_coordonnees-address")).to_have_value("12 chemin de la Sablière")
    page.get_by_role("button", name=NEXT).click()
    expect(page.get_by_text("Merci de corriger les points suivants")).to_be_visible()
    screenshot("2-details-errors")
    page.get_by_label("Personne à prévenir en cas d’urgence").fill("Mamie Martin")
    page.get_by_label("Téléphone en cas d’urgence").fill("06 11 22 33 44")
    screenshot("2-details")
    no_sideways_scroll(page)
    page.get_by_role("button", name=NEXT).click()

    expect(page.get_by_text("Étape 3 sur 7")).to_be_visible()
    page.get_by_label("Prélèvement automatique en 9 fois").check()
    page.locator("input[name='reglement-bank_changed'][value='yes']").check()
    page.get_by_label("IBAN").fill("FR14 2004 1010 0505 0001 3M02 606")  # BIC found from it
    page.get_by_label("Titulaire du compte").fill("Claire Martin")
    page.get_by_label("Je réside à Limonest", exact=False).check()  # nothing ticked before
    screenshot("3-payment")
    no_sideways_scroll(page)
    page.get_by_role("button", name=NEXT).click()

    expect(page.get_by_text("Étape 4 sur 7")).to_be_visible()
    page.locator("input[name='autorisations-image_rights'][value='yes']").check()
    page.locator("input[name='autorisations-outing_authorisation'][value='no']").check()
    screenshot("4-authorisations")
    page.get_by_role("button", name=NEXT).click()

    expect(page.get_by_text("Étape 5 sur 7")).to_be_visible()
    expect(page.get_by_text("Mandat de prélèvement SEPA signé").first).to_be_visible()
    attestation = tmp_path / "attestation-caf.pdf"
    attestation.write_bytes(PDF)
    row = page.locator("tr", has_text="quotient familial").first
    row.locator("input[type=file]").set_input_files(str(attestation))
    screenshot("5-documents")
    no_sideways_scroll(page)
    page.get_by_role("button", name=NEXT).click()  # sends the file chosen (one form)

    expect(page.get_by_text("Étape 6 sur 7")).to_be_visible()
    expect(page.get_by_text("Merci : 1 fichier a été reçu")).to_be_visible()
    page.locator("input[name='cours-day_fm1c2'][value='saturday']").check()
    page.locator("input[name='cours-ensemble'][value='orchestre']").check()
    page.get_by_label("Informations complémentaires").fill("Léa aimerait essayer le violoncelle.")
    screenshot("6-courses")
    page.get_by_role("button", name=NEXT).click()

    expect(page.get_by_text("Étape 7 sur 7")).to_be_visible()
    expect(
        page.get_by_text("Le coût définitif sera déterminé par nos services.").first
    ).to_be_visible()
    page.get_by_label("J’ai lu et j’accepte le règlement intérieur").check()
    screenshot("7-recap")
    no_sideways_scroll(page)
    page.get_by_role("button", name="Valider la réinscription").click()

    expect(
        page.get_by_text("Réinscription enregistrée pour Léa, en attente de validation")
    ).to_be_visible()
    screenshot("8-validated")
    reenrolment = Reenrolment.objects.get(student__first_name="Léa")
    assert reenrolment.payment_mode == "monthly"
    assert reenrolment.comments == "Léa aimerait essayer le violoncelle."

    email = live_app.sink.last_email_to("claire.martin@example.org")
    assert "Réinscription de Léa Martin" in email.subject
    assert "Prélèvement automatique en 9 fois" in email.text
    assert "violoncelle" in email.text
    assert "FR14 2004 1010" not in email.text  # never the full IBAN
    email_page = page.context.new_page()
    email_page.set_content(email.html)
    screenshot("9-email", email_page)
    email_page.close()
    assert Path(screenshot("10-detail")).exists()


def test_a_family_declines_for_one_child(live_app, demo, page, screenshot):
    page.set_viewport_size(PHONE)
    log_in(page, live_app.url, "leroy-marc")
    page.get_by_role("link", name="Commencer — Lucas Leroy").click()
    page.get_by_label("je ne souhaite pas réinscrire Lucas").check()
    page.get_by_label("Motif (facultatif)").fill("Déménagement")
    page.get_by_role("button", name=NEXT).click()
    expect(page.get_by_text("Étape 2 sur 2 — Confirmation de la non-réinscription")).to_be_visible()
    expect(page.get_by_text("Déménagement")).to_be_visible()
    expect(page.get_by_label("J’ai lu et j’accepte le règlement intérieur")).to_have_count(0)
    screenshot("decline-confirmation")
    page.get_by_role("button", name="Confirmer la non-réinscription").click()
    expect(page.get_by_text("pas de réinscription pour Lucas")).to_be_visible()
    page.get_by_role("link", name="Réinscriptions").first.click()
    expect(page.get_by_text("Pas de réinscription", exact=True)).to_be_visible()
    screenshot("decline-family-space")
    email = live_app.sink.last_email_to("marc.leroy@example.org")
    assert "Pas de réinscription pour Lucas Leroy" in email.subject
