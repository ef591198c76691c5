"""What changes each year is data: move the demo campaign to 2026-2027 and every page,
email and PDF follows (single payment from 25 October 2026, debits from November 2026,
QF 2026, bank change since September 2025), with no year of the 2025-2026 guide left."""

import datetime
import html
import re

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse

from reinscription.models import Reenrolment
from reinscription.recap import TEMPLATE, recap_context
from tests.reinscription.conftest import WizardDriver, step_url, student_named

pytestmark = pytest.mark.django_db


def move_to(campaign, start: int, **calendar):
    """The demo campaign becomes the one of ``start``-``start + 1`` (its previous year the
    year before); the calendar fields are emptied (their defaults) unless given."""
    for year, first in ((campaign.school_year, start), (campaign.previous_year, start - 1)):
        year.label = f"{first}-{first + 1}"
        year.starts_on = datetime.date(first, 9, 1)
        year.ends_on = datetime.date(first + 1, 8, 31)
        for name in ("single_payment_on", "first_debit_on", "qf_year", "bank_change_since"):
            setattr(year, name, None)
        if year == campaign.school_year:
            for name, value in calendar.items():
                setattr(year, name, value)
    campaign.school_year.save()
    campaign.previous_year.save()
    return campaign


def text(response_or_html) -> str:
    content = getattr(response_or_html, "content", None)
    content = content.decode() if content is not None else response_or_html
    content = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return re.sub(r"\s+", " ", content).replace("’", "'")


@pytest.fixture
def nathan(demo, client, login):
    move_to(demo, 2026)
    login("petit-karim")
    return student_named("Nathan")


def step_3(client, student):
    driver = WizardDriver(client, student)
    driver.post("choix", {"decision": "reenrol"})
    driver.post("coordonnees", driver.details())
    response = client.get(step_url(student, "reglement"))
    assert response.status_code == 200
    return text(response)


def answer_up_to_the_recap(client, student, payment):
    driver = WizardDriver(client, student)
    driver.complete(
        payment=payment,
        courses={"day_fm1c3": "wednesday", "ensemble": "chorale"},
        validate=False,
    )
    return driver


def test_step_3_states_the_years_values(nathan, client):
    content = step_3(client, nathan)
    assert "à partir du 25 octobre 2026" in content
    assert (
        "Prélèvement automatique en 9 fois, en début de mois à partir de novembre 2026" in content
    )
    assert "changement de banque depuis septembre 2025" in content
    assert "Avez-vous changé de banque depuis septembre 2025 ?" in content
    assert "le quotient familial 2026 détermine" in content
    assert "mon quotient familial 2026 (attestation CAF)" in content
    assert "2024" not in content
    assert "QF 2025" not in content and "quotient familial 2025" not in content


def test_the_count_and_the_first_debit_are_the_years(demo, client, login):
    move_to(
        demo,
        2026,
        first_debit_on=datetime.date(2026, 10, 1),
        instalments=8,
        single_payment_on=datetime.date(2026, 11, 5),
        qf_year=2025,
    )
    login("petit-karim")
    nathan = student_named("Nathan")
    content = step_3(client, nathan)
    assert "à partir du 5 novembre 2026" in content
    assert "Prélèvement automatique en 8 fois, en début de mois à partir d'octobre 2026" in (
        content
    )
    assert "sur la base des 8 mensualités" in content
    answer_up_to_the_recap(client, nathan, {"payment_mode": "monthly", "bank_changed": "no"})
    recap = client.get(step_url(nathan, "recapitulatif"))
    schedule = recap.context["summary"]["estimate"]["schedule"]
    assert [item["due_on"] for item in schedule] == [
        "2026-10-01",
        "2026-11-01",
        "2026-12-01",
        "2027-01-01",
        "2027-02-01",
        "2027-03-01",
        "2027-04-01",
        "2027-05-01",
    ]
    assert "Prélèvement automatique en 8 fois" in text(recap)


def test_the_recap_the_email_and_the_pdf_follow_the_year(
    nathan, client, django_capture_on_commit_callbacks
):
    driver = answer_up_to_the_recap(
        client, nathan, {"payment_mode": "monthly", "bank_changed": "no"}
    )
    recap = text(client.get(step_url(nathan, "recapitulatif")))
    assert "Changement de banque depuis septembre 2025" in recap
    assert "Prélèvement automatique en 9 fois" in recap
    assert "novembre 2026" in recap and "juillet 2027" in recap
    assert "2024" not in recap

    with django_capture_on_commit_callbacks(execute=True):
        total = driver.recap_total()
        response = driver.post(
            "recapitulatif", {"accept_rules": "on", "shown_total": "" if total is None else total}
        )
    assert response.status_code == 302
    (email,) = mail.outbox
    body = email.body
    assert "Prélèvement automatique en 9 fois" in body
    assert "novembre 2026" in body
    assert "2024" not in body
    email_html = text(email.alternatives[0][0])
    assert "Prélèvement automatique en 9 fois" in email_html and "2024" not in email_html

    detail = text(client.get(reverse("reinscription:reenrolment_detail", args=[nathan.pk])))
    assert "Changement de banque depuis septembre 2025" in detail

    reenrolment = Reenrolment.objects.get(student=nathan)
    context = recap_context(reenrolment)
    assert context["bank_change_since"] == datetime.date(2025, 9, 1)
    assert context["payment"]["label"] == "Prélèvement automatique en 9 fois"
    pdf_html = text(render_to_string(TEMPLATE, context))
    assert "Changement de banque depuis septembre 2025" in pdf_html
    assert "2024" not in pdf_html


def test_the_simulator_follows_the_year(demo, client):
    move_to(demo, 2026, instalments=8)
    content = text(client.get(reverse("billing:simulator")))
    assert "le quotient familial 2026 détermine" in content
    assert "sur la base des 8 mensualités" in content
    assert "Prélèvement automatique en 8 fois" in content
    assert "Résident de Limonest" in content
    assert "2025" not in content.replace("2026-2027", "")


def test_the_previous_years_label_is_given_to_the_steps(nathan, client):
    response = client.get(step_url(nathan, "cours"))
    if response.status_code == 302:  # earlier steps first
        response = client.get(step_url(nathan, "choix"))
    assert response.context["previous_year_label"] == "2025-2026"
    assert response.context["school_year"].label == "2026-2027"
