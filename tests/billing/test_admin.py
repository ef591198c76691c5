"""Billing in the staff admin: final amount with a reason, grids, exports, mandates."""

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
import sepaxml
import xmlschema
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from billing.models import FamilyBilling, PaymentMode, QFBracket, TariffGrid
from conservatoire.models import OutboxEmail
from tests.factories import ResponsibleFactory

from .conftest import committed
from .factories import VALID_IBAN, FamilyBillingFactory, MandateFactory

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLE = Path(settings.BASE_DIR, "billing", "examples", "grille-2025-2026.csv")


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def change_data(billing, **overrides):
    data = {
        "family": billing.family_id,
        "school_year": billing.school_year_id,
        "payment_mode": billing.payment_mode,
        "pass_culture_number": billing.pass_culture_number,
        "starts_on": "",
        "final_amount": "" if billing.final_amount is None else str(billing.final_amount),
        "final_reason": billing.final_reason,
    }
    if billing.bank_changed:
        data["bank_changed"] = "on"
    data.update(overrides)
    return data


@pytest.mark.parametrize("model", ["formula", "tariffgrid", "familybilling", "mandate"])
def test_every_billing_list_opens(admin_client, demo_grid, model):
    FamilyBillingFactory(school_year=demo_grid.school_year)
    MandateFactory()
    assert admin_client.get(reverse(f"admin:billing_{model}_changelist")).status_code == 200
    assert admin_client.get(reverse(f"admin:billing_{model}_add")).status_code == 200


def test_a_final_amount_without_reason_is_refused(admin_client, school_year):
    billing = FamilyBillingFactory(school_year=school_year)
    url = reverse("admin:billing_familybilling_change", args=[billing.pk])
    response = admin_client.post(url, change_data(billing, final_amount="450.00"))
    assert response.status_code == 200
    assert (
        "Indiquez le motif du montant définitif : la famille le lira." in response.content.decode()
    )
    billing.refresh_from_db()
    assert billing.final_amount is None


def test_staff_set_the_final_amount_with_a_reason(admin_client, staff_user, future_year):
    responsible = ResponsibleFactory(email="famille@example.org")
    billing = FamilyBillingFactory(family=responsible.family, school_year=future_year)
    url = reverse("admin:billing_familybilling_change", args=[billing.pk])
    with committed():
        response = admin_client.post(
            url, change_data(billing, final_amount="450.00", final_reason="QF 2025 justifié")
        )
    assert response.status_code == 302
    billing.refresh_from_db()
    assert billing.final_amount == D("450.00")
    assert billing.final_reason == "QF 2025 justifié"
    assert billing.final_set_by == staff_user
    assert timezone.now() - billing.final_set_at < datetime.timedelta(minutes=1)
    assert billing.history.filter(history_user=staff_user, final_amount=D("450")).exists()
    email = OutboxEmail.objects.get(kind="billing_prenotification")
    assert email.to == ["famille@example.org"]
    assert "450,00" in email.body_text and "QF 2025 justifié" in email.body_text
    assert "Votre échéancier de prélèvements" in email.subject


def test_clearing_the_final_amount_clears_its_reason_and_author(admin_client, school_year):
    billing = FamilyBillingFactory(
        school_year=school_year, final_amount=D("400"), final_reason="Ancien motif"
    )
    url = reverse("admin:billing_familybilling_change", args=[billing.pk])
    response = admin_client.post(url, change_data(billing, final_amount="", final_reason=""))
    assert response.status_code == 302
    billing.refresh_from_db()
    assert (billing.final_amount, billing.final_reason, billing.final_set_by) == (None, "", None)


def test_the_change_page_shows_the_schedule(admin_client, school_year):
    billing = FamilyBillingFactory(school_year=school_year, estimated_total=D("90"))
    response = admin_client.get(reverse("admin:billing_familybilling_change", args=[billing.pk]))
    page = response.content.decode()
    assert "01/11/2025 : 10,00\u00a0€" in page and "01/07/2026 : 10,00\u00a0€" in page


