"""In CI's second pass: the database really is PostgreSQL and a real worker consumes tasks."""

import pytest
from django.core import mail
from django.db import connection, transaction

from conservatoire.emails import enqueue_outbox_email
from conservatoire.models import OutboxEmail
from tests.polling import wait_until

pytestmark = [pytest.mark.integration]


@pytest.mark.django_db
def test_database_is_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


def test_a_real_worker_consumes_a_queued_email(celery_worker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    with transaction.atomic():
        email = OutboxEmail.objects.create(
            kind="test", to=["famille@example.org"], subject="Essai", body_text="Bonjour"
        )
        transaction.on_commit(lambda: enqueue_outbox_email(email.pk))
    wait_until(lambda: OutboxEmail.objects.get(pk=email.pk).status == OutboxEmail.Status.SENT)
    assert [m.to for m in mail.outbox] == [["famille@example.org"]]
