"""Never lose a file, in Chromium at 360 px: at step 5 a file chosen then « Passer à
l’étape suivante » is sent; a refused file is named by its row and the others stay
stored; "Mes documents" is one form too. Then "Reste à faire" on the page the wizard
lands on. Screenshots in artifacts/screenshots/ (test_documents_one_form_*)."""

import re

import pytest
from playwright.sync_api import expect

from documents.models import DocumentFile
from tests.browser.axe import AXE, axe_violations, describe, page  # noqa: F401
from tests.browser.conftest import PHONE
from tests.browser.family_pages import (
    PDF,
    choose_files,
    demo,  # noqa: F401
    next_step,
    open_family_page,
)
from tests.browser.html_check import capture_documents, html_errors

pytestmark = pytest.mark.browser

ADDRESS = "Justificatif de domicile"


def checked(page, documents) -> None:  # noqa: F811
    """No sideways scroll at 360 px, valid HTML, no WCAG 2.1 AA violation."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert html_errors(documents[-1].text()) == [], page.url
    if AXE.exists():
        violations = axe_violations(page)
        assert not violations, describe(violations)


def test_a_file_chosen_at_step_5_is_sent_by_next_step(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    open_family_page("step-documents", page, live_app.url)
    expect(page.get_by_role("button", name="Envoyer", exact=True)).to_have_count(0)
    choose_files(page, ADDRESS, [("facture-eau.pdf", PDF)])
    screenshot("step-5-file-chosen")
    next_step(page)
    expect(page.get_by_text("Étape 6 sur 7")).to_be_visible()
    expect(
        page.get_by_text("Merci : 1 fichier a été reçu pour « Justificatif de domicile »")
    ).to_be_visible()
    screenshot("step-6-after-sending")
    assert [f.original_name for f in DocumentFile.objects.all()] == ["facture-eau.pdf"]
    checked(page, documents)


def test_a_refused_file_is_named_by_its_row_and_the_good_one_is_kept(
    live_app,
    demo,  # noqa: F811
    page,  # noqa: F811
    screenshot,
):
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    open_family_page("step-documents-refused", page, live_app.url)
    expect(page.get_by_text("Étape 5 sur 7")).to_be_visible()
    row = page.locator("tr", has_text=ADDRESS).first
    expect(
        row.get_by_text("Le fichier « scan.pdf » n’a pas été envoyé : ce n’est pas")
    ).to_be_visible()
    expect(row.get_by_role("link", name="facture.pdf")).to_be_visible()  # stored, listed
    expect(row.locator("input[type=file]")).to_have_attribute("aria-invalid", "true")
    screenshot("step-5-refused")
    assert [f.original_name for f in DocumentFile.objects.all()] == ["facture.pdf"]
    checked(page, documents)
    # The summary's link leads to the row's input; another file, and the step goes on.
    page.locator("#error-summary a").first.click()
    expect(row.locator("input[type=file]")).to_be_focused()
    choose_files(page, ADDRESS, [("facture-rescannee.pdf", PDF)])
    next_step(page)
    expect(page.get_by_text("Étape 6 sur 7")).to_be_visible()
    assert DocumentFile.objects.count() == 2


def test_my_documents_is_one_form_with_one_button(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    open_family_page("documents-refused", page, live_app.url)
    expect(page.get_by_role("button", name="Envoyer les fichiers choisis")).to_have_count(1)
    qf_row = page.locator("tr", has_text="quotient familial").first
    expect(qf_row.get_by_text("Le fichier « scan.pdf » n’a pas été envoyé")).to_be_visible()
    address_row = page.locator("tr", has_text=ADDRESS).first
    expect(address_row.get_by_role("link", name="facture.pdf")).to_be_visible()
    expect(page.get_by_text("Merci : 1 fichier a été reçu")).to_be_visible()
    screenshot("my-documents-refused")
    checked(page, documents)


def test_the_page_after_validation_says_what_is_left(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    open_family_page("reenrolment-detail", page, live_app.url)
    left = page.locator("section.what-is-left")
    expect(left.get_by_role("heading", name="Reste à faire")).to_be_visible()
    expect(left.get_by_text("Répondre pour Hugo Martin (réinscrire ou non)")).to_be_visible()
    expect(left.get_by_text("Envoyer « Justificatif de domicile »")).to_be_visible()
    left.scroll_into_view_if_needed()
    screenshot("detail-what-is-left")
    checked(page, documents)
    left.get_by_role("link", name="Envoyer « Justificatif de domicile »").click()
    expect(page).to_have_url(re.compile(r"/documents/#document-\d+-0$"))
    expect(page.locator("tr", has_text=ADDRESS).first).to_be_in_viewport()


def test_the_family_space_says_what_is_left(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    open_family_page("family-space", page, live_app.url)
    left = page.locator("section.what-is-left")
    expect(left.get_by_text("Répondre pour Léa Martin (réinscrire ou non)")).to_be_visible()
    expect(left.get_by_text("Les réinscriptions sont ouvertes jusqu’au")).to_be_visible()
    screenshot("family-space-what-is-left")
    checked(page, documents)
