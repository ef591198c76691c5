"""The public "Simulateur de tarif" page."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from billing import services
from billing.rules.brackets import EstimateInput
from billing.rules.schedule import MONTHLY

pytestmark = pytest.mark.django_db
URL = "/tarifs/simulateur/"


def text(response) -> str:
    """The page's visible text, whitespace collapsed."""
    body = response.content.decode()
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.sub(r"[ \t\r\n]+", " ", body).strip()  # keeps the no-break spaces


def post(client, **data):
    values = {"qf": "", "formula": "cursus-musique", "starts_on": "", "payment_mode": "monthly"}
    values.update(data)
    return client.post(URL, values)


def test_the_simulator_is_public_and_in_french(client, demo_grid):
    assert reverse("billing:simulator") == URL
    response = client.get(URL)
    assert response.status_code == 200
    page = text(response)
    assert "Simulateur de tarif" in page
    for label in [
        "Quotient familial",
        "Résident de Limonest",
        "Formule",
        "Date de début",
        "Mode de règlement",
        "Règlement en 1 fois",
        "Prélèvement automatique en 9 fois",
        "Calculer",
        "Le coût définitif sera déterminé par nos services.",
    ]:
        assert label in page, label
    assert "Cursus musique" in page and "Éveil artistique" in page


def test_a_resident_with_a_qf_gets_the_total_and_nine_debits(client, demo_grid):
    response = post(client, qf="850", resident="on")
    assert response.status_code == 200
    page = text(response)
    assert "Ceci est une estimation. Le coût définitif sera déterminé par nos services." in page
    assert "Ligne de la grille : QF de 751 à 1100." in page
    assert "480,00\u00a0€" in page
    assert "1er novembre 2025" in page and "1er juillet 2026" in page
    assert page.count("53,33\u00a0€") == 8  # and 53,36 € on the first debit
    assert "53,36\u00a0€" in page


def test_a_late_start_is_prorated(client, demo_grid):
    response = post(client, qf="850", resident="on", starts_on="2026-01-12")
    page = text(response)
    assert "7/9" in page
    assert "373,33\u00a0€" in page  # 480 × 7/9
    assert "1er décembre 2025" not in page and "1er janvier 2026" in page


def test_one_payment_is_invoiced_from_25_october(client, demo_grid):
    page = text(post(client, qf="300", resident="on", payment_mode="once", formula="eveil"))
    assert "120,00\u00a0€" in page
    assert "25 octobre 2025" in page
    assert "payfip" in page.lower()


def test_a_non_resident_pays_the_non_resident_tariff(client, demo_grid):
    page = text(post(client, qf="300"))
    assert "Tarif : hors commune" in page
    assert "900,00\u00a0€" in page


def test_a_resident_without_qf_pays_the_highest_line(client, demo_grid):
    page = text(post(client, resident="on"))
    assert "quotient familial non justifié" in page
    assert "660,00\u00a0€" in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"qf": "abc"}, "Saisissez le quotient familial en nombre entier, par exemple 850."),
        ({"qf": "-5"}, "Le quotient familial ne peut pas être négatif."),
        ({"formula": ""}, "Choisissez une formule."),
        ({"formula": "piano-magique"}, "Choisissez une formule."),
        ({"starts_on": "31/13/2025"}, "Saisissez une date, par exemple 05/01/2026."),
        (
            {"starts_on": "2026-08-15"},
            "La date de début doit être comprise entre le 1er septembre 2025 "
            "et le 31 juillet 2026.",
        ),
        ({"payment_mode": ""}, "Choisissez un mode de règlement."),
    ],
)
def test_bad_input_shows_a_french_message_and_keeps_the_rest(client, demo_grid, data, message):
    response = post(client, **{"qf": "850", "resident": "on", **data})
    assert response.status_code == 200
    page = text(response)
    assert message in page
    assert "Coût estimé" not in page
    form = response.context["form"]
    if "qf" not in data:
        assert form["qf"].value() == "850"
    assert form["resident"].value() is True


def test_without_a_grid_the_simulator_says_so(client, db):
    response = client.get(URL)
    assert response.status_code == 200
    assert "pas encore disponible" in text(response)
    assert post(client).status_code == 200


def test_the_simulator_and_the_estimate_include_show_the_same_figures(
    client, demo_grid, school_year
):
    """One case, three ways: the simulator page, the service, the wizard's include."""
    response = post(client, qf="600", resident="on", starts_on="2026-02-02", formula="danse")
    simulated = response.context["estimate"]
    estimate = services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=600,
        qf_proven=True,
        enrolments=[
            EstimateInput("x", "Danse", "danse", starts_on=datetime.date(2026, 2, 2)),
        ],
        payment_mode=MONTHLY,
    )
    assert simulated.total == estimate.total == Decimal("126.67")  # 190 × 6/9
    assert simulated.schedule == estimate.schedule
    include = render_to_string("billing/_estimate.html", {"estimate": estimate})
    page = text(response)
    for instalment in estimate.schedule:
        amount = f"{instalment.amount:.2f}".replace(".", ",") + "\u00a0€"
        assert amount in page and amount in include
    assert "126,67\u00a0€" in include
