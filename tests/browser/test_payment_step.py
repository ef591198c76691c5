"""Step 3 in a real browser at 360 pixels: the SEPA fields appear only for the direct
debit (a script allowed by the Content-Security-Policy), the new account only when the
bank changed, and a whole IBAN fits its field; the states have no WCAG 2.1 AA violation
(where axe-core is installed)."""

import pytest
from playwright.sync_api import expect

from tests.browser.axe import AXE, axe_violations, describe
from tests.browser.conftest import PHONE
from tests.browser.family_pages import complete_steps_before, demo, log_in, step_url  # noqa: F401

pytestmark = pytest.mark.browser

IBAN = "FR76 3000 6000 0112 3456 7890 189"


def open_step_3(page, url):
    complete_steps_before("reglement")
    log_in(page, url)
    page.goto(step_url(url, "reglement"))
    expect(page.get_by_text("Étape 3 sur 7")).to_be_visible()


def fits(page, selector: str) -> bool:
    """The element is inside the screen and shows its whole value."""
    return page.evaluate(
        """([selector, width]) => {
            const e = document.querySelector(selector);
            const box = e.getBoundingClientRect();
            const ok = box.left >= 0 && box.right <= width && e.scrollWidth <= e.clientWidth;
            return ok || [box.left, box.right, e.scrollWidth, e.clientWidth].join(" ");
        }""",
        [selector, PHONE["width"]],
    )


def test_the_sepa_fields_follow_the_payment_mode_at_360_pixels(live_app, demo, page, screenshot):  # noqa: F811
    messages = []
    page.on("console", lambda message: messages.append(message.text))
    page.set_viewport_size(PHONE)
    open_step_3(page, live_app.url)
    sepa = page.locator("#sepa-fields")
    new_bank = page.locator("#new-bank-fields")
    expect(sepa).to_be_hidden()  # nothing chosen yet: nothing of the direct debit
    page.get_by_label("Règlement en 1 fois").check()
    expect(sepa).to_be_hidden()
    page.get_by_label("Prélèvement automatique en 9 fois").check()
    expect(sepa).to_be_visible()
    expect(new_bank).to_be_hidden()
    sepa.get_by_label("Oui").check()
    expect(new_bank).to_be_visible()
    page.get_by_label("IBAN").fill(IBAN)
    assert fits(page, "#id_reglement-iban") is True, fits(page, "#id_reglement-iban")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert not [m for m in messages if "Content Security Policy" in m], messages
    screenshot("direct-debit")
    # A mistyped IBAN: one message, the holder's missing: one message, BIC not asked.
    page.get_by_label("IBAN").fill(IBAN[:-1] + "8")
    page.get_by_role("button", name="Passer à l’étape suivante").click()
    expect(page.get_by_text("Merci de corriger les points suivants")).to_be_visible()
    expect(page.locator("#sepa-fields")).to_be_visible()
    expect(page.locator(".invalid-feedback, .errorlist")).to_have_count(2)
    expect(page.get_by_label("BIC")).to_have_count(0)
    assert fits(page, "#id_reglement-iban") is True, fits(page, "#id_reglement-iban")
    screenshot("direct-debit-errors")
    page.get_by_label("Règlement en 1 fois").check()
    expect(sepa).to_be_hidden()


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed")
def test_the_direct_debit_state_has_no_wcag_21_aa_violation(live_app, demo, browser):  # noqa: F811
    context = browser.new_context(viewport=PHONE, locale="fr-FR", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        open_step_3(page, live_app.url)
        page.get_by_label("Prélèvement automatique en 9 fois").check()
        page.locator("#sepa-fields").get_by_label("Oui").check()
        violations = axe_violations(page)
        assert not violations, describe(violations)
        page.get_by_role("button", name="Passer à l’étape suivante").click()
        expect(page.get_by_text("Merci de corriger les points suivants")).to_be_visible()
        violations = axe_violations(page)
        assert not violations, describe(violations)
    finally:
        context.close()
