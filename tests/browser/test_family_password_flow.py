"""As a family, in Chromium: "Mot de passe perdu", the email, "Se connecter", a new
password, the family space. Screenshots go to artifacts/screenshots/."""

import re

import pytest
from playwright.sync_api import expect

from tests.accounts.helpers import NEW_PASSWORD, password_in
from tests.browser.conftest import PHONE
from tests.factories import ResponsibleFactory

pytestmark = pytest.mark.browser

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def claire(live_app):
    return ResponsibleFactory(
        username="dupont-k7mq4", first_name="Claire", last_name="Dupont", email=ADDRESS
    )


def test_a_family_gets_a_password_by_email_and_reaches_its_space(
    live_app, claire, page, screenshot
):
    page.goto(f"{live_app.url}/compte/connexion/")
    expect(page.get_by_role("heading", name="Accès usager")).to_be_visible()
    screenshot("1-login")

    page.get_by_role("link", name="Mot de passe perdu").click()
    expect(page.get_by_role("heading", name="Mot de passe perdu")).to_be_visible()
    page.get_by_label("Identifiant").fill("dupont-k7mq4")
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("Veuillez vérifier les renseignements saisis")).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_have_value("dupont-k7mq4")
    screenshot("2-lost-password-missing-email")

    page.get_by_label("E-mail").fill(ADDRESS)
    page.get_by_role("button", name="Valider").click()
    expect(page.get_by_text("un mot de passe vient d’être envoyé par e-mail")).to_be_visible()
    screenshot("3-password-sent")

    email = live_app.sink.last_email_to(ADDRESS)
    assert email.subject.startswith("Votre nouveau mot de passe")
    password = password_in(email.text)
    email_page = page.context.new_page()
    email_page.set_content(email.html)
    screenshot("4-email", email_page)
    email_page.close()

    page.get_by_label("Identifiant").fill("dupont-k7mq4")
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(re.compile(r"/compte/nouveau-mot-de-passe/$"))
    expect(page.get_by_role("heading", name="Choisissez votre mot de passe")).to_be_visible()
    screenshot("5-choose-password")

    page.locator("#id_new_password1").fill("trop-court")
    page.locator("#id_new_password2").fill("trop-court")
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page.get_by_text("Ce mot de passe est trop court.")).to_be_visible()
    screenshot("6-password-too-short")

    page.locator("#id_new_password1").fill(NEW_PASSWORD)
    page.locator("#id_new_password2").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Enregistrer mon mot de passe").click()
    expect(page).to_have_url(f"{live_app.url}/espace/")
    expect(page.get_by_text("Votre nouveau mot de passe est enregistré.")).to_be_visible()
    screenshot("7-family-space")

    page.get_by_role("link", name="Mon compte").click()
    expect(page.get_by_text("dupont-k7mq4")).to_be_visible()
    screenshot("8-account")
    notice = live_app.sink.last_email_to(ADDRESS, count=2)
    assert notice.subject.startswith("Votre mot de passe a été modifié")


def test_the_login_pages_fit_a_small_phone(live_app, claire, browser, screenshot):
    context = browser.new_context(viewport=PHONE, locale="fr-FR")
    phone = context.new_page()
    try:
        for path, name in [
            ("/compte/connexion/", "phone-login"),
            ("/compte/mot-de-passe-perdu/", "phone-lost-password"),
        ]:
            phone.goto(f"{live_app.url}{path}")
            if name == "phone-lost-password":
                phone.get_by_role("button", name="Valider").click()
                expect(phone.get_by_text("Veuillez vérifier")).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"{path} scrolls sideways: {width}px"
            screenshot(name, phone)
    finally:
        context.close()