def test_confirm_the_estimates_as_final(admin_client, staff_user, school_year):
    pending = FamilyBillingFactory(school_year=school_year, estimated_total=D("300"))
    final = FamilyBillingFactory(
        school_year=school_year, final_amount=D("10"), final_reason="Gardé"
    )
    response = admin_client.post(
        reverse("admin:billing_familybilling_changelist"),
        {"action": "confirm_estimates", "_selected_action": [pending.pk, final.pk]},
        follow=True,
    )
    assert "1 estimation confirmée comme définitive." in response.content.decode()
    pending.refresh_from_db()
    final.refresh_from_db()
    assert pending.final_amount == D("300.00") and pending.final_set_by == staff_user
    assert pending.final_reason == "Estimation confirmée par le secrétariat."
    assert final.final_amount == D("10.00") and final.final_reason == "Gardé"


# --- Grids ------------------------------------------------------------------------------


def test_the_grid_page_lists_brackets_prices_and_reductions(admin_client, demo_grid):
    response = admin_client.get(reverse("admin:billing_tariffgrid_change", args=[demo_grid.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "QF de 751 à 1100" in page and "Télécharger la grille (CSV)" in page


def test_overlapping_brackets_are_refused_in_admin(admin_client, demo_grid):
    url = reverse("admin:billing_tariffgrid_change", args=[demo_grid.pk])
    response = admin_client.get(url)
    data = {}
    for form in response.context["inline_admin_formsets"]:
        formset = form.formset
        data.update(
            {f"{formset.prefix}-{k}": v for k, v in formset.management_form.initial.items()}
        )
        for index, inline_form in enumerate(formset.forms):
            for name, field in inline_form.fields.items():
                value = inline_form.initial.get(name, field.initial)
                if hasattr(value, "pk"):
                    value = value.pk
                data[f"{formset.prefix}-{index}-{name}"] = "" if value is None else value
    data.update(
        {"school_year": demo_grid.school_year_id, "pass_culture_amount": "30.00", "notes": ""}
    )
    second = QFBracket.objects.get(grid=demo_grid, label="QF de 451 à 750")
    index = next(
        k.split("-")[1]
        for k, v in data.items()
        if k.startswith("brackets-") and k.endswith("-id") and v == second.pk
    )
    data[f"brackets-{index}-min_qf"] = 400
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "se chevauchent" in response.content.decode()


def test_staff_import_a_grid_from_the_admin(admin_client, school_year):
    url = reverse("admin:billing_tariffgrid_import")
    assert admin_client.get(url).status_code == 200
    upload = SimpleUploadedFile("grille.csv", EXAMPLE.read_bytes(), content_type="text/csv")
    response = admin_client.post(url, {"school_year": school_year.pk, "file": upload})
    grid = TariffGrid.objects.get(school_year=school_year)
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:billing_tariffgrid_change", args=[grid.pk])
    assert grid.prices.count() == 54


def test_a_bad_grid_file_shows_every_error(admin_client, school_year):
    upload = SimpleUploadedFile(
        "grille.csv", b"formule;QF 0-400;QF 500+;Hors commune\neveil;1;2;x\n"
    )
    response = admin_client.post(
        reverse("admin:billing_tariffgrid_import"), {"school_year": school_year.pk, "file": upload}
    )
    page = response.content.decode()
    assert "Rien n'a été importé" in page
    assert "Aucune tranche ne contient les QF de 401 à 499." in page
    assert not TariffGrid.objects.exists()


def test_the_grid_downloads_as_csv(admin_client, demo_grid):
    response = admin_client.get(reverse("admin:billing_tariffgrid_csv", args=[demo_grid.pk]))
    assert response["Content-Type"].startswith("text/csv")
    assert "grille-2025-2026.csv" in response["Content-Disposition"]
    assert "cursus-musique" in response.content.decode("utf-8-sig")


# --- Exports ----------------------------------------------------------------------------


@pytest.fixture
def november_family(school_year):
    billing = FamilyBillingFactory(
        school_year=school_year,
        payment_mode=PaymentMode.MONTHLY,
        final_amount=D("90"),
        final_reason="QF",
        prenotified_at=timezone.make_aware(datetime.datetime(2025, 10, 1)),
        prenotified_total=D("90"),
    )
    MandateFactory(family=billing.family)
    return billing


def export(admin_client, action, **data):
    values = {"school_year": data.pop("school_year"), "month": "2025-11", "export": action}
    values.update(data)
    return admin_client.post(reverse("admin:billing_familybilling_exports"), values)


def test_the_exports_page_previews_the_month(admin_client, school_year, november_family):
    FamilyBillingFactory(school_year=school_year, family__name="Bloquée")
    assert admin_client.get(reverse("admin:billing_familybilling_exports")).status_code == 200
    response = export(admin_client, "preview", school_year=school_year.pk)
    page = response.content.decode()
    assert "1 prélèvement prêt (10,00\u00a0€)" in page
    assert "1 prélèvement bloqué" in page and "montant non définitif" in page


def test_the_exports_download(admin_client, school_year, november_family):
    debits = export(admin_client, "debits_csv", school_year=school_year.pk)
    assert 'filename="prelevements-2025-11.csv"' in debits["Content-Disposition"]
    assert VALID_IBAN in debits.content.decode("utf-8-sig")

    sepa = export(admin_client, "sepa_xml", school_year=school_year.pk)
    assert 'filename="sepa-2025-11-01.xml"' in sepa["Content-Disposition"]
    schema = Path(sepaxml.__file__).parent / "schemas" / "pain.008.001.08.xsd"
    xmlschema.XMLSchema(str(schema)).validate(sepa.content.decode())
    assert "<ReqdColltnDt>2025-11-01</ReqdColltnDt>" in sepa.content.decode()

    invoices = export(admin_client, "invoices_csv", school_year=school_year.pk)
    assert 'filename="factures-2025-2026.csv"' in invoices["Content-Disposition"]


def test_a_month_outside_the_debits_is_refused(admin_client, school_year):
    response = export(admin_client, "debits_csv", school_year=school_year.pk, month="2025-09")
    assert "Les prélèvements ont lieu de novembre à juillet" in response.content.decode()


def test_an_empty_sepa_file_is_not_produced(admin_client, school_year):
    response = export(admin_client, "sepa_xml", school_year=school_year.pk)
    assert response.status_code == 200
    assert "Aucun prélèvement de ce mois ne peut encore être exporté." in response.content.decode()


def test_families_cannot_reach_the_exports(client, responsible, school_year):
    client.force_login(responsible)
    response = client.get(reverse("admin:billing_familybilling_exports"))
    assert response.status_code == 302
    assert "/gestion/login/" in response["Location"]


# --- Mandates ---------------------------------------------------------------------------


def test_staff_see_the_full_iban_in_the_mandate_list(admin_client):
    MandateFactory()
    page = admin_client.get(reverse("admin:billing_mandate_changelist")).content.decode()
    assert VALID_IBAN in page


def test_an_invalid_iban_is_refused_in_admin(admin_client, family):
    response = admin_client.post(
        reverse("admin:billing_mandate_add"),
        {
            "family": family.pk,
            "holder": "X",
            "iban": "FR7630006000011234567890188",
            "bic": "",
            "signed_on": "",
        },
    )
    assert "la clé de contrôle ne correspond pas" in response.content.decode()


def test_staff_add_a_mandate_and_get_a_rum(admin_client, family):
    response = admin_client.post(
        reverse("admin:billing_mandate_add"),
        {"family": family.pk, "holder": "Claire", "iban": VALID_IBAN, "bic": "", "signed_on": ""},
    )
    assert response.status_code == 302
    mandate = family.mandates.get()
    assert re.match(r"^LIM-\d{4}-\d{6}-\w{4}$", mandate.rum)
    assert FamilyBilling.objects.count() == 0
