"""Step 3, "mode de règlement souhaité": the guide's facts with the year's values, the SEPA
fields only for the direct debit, one error per field, the BIC found from the IBAN, nothing
ticked in advance."""

import html
import re

import pytest

from billing.forms import bic_for_iban
from billing.models import FamilyBilling
from reinscription.forms import PaymentForm
from tests.reinscription.conftest import WizardDriver, step_url, student_named

pytestmark = pytest.mark.django_db

IBAN_LA_BANQUE_POSTALE = "FR14 2004 1010 0505 0001 3M02 606"  # BIC PSSTFRPP
IBAN_UNKNOWN_BANK = "FR76 9999 9000 0100 0123 4567 809"  # valid, bank not in the registry


@pytest.fixture
def karim(demo, client, login):
    """Karim Petit (a Limonest family) at step 3 for Nathan."""
    login("petit-karim")
    nathan = student_named("Nathan")
    driver = WizardDriver(client, nathan)
    driver.post("choix", {"decision": "reenrol"})
    driver.post("coordonnees", driver.details())
    return driver


def page(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def text(response) -> str:
    return html.unescape(page(response)).replace("’", "'")


def test_the_page_states_the_guides_payment_facts_with_the_years_values(karim, client):
    content = text(client.get(step_url(karim.student, "reglement")))
    for sentence in [
        "Règlement en 1 fois, à réception de la facture, à partir du 25 octobre 2025 : par carte "
        'bancaire ou virement sur PayFiP (<a href="https://www.payfip.gouv.fr">payfip.gouv.fr</a>)'
        " ou par chèque auprès du Trésor public.",
        "Prélèvement automatique en 9 fois, en début de mois à partir de novembre 2025.",
        "uniquement en cas de changement de banque depuis septembre 2024",
        "Le coût définitif est fixé par le conservatoire.",
        "Pour les habitants de Limonest, le quotient familial 2025 détermine la ligne de la "
        "grille tarifaire",
        "le tarif est calculé au prorata sur la base des 9 mensualités",
        "Toute inscription engage le règlement de l'année complète.",
        "Le Pass'Culture de Limonest est accepté.",
        "Avez-vous changé de banque depuis septembre 2024 ?",
        "Je réside à Limonest et je fournis mon quotient familial 2025 (attestation CAF)",
    ]:
        assert sentence in content, sentence
    assert "payement" not in content.lower()
    assert "limonois" not in content


def test_nothing_is_ticked_in_advance(karim, client):
    # The Petit family is resident with a known QF: the QF box stays unticked all the same.
    assert karim.student.family.is_resident and karim.student.family.qf_value
    content = client.get(step_url(karim.student, "reglement")).content.decode()
    assert not re.search(r"<input[^>]*\bchecked\b", content)


def test_the_sepa_fields_show_only_for_the_direct_debit_with_a_script(karim, client):
    content = page(client.get(step_url(karim.student, "reglement")))
    prefix = "reglement-"
    assert f'data-show-when="{prefix}payment_mode=monthly"' in content
    assert f'data-show-when="{prefix}bank_changed=yes"' in content
    # An external script (the CSP allows no inline one); without it everything shows.
    assert re.search(r'<script src="/static/js/show-when\.js" defer></script>', content)
    assert "<script>" not in content
    assert " hidden" not in content.split('id="sepa-fields"')[1].split(">")[0]


def test_the_required_sepa_fields_are_marked(karim, client):
    response = client.get(step_url(karim.student, "reglement"))
    content = page(response)
    for name in ("iban", "account_holder"):
        field = re.search(rf'<input[^>]*name="reglement-{name}"[^>]*>', content).group(0)
        assert " required" in field
        label = re.search(rf'<label[^>]*for="id_reglement-{name}"[^>]*>.*?</label>', content)
        assert "asteriskField" in label.group(0)
    assert 'name="reglement-bank_changed" value="yes"' in content
    # The BIC is found from the IBAN: not asked.
    assert 'name="reglement-bic"' not in content


def test_the_iban_input_suits_a_phone(karim, client):
    content = client.get(step_url(karim.student, "reglement")).content.decode()
    iban = re.search(r'<input[^>]*name="reglement-iban"[^>]*>', content).group(0)
    for attribute in ('autocomplete="off"', 'spellcheck="false"', 'inputmode="text"'):
        assert attribute in iban
    assert "form-control" in iban


def test_a_mistyped_iban_gets_one_error(karim):
    response = karim.post(
        "reglement",
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": "FR76 3000 6000 0112 3456 7890 188",  # one digit wrong
            "account_holder": "Karim Petit",
        },
    )
    errors = response.context["form"].errors
    assert list(errors) == ["iban"]
    assert len(errors["iban"]) == 1
    assert "clé" in errors["iban"][0]


