"""Responsibles' mobiles: French mobiles only, stored as E.164, shown as 06 12 34 56 78.

The emergency contact's phone may be any French number. Migration 0003 rewrote
the mobiles stored before as E.164, leaving the invalid ones as they were typed.
"""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.template import Context, Template
from django.urls import reverse

from accounts.models import User, french_mobile_validator, french_phone_validator
from tests.factories import DEFAULT_PASSWORD, ResponsibleFactory, StudentFactory

MOBILES = [
    "06 12 34 56 78",
    "0612345678",
    "06.12.34.56.78",
    "06-12-34-56-78",
    "07 98 76 54 32",
    "+33 6 12 34 56 78",
    "+33612345678",
    "0033 6 12 34 56 78",
    "+33 (0)6 12 34 56 78",
]
LANDLINES = ["01 23 45 67 89", "04 78 12 34 56", "09 70 12 34 56"]
NOT_FRENCH_NUMBERS = ["12", "12345", "06 12 34 56", "06 12 34 56 78 90", "abc", "+41 79 123 45 67"]


def stored_mobile(user) -> str:
    """The column as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT mobile FROM accounts_user WHERE id = %s", [user.pk])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("number", MOBILES)
def test_french_mobiles_are_accepted_in_any_usual_writing(number):
    french_mobile_validator(number)
    french_phone_validator(number)


@pytest.mark.parametrize("number", LANDLINES + NOT_FRENCH_NUMBERS)
def test_landlines_and_non_numbers_are_not_mobiles(number):
    with pytest.raises(ValidationError) as error:
        french_mobile_validator(number)
    assert error.value.code == "invalid"
    assert "(06 ou 07)" in str(error.value.messages[0])  # French, the active language


@pytest.mark.parametrize("number", LANDLINES)
def test_an_emergency_phone_may_be_a_landline(number):
    french_phone_validator(number)


@pytest.mark.parametrize("number", NOT_FRENCH_NUMBERS)
def test_an_emergency_phone_must_be_a_french_number(number):
    with pytest.raises(ValidationError):
        french_phone_validator(number)


@pytest.mark.django_db
def test_stored_as_e164_shown_in_the_national_format():
    parent = ResponsibleFactory(mobile="06.12.34.56.78")
    assert stored_mobile(parent) == "+33612345678"
    parent = User.objects.get(pk=parent.pk)
    assert str(parent.mobile) == "06 12 34 56 78"
    assert parent.mobile == "0612345678"  # compares as numbers
    rendered = Template("{{ user.mobile }}|{{ user.mobile|default:'—' }}").render(
        Context({"user": parent})
    )
    assert rendered == "06 12 34 56 78|06 12 34 56 78"
    assert str(ResponsibleFactory(mobile="").mobile) == ""


@pytest.mark.django_db
def test_an_emergency_phone_with_a_landline_passes_model_validation():
    student = StudentFactory(emergency_contact_phone="04 78 12 34 56")
    student.full_clean()
    student.emergency_contact_phone = "12"
    with pytest.raises(ValidationError) as error:
        student.full_clean()
    assert "emergency_contact_phone" in error.value.message_dict


@pytest.fixture
def logged_in(client, db):
    parent = ResponsibleFactory(username="dupont-k7mq4", email="claire@example.org")
    client.post(
        reverse("accounts:login"), {"username": "dupont-k7mq4", "password": DEFAULT_PASSWORD}
    )
    return client, parent


def test_the_account_page_shows_the_national_format_and_stores_e164(logged_in):
    client, parent = logged_in
    page = client.get(reverse("accounts:account")).content.decode()
    assert 'value="06 12 34 56 78"' in page
    response = client.post(
        reverse("accounts:account"), {"email": "claire@example.org", "mobile": "+33798765432"}
    )
    assert response.status_code == 302
    assert stored_mobile(parent) == "+33798765432"
    assert 'value="07 98 76 54 32"' in client.get(reverse("accounts:account")).content.decode()


@pytest.mark.parametrize("typed", ["01 23 45 67 89", "12"])
def test_the_account_page_refuses_a_landline_or_a_wrong_number_once_in_french(logged_in, typed):
    client, parent = logged_in
    response = client.post(
        reverse("accounts:account"), {"email": "claire@example.org", "mobile": typed}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count("Saisissez un numéro de mobile français (06 ou 07)") == 1
    assert stored_mobile(parent) == "+33612345678"


@pytest.mark.django_db
def test_the_secretariat_sees_the_national_format_in_the_admin(admin_client):
    ResponsibleFactory(mobile="+33612345678")
    page = admin_client.get(reverse("admin:accounts_responsible_changelist")).content.decode()
    assert "06 12 34 56 78" in page
    assert "+33612345678" not in page


# --- Migration 0003: the mobiles stored before ------------------------------------

BEFORE = ("accounts", "0002_password_reset_request")
AFTER = ("accounts", "0004_mobile_phonenumberfield")
STORED_BEFORE = {
    "typed": ("06 12 34 56 78", "+33612345678"),
    "dots": ("06.12.34.56.78", "+33612345678"),
    "international": ("+33 7 98 76 54 32", "+33798765432"),
    "landline": ("04 78 12 34 56", "+33478123456"),  # valid: kept, as E.164
    "too-short": ("06 12 34", "06 12 34"),  # not a number: left as typed
    "nonsense": ("voir papa", "voir papa"),
    "empty": ("", ""),
}


@pytest.mark.django_db(transaction=True)
def test_the_migration_rewrites_stored_mobiles_as_e164_and_keeps_invalid_ones():
    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])
    old_apps = executor.loader.project_state([BEFORE]).apps
    OldFamily = old_apps.get_model("accounts", "Family")
    OldUser = old_apps.get_model("accounts", "User")
    OldHistoricalUser = old_apps.get_model("accounts", "HistoricalUser")
    family = OldFamily.objects.create(name="Durand")
    for username, (before, _after) in STORED_BEFORE.items():
        user = OldUser.objects.create(username=username, family=family, mobile=before)
        OldHistoricalUser.objects.create(
            id=user.pk,
            username=username,
            mobile=before,
            history_date="2025-09-01T10:00:00Z",
            history_type="+",
            date_joined="2025-09-01T10:00:00Z",
        )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate([AFTER])

    for username, (_before, after) in STORED_BEFORE.items():
        # only(): the later migrations' columns do not exist yet at AFTER.
        assert stored_mobile(User.objects.only("mobile").get(username=username)) == after, username
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT mobile FROM accounts_historicaluser WHERE username = %s", [username]
            )
            assert cursor.fetchone()[0] == after, f"history of {username}"
    assert str(User.objects.only("mobile").get(username="typed").mobile) == "06 12 34 56 78"
    assert str(User.objects.only("mobile").get(username="nonsense").mobile) == "voir papa"

    executor = MigrationExecutor(connection)
    executor.migrate([BEFORE])  # backwards: the national writing again
    with connection.cursor() as cursor:
        cursor.execute("SELECT username, mobile FROM accounts_user")
        backwards = dict(cursor.fetchall())
    assert backwards["typed"] == backwards["dots"] == "06 12 34 56 78"
    assert backwards["landline"] == "04 78 12 34 56"
    assert backwards["nonsense"] == "voir papa"
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())
    assert stored_mobile(User.objects.get(username="typed")) == "+33612345678"
