"""``rotate_encryption_keys``: re-encrypt every encrypted value with the current key.

After putting a new key first in ``FIELD_ENCRYPTION_KEYS`` (the old ones after it),
run this command; once it has finished, the old keys can be removed. It covers every
model field of :mod:`conservatoire.fields`, historical tables included.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from conservatoire import encryption
from conservatoire.fields import models_with_encrypted_fields, rotate_column


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted value (IBANs, sealed wizard steps, debit files…) with "
        "the first key of FIELD_ENCRYPTION_KEYS; the other keys may then be removed."
    )

    def handle(self, *args, **options):
        if not encryption.configured_keys():
            self.stderr.write(
                "FIELD_ENCRYPTION_KEYS is not set: the values are re-encrypted with the "
                "development key derived from SECRET_KEY."
            )
        total = 0
        for model, fields in models_with_encrypted_fields():
            with transaction.atomic():
                for field in fields:
                    count = rotate_column(model, field)
                    total += count
                    if count:
                        self.stdout.write(f"{model._meta.label}.{field.name}: {count}")
        self.stdout.write(f"{total} value(s) re-encrypted with the current key.")
