"""On a phone, each field opens the right keyboard and autofill knows whose data it is."""

import re

import pytest

from accounts.forms import AccountDetailsForm
from billing.forms import SimulatorForm
from reinscription.forms import DetailsForm
from tests.factories import FamilyFactory, ResponsibleFactory, StudentFactory

pytestmark = pytest.mark.django_db


def input_tag(html: str, name: str) -> str:
    [tag] = re.findall(rf'<input [^>]*name="{name}"[^>]*>', html)
    return tag


def test_the_account_mobile_is_a_tel_input_autofilled_with_the_familys_number(parent):
    html = str(AccountDetailsForm(instance=parent))
    tag = input_tag(html, "mobile")
    assert 'type="tel"' in tag
    assert 'autocomplete="tel"' in tag


def test_step_2_gives_address_autofill_a_numeric_postal_code_and_tel_phones():
    family = FamilyFactory()
    claire = ResponsibleFactory(family=family)
    julien = ResponsibleFactory(family=family)
    form = DetailsForm(responsibles=[claire, julien], student=StudentFactory(family=family))
    html = "".join(str(field) for field in form)
    assert 'autocomplete="address-line1"' in input_tag(html, "address")
    postal_code = input_tag(html, "postal_code")
    assert 'autocomplete="postal-code"' in postal_code and 'inputmode="numeric"' in postal_code
    assert 'autocomplete="address-level2"' in input_tag(html, "city")
    emergency = input_tag(html, "emergency_contact_phone")
    assert 'type="tel"' in emergency
    assert 'autocomplete="section-emergency tel-national"' in emergency
    # Each responsible in their own autofill section: the browser never fills the
    # other parent's fields with the family's own number or address.
    for who in (claire, julien):
        mobile = input_tag(html, f"responsible_{who.pk}_mobile")
        assert 'type="tel"' in mobile
        assert f'autocomplete="section-responsible-{who.pk} tel-national"' in mobile
        email = input_tag(html, f"responsible_{who.pk}_email")
        assert f'autocomplete="section-responsible-{who.pk} email"' in email


def test_the_simulators_quotient_familial_opens_the_digits_keypad():
    field = SimulatorForm.base_fields["qf"]
    assert field.widget.attrs["inputmode"] == "numeric"
    assert 'inputmode="numeric"' in field.widget.render("qf", "")
