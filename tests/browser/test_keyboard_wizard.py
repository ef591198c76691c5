"""RGAA: the whole re-enrolment with the keyboard alone (Tab, Shift+Tab, Space, Enter).

No click and no ``fill`` by locator: the test only presses keys, and types text once a
field has the focus. It reads the page (which element has the focus, is it visible)
to know when to stop tabbing, as a person looks at the screen.
"""

import pytest
from playwright.sync_api import expect

from accounts.models import Student
from reinscription.demo import demo_password
from reinscription.models import Reenrolment
from tests.browser.family_pages import demo  # noqa: F401

pytestmark = pytest.mark.browser

IDENTIFIER = "martin-claire"
MAX_TABS = 80

FOCUSED = """([selector, text]) => {
  const e = document.activeElement;
  if (!e || !e.matches(selector)) return false;
  return !text || e.textContent.replace(/\\s+/g, " ").trim() === text;
}"""
FOCUS_SHOWN = """() => {
  const s = getComputedStyle(document.activeElement);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  return outline || s.boxShadow !== "none";
}"""
DESCRIBE_FOCUS = """() => {
  const e = document.activeElement;
  return e ? e.outerHTML.slice(0, 160) : "nothing";
}"""


def tab_to(page, selector: str, text: str | None = None, *, backwards: bool = False) -> None:
    """Press Tab (or Shift+Tab) until the focused element matches; its focus must show."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(MAX_TABS):
        if page.evaluate(FOCUSED, [selector, text]):
            shown = page.evaluate(FOCUS_SHOWN)
            assert shown, f"no visible focus on {page.evaluate(DESCRIBE_FOCUS)}"
            return
        page.keyboard.press(key)
    raise AssertionError(
        f"{MAX_TABS} × {key} never reached {selector} {text or ''} on {page.url}; "
        f"focus is on {page.evaluate(DESCRIBE_FOCUS)}"
    )


def tick(page, name: str, value: str) -> None:
    """Tab to a radio button or checkbox and tick it with Space."""
    tab_to(page, f'input[name="{name}"][value="{value}"]')
    page.keyboard.press("Space")
    expect(page.locator(f'input[name="{name}"][value="{value}"]')).to_be_checked()


def type_into(page, field_id: str, text: str) -> None:
    tab_to(page, f"#{field_id}")
    page.keyboard.type(text)


def next_step(page, number: int) -> None:
    tab_to(page, "main form button[type=submit]", "Passer à l’étape suivante")
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Étape {number} sur 7")).to_be_visible()


def test_the_wizard_with_the_keyboard_alone(live_app, demo, page, screenshot):  # noqa: F811
    lea = Student.objects.get(first_name="Léa", family__legacy_id="DEMO-martin")

    page.goto(f"{live_app.url}/compte/connexion/")
    type_into(page, "id_username", IDENTIFIER)
    type_into(page, "id_password", demo_password(IDENTIFIER))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Espace famille — Martin")).to_be_visible()

    tab_to(page, f'a[href="/espace/eleves/{lea.pk}/reinscription/"]', "Commencer — Léa Martin")
    screenshot("0-family-space")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Étape 1 sur 7")).to_be_visible()

    tick(page, "choix-decision", "reenrol")
    screenshot("1-choice")
    next_step(page, 2)

    # Step 2 without the emergency contact: the error summary takes the focus and its
    # links lead to the fields.
    tab_to(page, "main form button[type=submit]", "Passer à l’étape suivante")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Merci de corriger les points suivants")).to_be_visible()
    expect(page.locator("#error-summary")).to_be_focused()
    screenshot("2-details-errors")
    tab_to(page, '#error-summary a[href="#id_coordonnees-emergency_contact_name"]')
    page.keyboard.press("Enter")
    expect(page.locator("#id_coordonnees-emergency_contact_name")).to_be_focused()
    page.keyboard.type("Mamie Martin")
    type_into(page, "id_coordonnees-emergency_contact_phone", "06 11 22 33 44")
    tab_to(page, "#id_coordonnees-emergency_contact_name", backwards=True)
    expect(page.locator("#id_coordonnees-emergency_contact_name")).to_have_value("Mamie Martin")
    screenshot("2-details")
    next_step(page, 3)

    tick(page, "reglement-payment_mode", "once")
    screenshot("3-payment")
    next_step(page, 4)

    # Without arrow keys, Tab reaches only the first answer of a radio group that has
    # none ticked (Chromium, like the other browsers): "Oui" here.
    tick(page, "autorisations-image_rights", "yes")
    tick(page, "autorisations-outing_authorisation", "yes")
    screenshot("4-authorisations")
    next_step(page, 5)

    screenshot("5-documents")
    next_step(page, 6)

    tick(page, "cours-day_fm1c2", "wednesday")
    tick(page, "cours-ensemble", "orchestre")
    type_into(page, "id_cours-comments", "Léa voudrait rester avec son groupe.")
    screenshot("6-courses")
    next_step(page, 7)

    expect(page.get_by_text("Récapitulatif de la réinscription").first).to_be_visible()
    tab_to(page, "#id_recapitulatif-accept_rules")
    page.keyboard.press("Space")
    expect(page.locator("#id_recapitulatif-accept_rules")).to_be_checked()
    tab_to(page, "main form button[type=submit]", "Valider la réinscription")
    screenshot("7-recap")
    page.keyboard.press("Enter")

    expect(
        page.get_by_text("Réinscription enregistrée pour Léa, en attente de validation")
    ).to_be_visible()
    screenshot("8-validated")
    reenrolment = Reenrolment.objects.get(student=lea)
    assert reenrolment.decision == "reenrol"
    assert reenrolment.payment_mode == "once"
    assert reenrolment.image_rights is True
    assert reenrolment.outing_authorisation is True
    assert reenrolment.preferences["courses"]["fm1c2"]["weekday"] == 2  # mercredi
    assert reenrolment.preferences["ensemble"] == "orchestre"
    assert reenrolment.comments == "Léa voudrait rester avec son groupe."
    lea.refresh_from_db()
    assert lea.emergency_contact_name == "Mamie Martin"
