"""What a family feels, in Chromium at 360 and 1280 px: a compact header whose words never
wrap, a "previous step" button that looks as active as it is, headings in order and
valid HTML on every family page, and the confirmation email laid out for a phone.
Screenshots go to artifacts/screenshots/ (test_family_feel_*)."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from accounts.models import Student
from tests.browser.axe import AXE, axe_violations, describe, page  # noqa: F401
from tests.browser.conftest import DESKTOP, PHONE
from tests.browser.family_pages import (
    FAMILY_PAGES,
    demo,  # noqa: F401
    log_in,
    open_family_page,
    step_url,
    validate_reenrolment,
)
from tests.browser.html_check import HEADINGS_JS, capture_documents, heading_errors, html_errors

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": DESKTOP}
HEADER_MAX_HEIGHT = 64
# Each text of the header, and how many lines it takes (a wrapped text has several).
HEADER_LINES_JS = """() => [...document.querySelectorAll(
        "header .navbar-brand, header .nav-link, header .navbar-toggler")]
    .filter((e) => e.getClientRects().length)
    .map((e) => {
        const range = document.createRange();
        range.selectNodeContents(e);
        const tops = new Set([...range.getClientRects()].map((r) => Math.round(r.top)));
        return [e.innerText.trim(), tops.size, e.scrollWidth > e.clientWidth + 1];
    })"""


def header_problems(page) -> list[str]:  # noqa: F811
    height = page.evaluate("document.querySelector('header').getBoundingClientRect().height")
    problems = [] if height <= HEADER_MAX_HEIGHT else [f"header {height:.0f}px tall"]
    for text, lines, clipped in page.evaluate(HEADER_LINES_JS):
        if lines > 1:
            problems.append(f"{text!r} wraps on {lines} lines")
        if clipped and text != "Conservatoire municipal de Limonest":
            problems.append(f"{text!r} is cut")
    return problems


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("who", ["visitor", "family"])
def test_the_header_is_one_compact_line(who, size, live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(SIZES[size])
    if who == "family":
        log_in(page, live_app.url)
    else:
        page.goto(f"{live_app.url}/")
    screenshot(f"{who}-{size}")
    assert header_problems(page) == []
    header = page.get_by_role("banner")
    if who == "visitor":
        expect(header.get_by_role("link", name="Se connecter")).to_be_visible()
    elif size == "phone":
        # The family's links fold behind "Menu", and open on one tap.
        menu = header.get_by_role("button", name="Menu")
        expect(menu).to_have_attribute("aria-expanded", "false")
        menu.click()
        expect(menu).to_have_attribute("aria-expanded", "true")
        page.wait_for_selector("#main-menu.show")  # the opening transition is over
        for name in ("Réinscriptions", "Mes documents", "Mon compte"):
            expect(header.get_by_role("link", name=name)).to_be_visible()
        expect(header.get_by_role("button", name="Se déconnecter")).to_be_visible()
        screenshot(f"{who}-{size}-menu-open")
    else:
        for name in ("Réinscriptions", "Mes documents", "Mon compte"):
            expect(header.get_by_role("link", name=name)).to_be_visible()


def contrast(page, selector: str) -> float:  # noqa: F811
    """The contrast ratio of an element's text against its background (WCAG formula)."""
    return page.evaluate(
        """(selector) => {
            const style = getComputedStyle(document.querySelector(selector));
            const rgb = (c) => c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
            const lum = ([r, g, b]) => {
                const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92
                                                 : ((v + 0.055) / 1.055) ** 2.4; };
                return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
            };
            const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
            return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }""",
        selector,
    )


