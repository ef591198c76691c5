"""Mandates follow SEPA: history, never deleted, family/RUM/IBAN fixed once recorded,
a new account as an amendment, the holder's name within 70 characters, families and
their billing protected from deletion."""

import datetime

import pytest
from django.db.models import ProtectedError
from django.urls import reverse

from billing import services
from billing.backoffice import exports
from billing.forms import AccountHolderField
from billing.models import FamilyBilling, Mandate
from reinscription.forms import PaymentForm
from tests.factories import FamilyFactory

from .factories import VALID_IBAN, FamilyBillingFactory, MandateFactory, ready_family

pytestmark = pytest.mark.django_db
OTHER_IBAN = "FR1420041010050500013M02606"
NAME_70 = "Marie-Claire " + "A" * 57  # 70 characters


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def change_url(mandate):
    return reverse("admin:billing_mandate_change", args=[mandate.pk])


# --- Deletion is refused -------------------------------------------------------------------------


def test_deleting_a_family_with_billing_is_refused(school_year):
    billing = FamilyBillingFactory(school_year=school_year)
    with pytest.raises(ProtectedError):
        billing.family.delete()
    assert FamilyBilling.objects.filter(pk=billing.pk).exists()


def test_deleting_a_family_with_a_mandate_is_refused():
    mandate = MandateFactory()
    with pytest.raises(ProtectedError):
        mandate.family.delete()
    assert Mandate.objects.filter(pk=mandate.pk).exists()


def test_a_mandate_with_debits_cannot_be_deleted(school_year):
    billing = ready_family(school_year)
    exports.export_month(school_year, school_year.starts_on.replace(month=11))
    with pytest.raises(ProtectedError):
        billing.family.mandates.get().delete()


def test_the_admin_never_deletes_a_mandate(admin_client):
    mandate = MandateFactory()
    response = admin_client.get(reverse("admin:billing_mandate_delete", args=[mandate.pk]))
    assert response.status_code == 403
    page = admin_client.get(change_url(mandate)).content.decode()
    assert reverse("admin:billing_mandate_delete", args=[mandate.pk]) not in page


# --- History -------------------------------------------------------------------------------------


def test_a_mandate_keeps_its_history(admin_client, staff_user):
    mandate = MandateFactory(holder="Claire Martin")
    response = admin_client.post(
        change_url(mandate),
        {"holder": "Claire Martin-Durand", "bic": mandate.bic, "signed_on": "2025-06-20"},
    )
    assert response.status_code == 302
    latest = mandate.history.latest()
    assert (latest.holder, latest.history_user) == ("Claire Martin-Durand", staff_user)
    assert mandate.history.count() == 2
    assert (
        admin_client.get(reverse("admin:billing_mandate_history", args=[mandate.pk])).status_code
        == 200
    )


# --- Family, RUM and IBAN are fixed --------------------------------------------------------------


def test_the_iban_family_and_rum_of_a_recorded_mandate_do_not_change(admin_client):
    mandate = MandateFactory()
    other = FamilyFactory()
    page = admin_client.get(change_url(mandate)).content.decode()
    assert 'name="iban"' not in page and 'name="family"' not in page and 'name="rum"' not in page
    response = admin_client.post(
        change_url(mandate),
        {
            "family": other.pk,
            "rum": "LIM-HACK",
            "iban": OTHER_IBAN,
            "holder": "Claire Martin",
            "bic": "",
            "signed_on": "2025-06-20",
        },
    )
    assert response.status_code == 302
    mandate.refresh_from_db()
    assert (mandate.family_id, mandate.iban) != (other.pk, OTHER_IBAN)
    assert mandate.iban == VALID_IBAN and mandate.rum.startswith("LIM-2025-")


def test_a_reserved_mandate_gets_its_iban_in_the_admin(admin_client):
    reserved = MandateFactory(iban="", bic="", holder="", signed_on=None)
    response = admin_client.post(
        change_url(reserved),
        {"holder": "Claire Martin", "iban": VALID_IBAN, "bic": "", "signed_on": "2025-09-10"},
    )
    assert response.status_code == 302
    reserved.refresh_from_db()
    assert reserved.iban == VALID_IBAN


# --- A new account: an amendment ------------------------------------------------------------------


