"""Keep the storage in step with the database: a deleted file row deletes its file."""

import logging

from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver

from .models import DocumentFile

logger = logging.getLogger(__name__)


@receiver(post_delete, sender=DocumentFile)
def delete_stored_file(sender, instance: DocumentFile, **kwargs):
    name = instance.file.name
    if not name:
        return
    storage = instance.file.storage

    def delete():
        try:
            storage.delete(name)
        except Exception:
            logger.exception("Could not delete stored file %s", name)

    transaction.on_commit(delete)