def test_each_missing_field_gets_one_error(karim):
    response = karim.post("reglement", {"payment_mode": "monthly", "bank_changed": "yes"})
    errors = response.context["form"].errors
    assert set(errors) == {"iban", "account_holder"}
    assert all(len(messages) == 1 for messages in errors.values())
    assert errors["iban"] == ["Obligatoire pour un nouveau prélèvement."]
    response = karim.post("reglement", {"payment_mode": "monthly"})
    assert response.context["form"].errors == {
        "bank_changed": ["Indiquez si vous avez changé de banque."]
    }


def test_the_bic_is_found_from_the_iban(karim):
    response = karim.post(
        "reglement",
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": IBAN_LA_BANQUE_POSTALE,
            "account_holder": "Karim Petit",
        },
    )
    assert response.status_code == 302
    form = PaymentForm(
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": IBAN_LA_BANQUE_POSTALE,
            "account_holder": "Karim Petit",
        },
        is_resident=True,
    )
    assert form.is_valid()
    assert form.cleaned_data["bic"] == "PSSTFRPP"
    assert bic_for_iban("FR7630006000011234567890189") == "AGRIFRPPXXX"


def test_the_bic_is_asked_only_when_it_cannot_be_found(karim):
    data = {
        "payment_mode": "monthly",
        "bank_changed": "yes",
        "iban": IBAN_UNKNOWN_BANK,
        "account_holder": "Karim Petit",
    }
    response = karim.post("reglement", data)
    form = response.context["form"]
    assert list(form.errors) == ["bic"]
    assert len(form.errors["bic"]) == 1
    content = page(response)
    assert 'name="reglement-bic"' in content
    assert "Nous ne trouvons pas le BIC de cet IBAN" in content
    response = karim.post("reglement", {**data, "bic": "CCBPFRPPLYO"})
    assert response.status_code == 302


def test_a_single_payment_ignores_whatever_the_sepa_fields_hold(karim, demo):
    response = karim.post(
        "reglement",
        {
            "payment_mode": "once",
            "bank_changed": "yes",
            "iban": "not an iban",
            "bic": "??",
            "account_holder": "X" * 200,
        },
    )
    assert response.status_code == 302
    form = PaymentForm(
        {"payment_mode": "once", "bank_changed": "yes", "iban": "FR00", "bic": "?"},
        is_resident=True,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["bank_changed"] is None
    assert form.cleaned_data["iban"] == form.cleaned_data["bic"] == ""


def test_an_unchanged_bank_ignores_the_new_account_fields():
    form = PaymentForm(
        {"payment_mode": "monthly", "bank_changed": "no", "iban": "FR00", "account_holder": ""},
        is_resident=False,
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["bank_changed"] is False
    assert form.cleaned_data["iban"] == ""


def test_the_direct_debit_answer_reaches_the_billing_preference(
    karim, django_capture_on_commit_callbacks
):
    karim.post(
        "reglement",
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": IBAN_LA_BANQUE_POSTALE,
            "account_holder": "Karim Petit",
        },
    )
    with django_capture_on_commit_callbacks(execute=True):
        karim.post("autorisations", {"image_rights": "no", "outing_authorisation": "yes"})
        karim.post("documents", {})
        karim.post("cours", {"day_fm1c3": "wednesday", "ensemble": "chorale"})
        total = karim.recap_total()
        response = karim.post(
            "recapitulatif", {"accept_rules": "on", "shown_total": "" if total is None else total}
        )
    assert response.status_code == 302
    billing = FamilyBilling.objects.get(family=karim.student.family)
    assert billing.payment_mode == "monthly" and billing.bank_changed
    mandate = karim.student.family.mandates.order_by("-pk").first()
    assert mandate.bic == "PSSTFRPP"
