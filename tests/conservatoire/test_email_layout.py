"""Every family email is laid out for a phone by one base template, and has a text twin.

Inline styles only (mail clients drop <style> and stylesheets), one column at most
600 px wide, bordered tables, the main link as a button, and the greeting by name
("Bonjour Claire Martin,").
"""

import datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.utils import timezone

from accounts.emails import family_recipients, greeting, links
from conservatoire.email_building import render_email
from tests.factories import FamilyFactory, ResponsibleFactory

ROOT = Path(__file__).resolve().parents[2]
BASE = "emails/base.html"

pytestmark = pytest.mark.django_db


class EmailInspector(HTMLParser):
    """What the layout checks need: tags, their attributes, the table cells."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.stack: list[tuple[str, dict]] = []
        self.buttons: list[dict] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag == "a" and "inline-block" in attributes.get("style", ""):
            cell = next((a for t, a in reversed(self.stack) if t == "td"), {})
            self.buttons.append({"a": attributes, "td": cell})
        if tag not in {"br", "meta", "img", "hr", "input", "link"}:
            self.stack.append((tag, attributes))

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break


def inspect(html: str) -> EmailInspector:
    inspector = EmailInspector()
    inspector.feed(html)
    inspector.close()
    return inspector


@pytest.fixture
def claire():
    family = FamilyFactory(name="Martin")
    return ResponsibleFactory(
        family=family, first_name="Claire", last_name="Martin", email="claire@example.org"
    )


def snapshot(decision="reenrol") -> dict:
    return {
        "student": "Emma Martin",
        "decision": decision,
        "decline_reason": "Déménagement." if decision != "reenrol" else "",
        "payment": {"mode": "monthly"},
        "authorisations": {"image_rights": True, "outing_authorisation": False},
        "preferences_display": [{"label": "Formation musicale : jour souhaité", "value": "Samedi"}],
        "comments": "Souhaite l’orchestre.",
        "estimate": {
            "total": Decimal("480.00"),
            "schedule": [
                {
                    "due_on": "2025-11-01",
                    "due_on_display": "1er novembre 2025",
                    "amount": Decimal("53.36"),
                },
                {
                    "due_on": "2025-12-01",
                    "due_on_display": "1er décembre 2025",
                    "amount": Decimal("53.33"),
                },
            ],
        },
        "rules_version": "2025-1",
    }


def contexts(claire) -> dict[str, dict]:
    """A realistic context for each family email, as the code that queues it builds it."""
    now = timezone.now()
    recipients, family_greeting = family_recipients(claire.family)
    return {
        "accounts/emails/access": {"user": claire, **greeting(claire), **links()},
        "accounts/emails/temporary_password": {
            "user": claire,
            "password": "AbCdEfGhJkMnPq",
            "expires_at": now,
            **greeting(claire),
            **links(),
        },
        "accounts/emails/password_changed": {
            "user": claire,
            "changed_at": now,
            **greeting(claire),
            **links(),
        },
        "accounts/emails/email_changed": {
            "user": claire,
            "changed_at": now,
            **greeting(claire),
            **links(),
        },
        "reinscription/emails/confirmation": {
            "reenrolment": SimpleNamespace(status="reenrolled"),
            "snapshot": snapshot(),
            "space_url": "http://127.0.0.1:8000/espace/",
            **family_greeting,
        },
        "reinscription/emails/reminder": {
            "campaign": SimpleNamespace(school_year=SimpleNamespace(label="2025-2026")),
            "students": [{"name": "Emma Martin", "status": "todo"}],
            "closes_at": now,
            "login_url": "http://127.0.0.1:8000/compte/connexion/",
            **family_greeting,
        },
        "documents/emails/refused": {
            "document_name": "Attestation QF",
            "student_name": "",
            "school_year": "2025-2026",
            "reason": "Illisible.",
            "documents_url": "http://127.0.0.1:8000/documents/",
            **family_greeting,
        },
        "billing/emails/prenotification": {
            "family": claire.family,
            "school_year": SimpleNamespace(label="2025-2026"),
            "total": Decimal("480.00"),
            "instalments": [
                SimpleNamespace(due_on=datetime.date(2025, 11, 1), amount=Decimal("53.36"))
            ],
            "mandate": SimpleNamespace(rum="LIM-1", masked_iban="FR76 **** 0189"),
            "creditor": {"ics": "FR72ZZZ123456", "name": "Commune de Limonest"},
            "reason": "",
            "already_debited": None,
            **family_greeting,
        },
    }


PREFIXES = [
    "accounts/emails/access",
    "accounts/emails/temporary_password",
    "accounts/emails/password_changed",
    "accounts/emails/email_changed",
    "reinscription/emails/confirmation",
    "reinscription/emails/reminder",
    "documents/emails/refused",
    "billing/emails/prenotification",
]


def email_templates() -> list[Path]:
    """Every HTML email of the apps (partials, named with "_", aside)."""
    return sorted(
        path
        for path in ROOT.glob("*/templates/*/emails/*.html")
        if not path.name.startswith("_") and ".venv" not in path.parts
    )


def test_every_email_is_checked_here():
    names = {"/".join(p.with_suffix("").parts[-3:]) for p in email_templates()}
    assert names == set(PREFIXES)


@pytest.mark.parametrize("path", email_templates(), ids=lambda p: p.name)
def test_every_html_email_extends_the_one_base(path):
    assert path.read_text().startswith('{% extends "emails/base.html" %}')
    assert path.with_suffix(".txt").exists(), "each email has its plain-text twin"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_html_is_laid_out_for_phones_with_inline_styles(prefix, claire):
    subject, text, html = render_email(prefix, contexts(claire)[prefix])
    page = inspect(html)
    tags = [tag for tag, _attrs in page.tags]
    assert "style" not in tags, "no <style>: mail clients drop it"
    assert not [a for t, a in page.tags if t == "link"], "no stylesheet"
    assert not [a for _t, a in page.tags if "class" in a], "no class: nothing to style it"
    assert any("max-width:600px" in a.get("style", "") for _t, a in page.tags)
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in html
    # Data tables (with header cells) have a border on every cell.
    for tag, attrs in page.tags:
        if tag in {"th", "td"} and attrs.get("scope"):
            assert "border:1px solid" in attrs.get("style", ""), (prefix, attrs)
    # Text is styled where it is, not by a stylesheet.
    for tag, attrs in page.tags:
        if tag in {"p", "h1", "h2", "a", "table"}:
            assert attrs.get("style"), (prefix, tag, attrs)


# The two notices (email changed, debit schedule) inform: nothing to click.
WITH_A_BUTTON = [
    p
    for p in PREFIXES
    if p not in {"accounts/emails/email_changed", "billing/emails/prenotification"}
]


@pytest.mark.parametrize("prefix", WITH_A_BUTTON)
def test_the_main_link_is_a_button(prefix, claire):
    _subject, _text, html = render_email(prefix, contexts(claire)[prefix])
    [button] = inspect(html).buttons
    assert button["a"]["href"].startswith("http")
    assert "padding:" in button["a"]["style"] and "color:#ffffff" in button["a"]["style"]
    assert "background-color:" in button["td"]["style"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_greeting_names_the_parent_in_html_and_text(prefix, claire):
    _subject, text, html = render_email(prefix, contexts(claire)[prefix])
    assert "Bonjour Claire Martin," in html
    assert text.startswith("Bonjour Claire Martin,")


@pytest.mark.parametrize("prefix", PREFIXES)
def test_the_text_twin_is_plain_and_signed(prefix, claire):
    _subject, text, _html = render_email(prefix, contexts(claire)[prefix])
    assert "<" not in text.replace("<strong>", "") and "&#" not in text
    assert "conservatoire@limonest.fr" in text


def test_a_family_email_greets_every_responsible(claire):
    ResponsibleFactory(
        family=claire.family, first_name="Julien", last_name="Martin", email="julien@example.org"
    )
    ResponsibleFactory(family=claire.family, first_name="Sans", last_name="Adresse", email="")
    recipients, family_greeting = family_recipients(claire.family)
    assert recipients == ["claire@example.org", "julien@example.org"]
    _subject, text, html = render_email(
        "documents/emails/refused",
        {**contexts(claire)["documents/emails/refused"], **family_greeting},
    )
    assert text.startswith("Bonjour Claire Martin et Julien Martin,")
    assert "Bonjour Claire Martin et Julien Martin," in html


def test_the_confirmation_says_the_state_and_elides_de(claire):
    subject, text, html = render_email(
        "reinscription/emails/confirmation", contexts(claire)["reinscription/emails/confirmation"]
    )
    assert subject == "Réinscription d’Emma Martin : confirmation"
    assert "État : Réinscription enregistrée, en attente de validation" in text
    assert "Réinscription enregistrée, en attente de validation" in html
    assert "Nous avons bien reçu la réinscription d’Emma Martin." in text
    assert "de Emma" not in text + html
