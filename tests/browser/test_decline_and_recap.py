"""At 360 px, in Chromium: the decline's confirmation (step 2 of 2, no rules to accept),
the recap with a "Modifier" per section (there and back), and "Modifier" after a
validation saying first what becomes of the recorded version. axe-core (when
installed), the HTML parser and the heading outline find nothing on each page.
Screenshots: artifacts/screenshots/test_*-phone-*.png."""

import pytest
from playwright.sync_api import expect

from reinscription.models import Reenrolment
from tests.browser.axe import AXE, axe_violations, describe, page  # noqa: F401
from tests.browser.conftest import PHONE
from tests.browser.family_pages import (
    complete_steps_before,
    demo,  # noqa: F401
    driver,
    log_in,
    step_url,
    student,
    validate_reenrolment,
)
from tests.browser.html_check import HEADINGS_JS, capture_documents, heading_errors, html_errors

pytestmark = pytest.mark.browser

SECTIONS = [
    "Modifier les coordonnées",
    "Modifier le mode de règlement",
    "Modifier les autorisations",
    "Modifier les documents",
    "Modifier les cours",
]


def check_page(page, documents) -> None:  # noqa: F811
    """No sideways scroll at 360 px, valid HTML, headings in order, no axe violation."""
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert html_errors(documents[-1].text()) == [], page.url
    assert heading_errors(page.evaluate(HEADINGS_JS)) == [], page.url
    if AXE.exists():
        violations = axe_violations(page)
        assert not violations, f"{page.url}:\n{describe(violations)}"


def test_declining_confirms_in_two_steps(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    log_in(page, live_app.url)
    page.goto(step_url(live_app.url, "choix"))
    reason = page.get_by_label("Motif (facultatif)")
    expect(reason).to_be_hidden()  # asked only of a family that declines
    page.get_by_label("je ne souhaite pas réinscrire Léa").check()
    expect(reason).to_be_visible()
    reason.fill("Déménagement à Lyon")
    screenshot("phone-decline-step-1")
    page.get_by_role("button", name="Passer à l’étape suivante").click()
    expect(page.get_by_text("Étape 2 sur 2 — Confirmation de la non-réinscription")).to_be_visible()
    expect(page.get_by_text("Déménagement à Lyon")).to_be_visible()
    expect(page.locator(".decline-confirmation dd").first).to_have_text("Léa Martin")
    expect(page.get_by_role("checkbox")).to_have_count(0)
    assert "sur 7" not in page.content()
    screenshot("phone-decline-confirmation")
    check_page(page, documents)
    page.get_by_role("button", name="Confirmer la non-réinscription").click()
    expect(page.get_by_text("pas de réinscription pour Léa")).to_be_visible()
    reenrolment = Reenrolment.objects.get(student=student())
    assert (reenrolment.status, reenrolment.decline_reason) == ("declined", "Déménagement à Lyon")
    email = live_app.sink.last_email_to("claire.martin@example.org")
    assert "Déménagement à Lyon" in email.text and "Déménagement à Lyon" in email.html


def test_the_recap_links_each_section_to_its_step(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    complete_steps_before("recapitulatif")
    driver().post("reglement", {"payment_mode": "monthly", "bank_changed": "no"})
    documents = capture_documents(page)
    log_in(page, live_app.url)
    page.goto(step_url(live_app.url, "recapitulatif"))
    for name in SECTIONS:
        expect(page.get_by_role("link", name=name)).to_be_visible()
    expect(page.get_by_role("cell", name="1er novembre 2025")).to_be_visible()
    screenshot("phone-recap")
    check_page(page, documents)

    page.get_by_role("link", name="Modifier les autorisations").click()
    expect(page.get_by_text("Étape 4 sur 7")).to_be_visible()
    page.locator("input[name='autorisations-image_rights'][value='no']").check()
    screenshot("phone-step-from-recap")
    check_page(page, documents)
    page.get_by_role("button", name="Enregistrer et revenir au récapitulatif").click()
    expect(page.get_by_text("Étape 7 sur 7")).to_be_visible()
    image_rights = page.locator("dt", has_text="Droit à l’image").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(image_rights).to_have_text("non")


def test_modifying_after_validation_says_what_happens_first(live_app, demo, page, screenshot):  # noqa: F811
    validate_reenrolment()
    page.set_viewport_size(PHONE)
    documents = capture_documents(page)
    log_in(page, live_app.url)
    page.get_by_role("link", name="Modifier — Léa Martin").click()
    notice = page.get_by_role("note").filter(has_text="sera remplacée par la nouvelle version")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text(
        "tant que vous ne validez pas, la version actuelle reste celle que le conservatoire voit."
    )
    screenshot("phone-modify-after-validation")
    check_page(page, documents)
