"""The guide from end to end, in Chromium on a phone: "Mot de passe perdu", the password
read from the email, "Se connecter", a password of one's own, then the re-enrolment of
two children (Léa, cursus musique, with an upload; Hugo, éveil artistique) and the two
confirmation emails. Screenshots of every page go to artifacts/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from reinscription.models import Reenrolment
from tests.accounts.helpers import NEW_PASSWORD, password_in
from tests.browser.conftest import PHONE
from tests.browser.family_pages import demo  # noqa: F401

pytestmark = pytest.mark.browser

IDENTIFIER = "martin-claire"
ADDRESS = "claire.martin@example.org"
NEXT = "Passer à l’étape suivante"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def go_on(page, number: int) -> None:
    page.get_by_role("button", name=NEXT).click()
    expect(page.get_by_text(f"Étape {number} sur 7")).to_be_visible()


def reenrol(page, screenshot, child: str, *, courses, upload=None) -> None:
    """The seven steps for one child, from the family space."""
    page.get_by_role("link", name=re.compile(f"^Commencer — {child} Martin")).click()
    expect(page.get_by_text("Étape 1 sur 7")).to_be_visible()
    page.get_by_label(f"je souhaite réinscrire {child}").check()
    screenshot(f"{child}-1-choice")
    go_on(page, 2)
    page.get_by_label("Personne à prévenir en cas d’urgence").fill("Mamie Martin")
    page.get_by_label("Téléphone en cas d’urgence").fill("06 11 22 33 44")
    screenshot(f"{child}-2-details")
    go_on(page, 3)
    page.get_by_label("Règlement en 1 fois").check()
    if upload:  # the QF attestation is asked for when the family says it provides it
        page.get_by_label("Je réside à Limonest", exact=False).check()
    screenshot(f"{child}-3-payment")
    go_on(page, 4)
    page.locator("input[name='autorisations-image_rights'][value='no']").check()
    page.locator("input[name='autorisations-outing_authorisation'][value='no']").check()
    screenshot(f"{child}-4-authorisations")
    go_on(page, 5)
    if upload:
        # The file chosen leaves with « Passer à l’étape suivante » (step 5 is one form).
        row = page.locator("tr", has_text="quotient familial").first
        row.locator("input[type=file]").set_input_files(str(upload))
    screenshot(f"{child}-5-documents")
    go_on(page, 6)
    if upload:
        expect(page.get_by_text("Merci : 1 fichier a été reçu")).to_be_visible()
    courses(page)
    screenshot(f"{child}-6-courses")
    go_on(page, 7)
    expect(
        page.get_by_text("Le coût définitif sera déterminé par nos services.").first
    ).to_be_visible()
    page.get_by_label("J’ai lu et j’accepte le règlement intérieur").check()
    screenshot(f"{child}-7-recap")
    page.get_by_role("button", name="Valider la réinscription").click()
    expect(page.get_by_text(f"Réinscription enregistrée pour {child}, en attente")).to_be_visible()
    screenshot(f"{child}-8-validated")


def lea_courses(page):
    page.locator("input[name='cours-day_fm1c2'][value='wednesday']").check()
    page.locator("input[name='cours-ensemble'][value='chorale']").check()


def hugo_courses(page):
    page.locator("input[name='cours-day_eveil'][value='saturday']").check()
    page.get_by_label("Informations complémentaires").fill("Hugo préfère le samedi matin.")


def test_a_family_follows_the_guide_for_two_children(live_app, demo, page, screenshot, tmp_path):  # noqa: F811
    page.set_viewport_size(PHONE)
    page.goto(f"{live_app.url}/")
    page.get_by_role("link", name="Se connecter").last.click()
    expect(page.get_by_role("heading", name="Accès usager")).to_be_visible()

    # 2/ Récupération du mot de passe
    page.get_by_role("link", name="Mot de passe perdu").click()
    page.get_by_label("Identifiant").fill(IDENTIFIER)
    page.get_by_label("E-mail").fill(ADDRESS)
    screenshot("01-lost-password")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("un mot de passe vient d’être envoyé par e-mail")).to_be_visible()
    screenshot("02-password-sent")
    password = password_in(live_app.sink.last_email_to(ADDRESS).text)

    # 3/ Se connecter, then a password of one's own
    page.get_by_label("Identifiant").fill(IDENTIFIER)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    screenshot("03-choose-password")
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page.get_by_role("heading", name=re.compile("Espace famille"))).to_be_visible()
    screenshot("04-family-space")

    # 4/ Se réinscrire, one child after the other
    attestation = tmp_path / "attestation-caf-2025.pdf"
    attestation.write_bytes(PDF)
    reenrol(page, screenshot, "Léa", courses=lea_courses, upload=attestation)
    page.get_by_role("link", name="Réinscriptions").first.click()
    reenrol(page, screenshot, "Hugo", courses=hugo_courses)
    page.get_by_role("link", name="Réinscriptions").first.click()
    recorded = page.get_by_text("Réinscription enregistrée, en attente de validation", exact=True)
    expect(recorded).to_have_count(2)
    screenshot("05-family-space-two-reenrolled")

    reenrolments = Reenrolment.objects.filter(student__family__legacy_id="DEMO-martin")
    assert {r.student.first_name: r.status for r in reenrolments} == {
        "Léa": "reenrolled",
        "Hugo": "reenrolled",
    }
    # The password email, then one confirmation per child.
    emails = live_app.sink.wait_for_emails(ADDRESS, count=4)
    subjects = [email.subject for email in emails]
    assert any("Réinscription de Léa Martin" in s for s in subjects), subjects
    assert any("Réinscription d’Hugo Martin" in s for s in subjects), subjects
    hugo = next(e for e in emails if "Réinscription d’Hugo Martin" in e.subject)
    assert "samedi matin" in hugo.text
