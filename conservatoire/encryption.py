"""Encryption at rest of bank details: Fernet tokens, keys from ``FIELD_ENCRYPTION_KEYS``.

``settings.FIELD_ENCRYPTION_KEYS`` lists Fernet keys (the environment variable is
comma-separated): the first encrypts, every one decrypts (``MultiFernet``), so a new
key goes first, ``manage.py rotate_encryption_keys`` re-encrypts every value with it,
and the old key can then be dropped.

Without keys, a key derived from ``SECRET_KEY`` encrypts: for development only
(``make run`` on a bare machine); ``check --deploy`` warns about it
(:mod:`conservatoire.checks`). That derived key always stays last in the list, for
decryption, so values written before keys were configured stay readable until
``rotate_encryption_keys`` has re-encrypted them.

The model fields are in :mod:`conservatoire.fields`.
"""

import base64
import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.crypto import salted_hmac

DEVELOPMENT_KEY_SALT = "conservatoire.encryption.development-key"


class DecryptionError(ValueError):
    """A stored value that none of the keys decrypts (a key dropped too early, or
    ``SECRET_KEY`` changed while no ``FIELD_ENCRYPTION_KEYS`` were set)."""


def configured_keys() -> list[str]:
    """The keys of ``settings.FIELD_ENCRYPTION_KEYS``, current first (may be empty)."""
    keys = getattr(settings, "FIELD_ENCRYPTION_KEYS", None) or []
    if isinstance(keys, str):
        keys = keys.split(",")
    return [key.strip() for key in keys if key.strip()]


def development_key() -> str:
    """A Fernet key derived from ``SECRET_KEY``: development only, see the module's doc."""
    digest = salted_hmac(
        DEVELOPMENT_KEY_SALT, "field-encryption", secret=settings.SECRET_KEY, algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest).decode("ascii")


def invalid_keys() -> list[int]:
    """Positions (from 1) of the configured keys that are not Fernet keys."""
    invalid = []
    for position, key in enumerate(configured_keys(), start=1):
        try:
            Fernet(key)
        except ValueError:
            invalid.append(position)
    return invalid


def fernet() -> MultiFernet:
    """The ``MultiFernet`` of the keys in force (built once per set of keys)."""
    keys = configured_keys()
    development = development_key()
    return _multi_fernet((*keys, development) if development not in keys else tuple(keys))


@lru_cache(maxsize=8)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
            "(32 url-safe base64-encoded bytes): see `manage.py check`."
        ) from None


# --- Bytes, text, JSON ---------------------------------------------------------------------


def encrypt(data: bytes) -> bytes:
    return fernet().encrypt(data)


def decrypt(token: bytes) -> bytes:
    try:
        return fernet().decrypt(token)
    except InvalidToken:
        raise DecryptionError(
            "A stored value is not readable with FIELD_ENCRYPTION_KEYS: was a key removed "
            "before `rotate_encryption_keys` ran, or SECRET_KEY changed without keys set?"
        ) from None


def rotate(token: bytes) -> bytes:
    """The same value encrypted with the current key (``MultiFernet.rotate``)."""
    try:
        return fernet().rotate(token)
    except InvalidToken:
        raise DecryptionError(
            "A stored value is not readable with FIELD_ENCRYPTION_KEYS."
        ) from None


def is_readable(token: bytes) -> bool:
    """Whether ``token`` is a token that the keys in force decrypt."""
    try:
        fernet().decrypt(token)
    except InvalidToken:
        return False
    return True


def encrypt_text(text: str) -> str:
    return encrypt(text.encode("utf-8")).decode("ascii")


def decrypt_text(token: str) -> str:
    return decrypt(token.encode("utf-8")).decode("utf-8")


def encrypt_json(value: Any) -> str:
    """A JSON-serialisable value (dates and decimals as Django writes them) as a token."""
    return encrypt_text(json.dumps(value, cls=DjangoJSONEncoder, separators=(",", ":")))


def decrypt_json(token: str) -> Any:
    return json.loads(decrypt_text(token))