@pytest.mark.parametrize("size", SIZES)
def test_the_previous_step_button_looks_active(size, live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(SIZES[size])
    open_family_page("step-reglement", page, live_app.url)
    previous = page.get_by_role("button", name="Étape précédente")
    expect(previous).to_be_visible()
    expect(previous).to_be_enabled()
    selector = "button[name=wizard_goto_step]"
    style = page.evaluate(
        """(s) => { const c = getComputedStyle(document.querySelector(s));
                   return [c.opacity, c.borderTopWidth, c.borderTopColor, c.color]; }""",
        selector,
    )
    opacity, border_width, border_color, color = style
    assert opacity == "1"
    assert float(border_width.removesuffix("px")) >= 2
    assert border_color == color  # a crisp outline in the colour of its words
    assert color != "rgb(108, 117, 125)"  # not Bootstrap's grey, which reads as disabled
    assert contrast(page, selector) >= 7  # WCAG AAA for its words
    previous.scroll_into_view_if_needed()
    screenshot(f"buttons-{size}")


@pytest.mark.parametrize("name", FAMILY_PAGES)
def test_headings_are_in_order_and_the_html_is_valid(name, live_app, demo, page):  # noqa: F811
    documents = capture_documents(page)
    open_family_page(name, page, live_app.url)
    assert heading_errors(page.evaluate(HEADINGS_JS)) == [], f"{name} ({page.url})"
    assert documents, f"{name}: no document loaded"
    assert html_errors(documents[-1].text()) == [], f"{name} ({page.url})"


@pytest.mark.parametrize("size", SIZES)
def test_the_coordinates_step_gives_the_phone_keypad_and_autofill(
    size,
    live_app,
    demo,  # noqa: F811
    page,  # noqa: F811
    screenshot,
):
    page.set_viewport_size(SIZES[size])
    open_family_page("step-coordonnees", page, live_app.url)
    postal_code = page.locator("#id_coordonnees-postal_code")
    expect(postal_code).to_have_attribute("inputmode", "numeric")
    expect(postal_code).to_have_attribute("autocomplete", "postal-code")
    expect(page.locator("#id_coordonnees-address")).to_have_attribute(
        "autocomplete", "address-line1"
    )
    expect(page.locator("#id_coordonnees-city")).to_have_attribute("autocomplete", "address-level2")
    phones = page.locator("input[name$='mobile'], input[name$='emergency_contact_phone']")
    assert phones.count() >= 2
    for index in range(phones.count()):
        expect(phones.nth(index)).to_have_attribute("type", "tel")
        assert "tel" in phones.nth(index).get_attribute("autocomplete")
    screenshot(f"coordinates-{size}")
    if AXE.exists():
        violations = axe_violations(page)
        assert not violations, describe(violations)


@pytest.mark.parametrize("size", SIZES)
def test_the_confirmation_email_reads_well(size, live_app, demo, page, screenshot):  # noqa: F811
    validate_reenrolment()  # Léa, by Claire Martin
    email = live_app.sink.last_email_to("claire.martin@example.org")
    assert email.subject == "Réinscription de Léa Martin : confirmation"
    assert email.text.startswith("Bonjour Claire Martin et Julien Martin,")
    page.set_viewport_size(SIZES[size])
    page.set_content(email.html)
    screenshot(f"confirmation-email-{size}")
    assert page.evaluate("document.documentElement.scrollWidth") <= SIZES[size]["width"]
    card = page.evaluate(
        "() => document.querySelector('body > table table').getBoundingClientRect().width"
    )
    assert card <= 600
    expect(page.get_by_text("Bonjour Claire Martin et Julien Martin,")).to_be_visible()
    expect(page.get_by_text("Réinscription enregistrée, en attente de validation")).to_be_visible()
    button = page.get_by_role("link", name="Ouvrir mon espace usager")
    expect(button).to_be_visible()
    box = button.bounding_box()
    assert box["height"] >= 40  # a tap target, not a line of text
    assert button.get_attribute("href").startswith(live_app.url)
    font = page.evaluate("getComputedStyle(document.querySelector('p')).fontSize")
    assert float(font.removesuffix("px")) >= 15
    assert html_errors(email.html) == []


def test_lost_password_keeps_what_was_typed_and_reveals_nothing(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    page.goto(f"{live_app.url}/compte/mot-de-passe-perdu/")
    page.get_by_label("Identifiant").fill("inconnu-zzzzz")
    page.get_by_label("E-mail").fill("personne@example.org")
    page.get_by_role("button", name="Valider").click()
    message = (
        "Si l’identifiant et l’adresse correspondent à un accès, "
        "un mot de passe vient d’être envoyé par e-mail."
    )
    expect(page.get_by_text(message)).to_be_visible()
    expect(page.get_by_label("Identifiant")).to_have_value("inconnu-zzzzz")
    expect(page.locator("#id_password")).to_be_focused()
    screenshot("lost-password-answer-phone")
    page.get_by_role("link", name="Mot de passe perdu").click()
    expect(page.get_by_label("Identifiant")).to_have_value("inconnu-zzzzz")
    expect(page.get_by_label("E-mail")).to_have_value("personne@example.org")
    screenshot("lost-password-again-phone")


def test_a_wizard_step_names_the_child_with_d_before_a_vowel(live_app, demo, page, screenshot):  # noqa: F811
    page.set_viewport_size(PHONE)
    log_in(page, live_app.url)
    emma = Student.objects.get(first_name="Emma", family__legacy_id="DEMO-martin")
    page.goto(live_app.url + reverse("reinscription:wizard", args=[emma.pk]))
    expect(
        page.get_by_role("heading", name="Réinscription d’Emma Martin pour 2025-2026")
    ).to_be_visible()
    assert "de Emma" not in page.content()
    screenshot("emma-step-1-phone")
    page.goto(step_url(live_app.url, "choix"))  # Léa: no elision
    expect(
        page.get_by_role("heading", name="Réinscription de Léa Martin pour 2025-2026")
    ).to_be_visible()
