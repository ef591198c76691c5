"""Bank details are encrypted at rest: the fields, the keys, their rotation, the checks."""

import datetime
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.checks import run_checks
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection

from billing.models import CollectionBatch, Mandate
from conservatoire import checks, encryption
from conservatoire.fields import decrypt_column, encrypt_column
from tests.billing.factories import VALID_IBAN, MandateFactory
from tests.factories import SchoolYearFactory

pytestmark = pytest.mark.django_db

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def stored(table: str, column: str, pk: int):
    """A column's value as the database holds it."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        value = cursor.fetchone()[0]
    return bytes(value) if isinstance(value, memoryview) else value


def readable_with(key: str, token: str | bytes) -> bytes:
    return Fernet(key).decrypt(token.encode() if isinstance(token, str) else token)


# --- The fields --------------------------------------------------------------------------------


def test_the_mandates_iban_is_a_token_in_the_database_and_clear_in_python(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    mandate = MandateFactory(iban=VALID_IBAN)
    token = stored("billing_mandate", "iban", mandate.pk)
    assert VALID_IBAN not in token
    assert readable_with(NEW_KEY, token).decode() == VALID_IBAN
    assert Mandate.objects.get(pk=mandate.pk).iban == VALID_IBAN
    assert Mandate.objects.filter(pk=mandate.pk).values_list("iban", flat=True)[0] == VALID_IBAN
    history = mandate.history.first()
    assert history.iban == VALID_IBAN
    with connection.cursor() as cursor:
        cursor.execute("SELECT iban FROM billing_historicalmandate")
        assert all(VALID_IBAN not in row[0] for row in cursor.fetchall())


def test_an_empty_iban_stays_empty_and_can_be_filtered():
    reserved = MandateFactory(iban="", bic="", holder="", signed_on=None)
    assert stored("billing_mandate", "iban", reserved.pk) == ""
    assert list(Mandate.objects.filter(iban="")) == [reserved]
    assert not Mandate.objects.filter(iban=None).exists()


def test_comparing_an_encrypted_column_with_a_value_is_refused():
    with pytest.raises(FieldError):
        list(Mandate.objects.filter(iban=VALID_IBAN))
    with pytest.raises(FieldError):
        list(Mandate.objects.filter(iban__icontains="FR76"))


def test_the_debit_files_are_encrypted_bytes(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    content = f"<Document><IBAN>{VALID_IBAN}</IBAN></Document>".encode()
    batch = CollectionBatch.objects.create(
        school_year=SchoolYearFactory(),
        month=datetime.date(2025, 10, 1),
        collection_date=datetime.date(2025, 10, 5),
        message_id="LIM-TEST-1",
        schema="pain.008.001.08",
        sepa_file=content,
        csv_file=b"",
    )
    assert VALID_IBAN.encode() not in stored("billing_collectionbatch", "sepa_file", batch.pk)
    assert stored("billing_collectionbatch", "csv_file", batch.pk) == b""
    batch = CollectionBatch.objects.get(pk=batch.pk)
    assert bytes(batch.sepa_file) == content
    assert bytes(batch.csv_file) == b""


# --- Keys -------------------------------------------------------------------------------------


def test_an_old_key_still_decrypts_and_rotation_moves_every_value_to_the_current_key(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    mandate = MandateFactory(iban=VALID_IBAN)
    assert readable_with(OLD_KEY, stored("billing_mandate", "iban", mandate.pk))

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, OLD_KEY]
    assert Mandate.objects.get(pk=mandate.pk).iban == VALID_IBAN
    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    assert "billing.Mandate.iban: 1" in out.getvalue()
    assert "billing.HistoricalMandate.iban: 1" in out.getvalue()

    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert readable_with(NEW_KEY, stored("billing_mandate", "iban", mandate.pk))
    assert Mandate.objects.get(pk=mandate.pk).iban == VALID_IBAN
    assert mandate.history.first().iban == VALID_IBAN


def test_a_value_no_key_reads_is_an_error_not_a_silent_blank(settings):
    settings.FIELD_ENCRYPTION_KEYS = [OLD_KEY]
    mandate = MandateFactory(iban=VALID_IBAN)
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    settings.SECRET_KEY = "another-secret-key-" * 3
    with pytest.raises(encryption.DecryptionError):
        Mandate.objects.get(pk=mandate.pk)


def test_without_keys_a_development_key_from_secret_key_encrypts(settings):
    settings.FIELD_ENCRYPTION_KEYS = []
    mandate = MandateFactory(iban=VALID_IBAN)
    token = stored("billing_mandate", "iban", mandate.pk)
    assert VALID_IBAN not in token
    assert readable_with(encryption.development_key(), token).decode() == VALID_IBAN
    # Keys configured later: the values written before stay readable, then move.
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert Mandate.objects.get(pk=mandate.pk).iban == VALID_IBAN
    call_command("rotate_encryption_keys", stdout=StringIO())
    assert readable_with(NEW_KEY, stored("billing_mandate", "iban", mandate.pk))


def test_the_development_key_follows_secret_key(settings):
    first = encryption.development_key()
    settings.SECRET_KEY = "another-secret-key-" * 3
    assert encryption.development_key() != first
    Fernet(first)  # a valid Fernet key


def test_a_malformed_key_is_refused_loudly(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY, "not-a-key"]
    errors = checks.check_encryption_keys_are_valid(None)
    assert [error.id for error in errors] == ["conservatoire.E001"]
    assert "number 2" in errors[0].msg
    with pytest.raises(ImproperlyConfigured):
        encryption.encrypt_text("x")


def test_the_checks_are_registered(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    ids = {message.id for message in run_checks(include_deployment_checks=True)}
    assert "conservatoire.W001" in ids
    settings.FIELD_ENCRYPTION_KEYS = ["not-a-key"]
    assert "conservatoire.E001" in {message.id for message in run_checks()}


def test_deploy_check_warns_when_debug_is_off_and_no_key_is_set(settings):
    settings.DEBUG = False
    settings.FIELD_ENCRYPTION_KEYS = []
    assert [w.id for w in checks.check_encryption_keys_are_set(None)] == ["conservatoire.W001"]
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    assert checks.check_encryption_keys_are_set(None) == []
    settings.DEBUG = True
    settings.FIELD_ENCRYPTION_KEYS = []
    assert checks.check_encryption_keys_are_set(None) == []


# --- Data migrations ----------------------------------------------------------------------------


def test_encrypting_a_clear_column_is_idempotent_and_reversible(settings):
    settings.FIELD_ENCRYPTION_KEYS = [NEW_KEY]
    mandate = MandateFactory(iban=VALID_IBAN)
    with connection.cursor() as cursor:  # as before the migration: in clear
        cursor.execute(
            "UPDATE billing_mandate SET iban = %s WHERE id = %s", [VALID_IBAN, mandate.pk]
        )
    assert encrypt_column(Mandate, "iban") == 1
    assert encrypt_column(Mandate, "iban") == 0  # already encrypted: left alone
    assert Mandate.objects.get(pk=mandate.pk).iban == VALID_IBAN
    assert decrypt_column(Mandate, "iban") == 1
    assert stored("billing_mandate", "iban", mandate.pk) == VALID_IBAN
