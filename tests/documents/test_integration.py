"""Second pass (PostgreSQL + Redis): a refusal email goes through the real broker and worker."""

import pytest
from django.core import mail

from conservatoire.models import OutboxEmail
from documents import services
from tests.factories import ResponsibleFactory, SchoolYearFactory, StaffFactory
from tests.polling import wait_until

from .factories import DocumentFactory, DocumentFileFactory, DocumentTypeFactory

pytestmark = [pytest.mark.integration]


def test_refusal_email_is_sent_by_a_real_worker(celery_worker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    responsible = ResponsibleFactory(email="parent@example.org")
    document_type = DocumentTypeFactory(school_year=SchoolYearFactory(), name="RIB")
    document = DocumentFactory(type=document_type, family=responsible.family)
    DocumentFileFactory(document=document)

    assert services.refuse(document, "Le RIB est illisible.", StaffFactory())

    outbox = OutboxEmail.objects.get(kind="document_refused")
    wait_until(lambda: OutboxEmail.objects.get(pk=outbox.pk).status == OutboxEmail.Status.SENT)
    assert [m.to for m in mail.outbox] == [["parent@example.org"]]
    assert "Le RIB est illisible." in mail.outbox[0].body
