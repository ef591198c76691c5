"""Text typed by a family (or imported by staff) with ``<script>``, ``"><img onerror=…>``
and ``javascript:`` stays text: in the family pages, the admin, the emails and the PDFs.

The pages are parsed as a browser would: no script, event handler or ``javascript:`` URL
may come from the data, and the hostile text must be shown, as text. The recap PDF's
free text is also checked in tests/staff/test_recap_pdf.py.
"""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse

from accounts.models import Student, User
from reinscription.models import Reenrolment
from tests.reinscription.conftest import WizardDriver, step_url, student_named
from tests.security.conftest import (
    HOSTILE,
    IMG,
    JS,
    SCRIPT,
    assert_no_injection,
    pdf_actions,
    pdf_text,
)

pytestmark = pytest.mark.django_db

DETAILS = {
    "address": f"12 rue {SCRIPT}",
    "city": IMG,
    "school_name": JS,
    "emergency_contact_name": SCRIPT,
    "emergency_contact_relation": IMG,
}
PAYMENT = {
    "payment_mode": "monthly",
    "bank_changed": "yes",
    "iban": "FR14 2004 1010 0505 0001 3M02 606",
    "bic": "PSSTFRPPLYO",
    "account_holder": f"Karim {IMG}",
}
COMMENTS = " ".join(HOSTILE)


@pytest.fixture
def hostile_family(demo, family_client, django_capture_on_commit_callbacks):
    """The Petit family, named by a hostile import, re-enrols Nathan with hostile answers."""
    nathan = student_named("Nathan")
    family = nathan.family
    family.name = f"Petit {SCRIPT}"
    family.save(update_fields=["name"])
    Student.objects.filter(pk=nathan.pk).update(first_name=f"Nathan {IMG}")
    nathan.refresh_from_db()
    client = family_client("petit-karim")
    driver = WizardDriver(client, nathan)
    driver.details = lambda student=None: {**WizardDriver.details(driver, nathan), **DETAILS}
    driver.complete(
        validate=False,
        payment=PAYMENT,
        courses={"comments": COMMENTS, "day_fm1c3": "wednesday", "ensemble": "orchestre"},
    )
    steps = {
        step: client.get(step_url(nathan, step))
        for step in ("coordonnees", "reglement", "cours", "recapitulatif")
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = driver.post(
            "recapitulatif", {"accept_rules": "on", "shown_total": driver.recap_total()}
        )
    assert response.status_code == 302
    reenrolment = Reenrolment.objects.get(student=nathan)
    assert reenrolment.comments == COMMENTS
    return client, nathan, reenrolment, steps


def shows_as_text(html: bytes, where: str, *expected: str) -> None:
    report = assert_no_injection(html, where)
    for text in expected:
        assert " ".join(text.split()) in report.text, f"{where}: {text!r} not shown as text"


def test_family_pages_show_it_as_text(hostile_family):
    client, nathan, _reenrolment, steps = hostile_family
    shows_as_text(steps["recapitulatif"].content, "wizard recap", SCRIPT, IMG, JS)
    for step, page in steps.items():  # forms keep the values, escaped in their attributes
        assert page.status_code == 200
        assert_no_injection(page.content, f"wizard step {step}")
        assert SCRIPT not in page.content.decode()
    detail = client.get(reverse("reinscription:reenrolment_detail", args=[nathan.pk]))
    shows_as_text(detail.content, "recap page", f"12 rue {SCRIPT}", IMG, JS, nathan.first_name)
    family_space = reverse("reinscription:family_space")
    shows_as_text(client.get(family_space).content, "family space", nathan.first_name)
    for url in (reverse("documents:list"), reverse("accounts:account")):
        assert_no_injection(client.get(url).content, url)


def test_the_confirmation_email_shows_it_as_text(hostile_family):
    [email] = [m for m in mail.outbox if "karim.petit@example.org" in m.to]
    html = next(body for body, kind in email.alternatives if kind == "text/html")
    shows_as_text(html.encode(), "confirmation email", SCRIPT, IMG, JS)
    assert SCRIPT in email.body  # the text part is plain text: shown as typed


def test_the_admin_shows_it_as_text(hostile_family, client):
    _family_client, nathan, reenrolment, _recap = hostile_family
    client.force_login(User.objects.get(username="secretariat"))
    family = nathan.family
    pages = {
        "reenrolment change": (
            reverse("admin:reinscription_reenrolment_change", args=[reenrolment.pk]),
            [COMMENTS, nathan.first_name],
        ),
        "reenrolment list": (reverse("admin:reinscription_reenrolment_changelist"), []),
        "family list": (reverse("admin:accounts_family_changelist"), [family.name, IMG]),
        "family change": (reverse("admin:accounts_family_change", args=[family.pk]), []),
        "family history": (reverse("admin:accounts_family_history", args=[family.pk]), []),
        "student list": (reverse("admin:accounts_student_changelist"), [nathan.first_name]),
        "student change": (reverse("admin:accounts_student_change", args=[nathan.pk]), []),
        "responsible list": (reverse("admin:accounts_responsible_changelist"), []),
        "follow-up list": (reverse("admin:reinscription_campaignstudent_changelist"), []),
        "dashboard": (reverse("admin:reinscription_dashboard"), []),
    }
    for where, (url, expected) in pages.items():
        response = client.get(url, follow=True)
        assert response.status_code == 200, where
        shows_as_text(response.content, where, *expected)
        # Form fields keep the value, escaped in their value attribute.
        assert SCRIPT not in response.content.decode(), where


@pytest.mark.slow
def test_the_pdfs_print_it_as_text(hostile_family):
    client, nathan, _reenrolment, _recap = hostile_family
    recap = client.get(reverse("reinscription:recap_pdf", args=[nathan.pk]))
    assert recap["Content-Type"] == "application/pdf"
    text = pdf_text(recap.content)
    for expected in (SCRIPT, IMG, JS, f"12 rue {SCRIPT}"):
        assert expected in text, expected
    # No JavaScript, no action of the family's text: the only links are the portal's own
    # (the "Reste à faire" block points to the family space).
    portal = settings.PORTAL_URL.rstrip("/") + "/"
    assert [a for a in pdf_actions(recap.content) if not a.startswith(f"/URI {portal}")] == []

    mandate = client.get(reverse("billing:mandate_pdf"))
    assert mandate["Content-Type"] == "application/pdf"
    text = pdf_text(mandate.content)
    assert f"12 rue {SCRIPT}" in text
    assert f"Karim {IMG}" in text
    assert pdf_actions(mandate.content) == []
