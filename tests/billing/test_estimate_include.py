"""``billing/_estimate.html``: what a family reads, estimate first, then the final amount."""

import datetime
import html
import re
from decimal import Decimal

import pytest
from django.template.loader import render_to_string

from billing import services
from billing.rules.brackets import EstimateInput, finalize
from billing.rules.schedule import MONTHLY, ONCE
from tests.factories import StaffFactory

pytestmark = pytest.mark.django_db
D = Decimal


def render(estimate) -> str:
    content = render_to_string("billing/_estimate.html", {"estimate": estimate})
    content = html.unescape(re.sub(r"<[^>]+>", " ", content))
    return re.sub(r"[ \t\r\n]+", " ", content)


@pytest.fixture
def martin_estimate(grid_data, school_year):
    return services.estimate_family(
        school_year,
        is_resident=True,
        qf_value=850,
        qf_proven=True,
        enrolments=[
            EstimateInput("lea", "Léa Martin", "cursus-musique"),
            EstimateInput("hugo", "Hugo Martin", "eveil", starts_on=datetime.date(2026, 1, 7)),
        ],
        payment_mode=MONTHLY,
        pass_culture=True,
        grid=grid_data,
    )


def test_the_estimate_is_labelled_as_an_estimate(martin_estimate):
    page = render(martin_estimate)
    assert "Coût estimé 2025-2026" in page
    assert "Ceci est une estimation. Le coût définitif sera déterminé par nos services." in page
    assert "Ligne de la grille : QF de 751 à 1100." in page
    # Léa 480 (1st); Hugo 180 × 7/9 = 140 (2nd, −10 % = 14); Pass'Culture −30
    assert "Léa Martin" in page and "Cursus musique" in page
    assert "7/9" in page and "−14,00\u00a0€ (10 %)" in page
    assert "Pass'Culture de Limonest −30,00\u00a0€" in page
    assert "Total pour l'année 576,00\u00a0€" in page
    assert "Prélèvement automatique en 9 fois — estimation" in page
    assert "1er novembre 2025 64,00\u00a0€" in page and "1er juillet 2026 64,00\u00a0€" in page


def test_the_final_amount_replaces_the_estimate_and_explains_the_difference(
    martin_estimate, family, school_year
):
    billing = services.record_estimate(family, school_year, martin_estimate)
    services.set_final_amount(
        billing, amount=D("540"), reason="Hugo ne suit que la moitié des cours.", by=StaffFactory()
    )
    page = render(services.final_estimate(family, school_year, martin_estimate))
    assert "Montant définitif 2025-2026" in page
    assert "Nos services ont déterminé le coût définitif." in page
    assert "C'est 36,00\u00a0€ de moins que l'estimation de 576,00\u00a0€." in page
    assert "Motif : Hugo ne suit que la moitié des cours." in page
    assert "Ceci est une estimation" not in page
    assert "1er novembre 2025 60,00\u00a0€" in page
    assert "Total 540,00\u00a0€" in page


@pytest.mark.parametrize(
    ("final", "sentence"),
    [
        (D("600"), "C'est 24,00\u00a0€ de plus que l'estimation de 576,00\u00a0€."),
        (D("576"), "C'est le même montant que l'estimation de 576,00\u00a0€."),
    ],
)
def test_a_higher_or_equal_final_amount_is_explained_too(martin_estimate, final, sentence):
    page = render(finalize(martin_estimate, final, "Révision"))
    assert sentence in page


def test_one_payment_says_how_to_pay(grid_data, school_year):
    estimate = services.estimate_family(
        school_year,
        is_resident=False,
        qf_value=None,
        qf_proven=False,
        enrolments=[EstimateInput("x", "Inès", "danse")],
        payment_mode=ONCE,
        grid=grid_data,
    )
    page = render(estimate)
    assert "Tarif : hors commune (non-résident de Limonest)" in page
    assert "Règlement en 1 fois" in page and "25 octobre 2025 420,00\u00a0€" in page
    assert "PayFiP ( payfip.gouv.fr )" in page  # the tags stripped: the link
    raw = render_to_string("billing/_estimate.html", {"estimate": estimate})
    assert '<a href="https://www.payfip.gouv.fr">payfip.gouv.fr</a>' in raw


def test_the_first_of_the_month_is_written_the_french_way():
    import datetime as dt

    from billing.templatetags.billing_tags import long_date

    assert long_date(dt.date(2025, 11, 1)) == "1er novembre 2025"
    assert long_date(dt.date(2025, 10, 25)) == "25 octobre 2025"
    assert long_date(None) == ""
