"""The IBAN and BIC fields the wizard uses (schwifty), with French messages."""

import pytest
from django.core.exceptions import ValidationError

from billing.forms import BICField, IBANField


@pytest.mark.parametrize(
    ("value", "cleaned"),
    [
        ("FR76 3000 6000 0112 3456 7890 189", "FR7630006000011234567890189"),
        ("fr7630006000011234567890189", "FR7630006000011234567890189"),
        (" DE89 3704 0044 0532 0130 00 ", "DE89370400440532013000"),
    ],
)
def test_a_valid_iban_is_returned_compact(value, cleaned):
    assert IBANField().clean(value) == cleaned


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("FR76 3000 6000 0112 3456 7890 188", "la clé de contrôle ne correspond pas"),
        ("FR76 3000 6000 0112", "n'a pas le bon nombre de caractères"),
        ("XX76 3000 6000 0112 3456 7890 189", "ne commence pas par un code pays connu"),
        ("FR76 3000 6000 0112 3456 7890 18A", "caractères non autorisés"),
        ("BR15 0000 0000 0000 1093 2840 814P 2", "hors de la zone SEPA"),
        ("n'importe quoi", "Ce n'est pas un IBAN valide"),
        ("FRXX 3000", "Ce n'est pas un IBAN valide"),
    ],
)
def test_an_invalid_iban_gets_a_french_message(value, message):
    field = IBANField()
    with pytest.raises(ValidationError) as error:
        field.clean(value)
    assert message in " ".join(error.value.messages)


def test_the_iban_may_be_optional():
    assert IBANField(required=False).clean("") == ""


@pytest.mark.parametrize("value", ["BNPAFRPP", "agri fr pp xxx", "COBADEFFXXX"])
def test_a_valid_bic(value):
    assert BICField().clean(value) == value.replace(" ", "").upper()


@pytest.mark.parametrize("value", ["BNPAFRP", "12345678", "BNPAXXPP"])
def test_an_invalid_bic_gets_a_french_message(value):
    with pytest.raises(ValidationError) as error:
        BICField().clean(value)
    assert "Ce n'est pas un BIC valide" in " ".join(error.value.messages)
