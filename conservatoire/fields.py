"""Model fields encrypted at rest (Fernet tokens, keys of :mod:`conservatoire.encryption`).

The model reads and writes clear values; the column holds a token, written with
the current key. The empty value (``""``, ``b""``) is stored as is, so "no IBAN
yet" can still be filtered with ``field=""``; no other comparison can work on a
token, and asking for one raises ``FieldError`` rather than matching nothing.

Data migrations turn clear columns into tokens with :func:`encrypt_column`;
``manage.py rotate_encryption_keys`` re-encrypts every column of these fields,
historical tables included (django-simple-history copies the field).
"""

from collections.abc import Callable, Iterator

from django.apps import apps
from django.core.exceptions import FieldError
from django.db import models
from django.db.models import ExpressionWrapper, F, Value
from django.db.models.lookups import Exact, IsNull

from . import encryption


class EmptyOnlyExact(Exact):
    """``field=""``: the one equality that means something on an encrypted column."""

    def get_prep_lookup(self):
        if self.rhs not in ("", b"", None):  # None: Django turns it into isnull
            raise FieldError(
                f"{self.lhs.output_field.__class__.__name__} is encrypted: it can only be "
                "compared with the empty value."
            )
        return super().get_prep_lookup()


class EncryptedMixin:
    """What every encrypted field shares: lookups limited to ``isnull`` and ``=""``."""

    encrypted = True

    def get_lookup(self, lookup_name):
        if lookup_name == "exact":
            return EmptyOnlyExact
        if lookup_name == "isnull":
            return IsNull
        return None

    def get_transform(self, lookup_name):
        return None


class EncryptedTextField(EncryptedMixin, models.TextField):
    """Text stored as a Fernet token; the empty string stays empty (an IBAN, a BIC)."""

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            return value
        value = self.get_prep_value(value)
        if value is None or value == "":
            return value
        return encryption.encrypt_text(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return encryption.decrypt_text(value)


class EncryptedJSONField(EncryptedMixin, models.TextField):
    """A JSON value (dict, list…) stored as one Fernet token in a text column."""

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            return value
        if value is None:
            return None
        return encryption.encrypt_json(value)

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return None
        return encryption.decrypt_json(value)

    def to_python(self, value):
        return value

    def get_prep_value(self, value):
        return value

    def value_to_string(self, obj):
        return self.value_from_object(obj)  # as JSONField: serialisers nest the value


class EncryptedBinaryField(EncryptedMixin, models.BinaryField):
    """Bytes stored as a Fernet token (a generated file); empty bytes stay empty."""

    def get_db_prep_save(self, value, connection):
        if hasattr(value, "as_sql"):
            return value
        if value is None:
            return None
        data = bytes(value)
        return super().get_db_prep_save(encryption.encrypt(data) if data else b"", connection)

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        data = bytes(value)
        return encryption.decrypt(data) if data else b""


# --- Whole columns: migrations and key rotation ----------------------------------------------


def encrypted_fields(model) -> list[models.Field]:
    return [
        field
        for field in model._meta.concrete_fields
        if getattr(field, "encrypted", False) and field.model is model
    ]


def models_with_encrypted_fields() -> Iterator[tuple[type[models.Model], list[models.Field]]]:
    """Every installed model (historical ones included) with its encrypted fields."""
    for model in apps.get_models():
        meta = model._meta
        if meta.proxy or not meta.managed:
            continue
        fields = encrypted_fields(model)
        if fields:
            yield model, fields


def _stored_as(field) -> models.Field:
    """The column read and written as it is, without the field's encryption."""
    return models.BinaryField() if isinstance(field, models.BinaryField) else models.TextField()


def rewrite_column(model, field, transform: Callable[[bytes], bytes | None]) -> int:
    """Apply ``transform`` to each stored (raw) non-empty value of ``field``'s column.

    ``transform`` gets the stored bytes and returns the bytes to store, or ``None``
    to leave the row alone. Rows are written with ``update()``: no signal, no
    ``auto_now``, no history row. Returns how many rows changed. ``model`` may be a
    migration's historical model.
    """
    plain = _stored_as(field)
    is_binary = isinstance(plain, models.BinaryField)
    rows = (
        model._base_manager.annotate(_stored=ExpressionWrapper(F(field.attname), plain))
        .filter(**{f"{field.attname}__isnull": False})
        .values_list("pk", "_stored")
    )
    changed = 0
    for pk, stored in list(rows.iterator(chunk_size=500)):
        data = bytes(stored) if is_binary else stored.encode("utf-8")
        if not data:
            continue
        new = transform(data)
        if new is None or new == data:
            continue
        value = new if is_binary else new.decode("utf-8")
        model._base_manager.filter(pk=pk).update(**{field.attname: Value(value, plain)})
        changed += 1
    return changed


def _encrypt_if_clear(data: bytes) -> bytes | None:
    return None if encryption.is_readable(data) else encryption.encrypt(data)


def _decrypt_if_token(data: bytes) -> bytes | None:
    return encryption.decrypt(data) if encryption.is_readable(data) else None


def encrypt_column(model, field_name: str) -> int:
    """Encrypt the clear values of a column (a data migration's forward step); idempotent."""
    return rewrite_column(model, model._meta.get_field(field_name), _encrypt_if_clear)


def decrypt_column(model, field_name: str) -> int:
    """Write the column's values back in clear (a data migration's backward step)."""
    return rewrite_column(model, model._meta.get_field(field_name), _decrypt_if_token)


def rotate_column(model, field) -> int:
    """Re-encrypt every value of the column with the current key."""
    return rewrite_column(model, field, encryption.rotate)
