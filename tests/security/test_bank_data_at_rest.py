"""An IBAN typed by a family is nowhere in clear in the database: not in the wizard's
draft after step 3, not after validation (mandate, its history, snapshot, outbox,
sessions…). Every column of every table is read with plain SQL, below the ORM.
"""

import pytest
from django.db import connection
from django.urls import reverse

from billing.models import Mandate
from reinscription.models import Reenrolment, WizardDraft
from tests.reinscription.conftest import WizardDriver, student_named

pytestmark = pytest.mark.django_db

TYPED_IBAN = "FR14 2004 1010 0505 0001 3M02 606"
COMPACT_IBAN = "FR1420041010050500013M02606"
# What the masked IBAN (FR14 **** **** **** **** ***2 606) never shows, with and without spaces.
BANK_ACCOUNT_PARTS = ("2004 1010 0505 0001", "20041010050500013M02")
PAYMENT = {
    "payment_mode": "monthly",
    "bank_changed": "yes",
    "iban": TYPED_IBAN,
    "bic": "PSSTFRPPLYO",
    "account_holder": "Karim Petit",
}


def course_answers(client, student) -> dict:
    """Step 6 answered with the first choice of each question it asks."""
    form = client.get(reverse("reinscription:wizard_step", args=[student.pk, "cours"])).context[
        "form"
    ]
    return {
        name: next(value for value, _label in field.choices if value)
        for name, field in form.fields.items()
        if field.required and getattr(field, "choices", None)
    }


def database_text() -> dict[str, list[str]]:
    """Every non-null value of every column of every table, as text, by table."""
    found: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # noqa: S608 (a table name listed above)
            values = found.setdefault(table, [])
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, memoryview | bytes):
                        values.append(bytes(value).decode("latin-1"))
                    elif value is not None:
                        values.append(str(value))
    return found


def tables_holding(needles, found) -> set[str]:
    needles = [needle.casefold() for needle in needles]
    return {
        table
        for table, values in found.items()
        if any(needle in value.casefold() for value in values for needle in needles)
    }


def assert_no_iban_in_clear():
    found = database_text()
    # The scan reads what it should: the holder, stored in clear, is found.
    assert "billing_mandate" in tables_holding(["Karim Petit"], found) or not Mandate.objects.all()
    leaks = tables_holding([TYPED_IBAN, COMPACT_IBAN, *BANK_ACCOUNT_PARTS], found)
    assert not leaks, f"IBAN in clear in: {sorted(leaks)}"
    return found


@pytest.fixture
def karim(demo, client, login):
    login("petit-karim")
    return client


def test_no_iban_in_clear_in_the_draft_nor_after_validation(
    karim, django_capture_on_commit_callbacks
):
    nathan = student_named("Nathan")
    driver = WizardDriver(karim, nathan)
    driver.post("choix", {"decision": "reenrol"})
    driver.post("coordonnees", driver.details())
    assert driver.post("reglement", PAYMENT).status_code == 302
    driver.post("autorisations", {"image_rights": "yes", "outing_authorisation": "no"})
    driver.post("documents", {})
    assert driver.post("cours", course_answers(karim, nathan)).status_code == 302
    # The draft after step 3 (and the following steps): the IBAN is in it, encrypted.
    draft = WizardDraft.objects.get(student=nathan)
    assert draft.sealed_steps["reglement"]["reglement-iban"] == [TYPED_IBAN]
    assert "reglement" not in draft.data["step_data"]
    found = assert_no_iban_in_clear()
    assert tables_holding(["Nathan"], found)  # the scan reads the tables

    # The family resumes: step 3 shows its answers back, the recap the masked IBAN.
    step_3 = karim.get(reverse("reinscription:wizard_step", args=[nathan.pk, "reglement"]))
    assert step_3.context["form"]["iban"].value() == TYPED_IBAN
    recap = karim.get(reverse("reinscription:wizard_step", args=[nathan.pk, "recapitulatif"]))
    assert "FR14 **** **** **** **** ***2 606" in recap.content.decode()

    # Validation: mandate (and its history), snapshot, confirmation email in the outbox.
    with django_capture_on_commit_callbacks(execute=True):
        response = driver.post(
            "recapitulatif", {"accept_rules": "on", "shown_total": driver.recap_total()}
        )
    assert response.status_code == 302
    assert Reenrolment.objects.filter(student=nathan).exists()
    assert not WizardDraft.objects.filter(student=nathan).exists()
    mandate = Mandate.objects.get(family=nathan.family, holder="Karim Petit")
    assert mandate.iban == COMPACT_IBAN
    assert mandate.history.exists()
    assert_no_iban_in_clear()


def test_the_draft_admin_shows_the_iban_masked(karim, admin_client):
    nathan = student_named("Nathan")
    driver = WizardDriver(karim, nathan)
    driver.post("choix", {"decision": "reenrol"})
    driver.post("coordonnees", driver.details())
    assert driver.post("reglement", PAYMENT).status_code == 302
    draft = WizardDraft.objects.get(student=nathan)
    page = admin_client.get(
        reverse("admin:reinscription_wizarddraft_change", args=[draft.pk])
    ).content.decode()
    assert "FR14 **** **** **** **** ***2 606" in page
    for clear in (TYPED_IBAN, COMPACT_IBAN, *BANK_ACCOUNT_PARTS):
        assert clear not in page
