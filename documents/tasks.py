"""Celery tasks of the documents app."""

from celery import shared_task

from . import services


@shared_task
def purge_expired_documents() -> int:
    """Delete the stored files past retention (Celery beat, daily); keep the records."""
    return services.purge_expired_files()
