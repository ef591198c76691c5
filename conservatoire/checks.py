"""System checks of the conservatoire app: the keys of the encryption at rest."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register

from . import encryption

GENERATE_KEY = (
    "python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())'"
)


@register(Tags.security)
def check_encryption_keys_are_valid(app_configs, **kwargs):
    """Each key of FIELD_ENCRYPTION_KEYS is a Fernet key (an error stops `manage.py`)."""
    return [
        Error(
            f"The key number {position} of FIELD_ENCRYPTION_KEYS is not a Fernet key "
            "(32 url-safe base64-encoded bytes).",
            hint=f"Generate one with: {GENERATE_KEY}",
            id="conservatoire.E001",
        )
        for position in encryption.invalid_keys()
    ]


@register(Tags.security, deploy=True)
def check_encryption_keys_are_set(app_configs, **kwargs):
    """`check --deploy`: with DEBUG off, bank details need a real key, not SECRET_KEY's."""
    if settings.DEBUG or encryption.configured_keys():
        return []
    return [
        Warning(
            "FIELD_ENCRYPTION_KEYS is not set: bank details are encrypted with a key derived "
            "from SECRET_KEY, meant for development only.",
            hint=(
                f"Generate a key ({GENERATE_KEY}), keep it apart from the database backups, "
                "set FIELD_ENCRYPTION_KEYS to it, then run `manage.py rotate_encryption_keys`."
            ),
            id="conservatoire.W001",
        )
    ]