def test_staff_record_a_new_account_as_an_amendment(admin_client):
    mandate = MandateFactory()
    page = admin_client.get(change_url(mandate)).content.decode()
    url = reverse("admin:billing_mandate_amend", args=[mandate.pk])
    assert url in page
    assert admin_client.get(url).status_code == 200

    response = admin_client.post(
        url, {"iban": "fr14 2004 1010 0505 0001 3m02 606", "bic": "", "holder": "Claire Martin"}
    )

    amended = Mandate.objects.get(amended_from=mandate)
    assert response.status_code == 302 and response["Location"] == change_url(amended)
    assert (amended.family, amended.iban, amended.signed_on) == (
        mandate.family,
        OTHER_IBAN,
        mandate.signed_on,
    )
    assert amended.rum != mandate.rum
    assert Mandate.objects.current_for(mandate.family) == amended
    mandate.refresh_from_db()
    assert mandate.iban == VALID_IBAN  # the amended mandate stays, for the record


def test_an_amendment_needs_another_iban(admin_client):
    mandate = MandateFactory()
    response = admin_client.post(
        reverse("admin:billing_mandate_amend", args=[mandate.pk]),
        {"iban": VALID_IBAN, "bic": "", "holder": "Claire Martin"},
    )
    assert response.context["form"].errors["iban"] == ["C'est l'IBAN actuel du mandat."]
    assert not Mandate.objects.filter(amended_from=mandate).exists()
    with pytest.raises(ValueError, match="own"):
        services.amend_mandate(mandate, iban=VALID_IBAN)


def test_families_cannot_reach_the_amendment_page(client, responsible):
    mandate = MandateFactory(family=responsible.family)
    client.force_login(responsible)
    response = client.get(reverse("admin:billing_mandate_amend", args=[mandate.pk]))
    assert response.status_code == 302 and "/gestion/login/" in response["Location"]


# --- The holder's name: 70 characters everywhere --------------------------------------------------


def test_the_holder_field_accepts_70_characters_and_explains_the_limit_in_french():
    field = AccountHolderField()
    assert field.clean("  Claire   Martin ") == "Claire Martin"
    assert field.clean(NAME_70) == NAME_70
    with pytest.raises(Exception) as error:
        field.clean(NAME_70 + "B")
    assert error.value.messages == [
        "Le nom du titulaire du compte ne peut dépasser 70 caractères (la limite des "
        "prélèvements SEPA ; il en compte 71) : abrégez un prénom si besoin."
    ]
    assert field.widget.attrs["maxlength"] == "70"


def test_the_wizard_refuses_a_holder_the_mandate_could_not_keep():
    data = {
        "payment_mode": "monthly",
        "bank_changed": "yes",
        "iban": VALID_IBAN,
        "bic": "AGRIFRPPXXX",
        "account_holder": NAME_70 + "B",
    }
    form = PaymentForm(data, is_resident=False)
    assert not form.is_valid()
    assert "70 caractères" in form.errors["account_holder"][0]
    data["account_holder"] = NAME_70
    assert PaymentForm(data, is_resident=False).is_valid()


def test_record_mandate_keeps_the_whole_name_and_refuses_a_longer_one(family):
    mandate = services.record_mandate(family, iban=VALID_IBAN, holder=f" {NAME_70} ")
    assert mandate.holder == NAME_70
    with pytest.raises(ValueError, match="70"):
        services.record_mandate(family, iban=OTHER_IBAN, holder=NAME_70 + "B")
    assert family.mandates.count() == 1


def test_the_admin_form_explains_the_limit(admin_client, family):
    response = admin_client.post(
        reverse("admin:billing_mandate_add"),
        {"family": family.pk, "holder": NAME_70 + "B", "iban": VALID_IBAN, "bic": ""},
    )
    assert "abrégez un prénom si besoin" in response.content.decode()


def test_a_mandate_is_signed_once_it_has_an_account_and_a_signature_date():
    family = FamilyFactory()
    assert not services.has_signed_mandate(family)
    services.reserve_mandate(family)  # a blank form printed
    assert not services.has_signed_mandate(family)
    mandate = services.record_mandate(family, iban=VALID_IBAN, holder="Claire Martin")
    assert not services.has_signed_mandate(family)  # typed in the wizard, not signed yet
    mandate.signed_on = datetime.date(2025, 6, 2)
    mandate.save(update_fields=["signed_on"])
    assert services.has_signed_mandate(family)
    # A new account is a new mandate, to sign again.
    services.record_mandate(family, iban=OTHER_IBAN, holder="Claire Martin")
    assert not services.has_signed_mandate(family)
