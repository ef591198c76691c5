"""On PostgreSQL: two reviewers deciding on one document at the same instant, one acts."""

import threading

import pytest
from django.db import connection

from conservatoire.models import OutboxEmail
from documents import services
from documents.models import Document
from tests.documents.factories import DocumentFactory, DocumentFileFactory, DocumentTypeFactory
from tests.factories import ResponsibleFactory, SchoolYearFactory, StaffFactory
from tests.polling import wait_until

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_an_accept_and_a_refusal_at_once_leave_one_decision(celery_worker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert connection.vendor == "postgresql"
    responsible = ResponsibleFactory(email="parent@example.org")
    document_type = DocumentTypeFactory(school_year=SchoolYearFactory(), name="RIB")
    document = DocumentFactory(type=document_type, family=responsible.family)
    DocumentFileFactory(document=document)
    version = services.review_version(Document.objects.get(pk=document.pk))
    reviewers = [StaffFactory(), StaffFactory()]

    barrier = threading.Barrier(2)
    outcomes = {}

    def review(kind, reviewer):
        loaded = Document.objects.get(pk=document.pk)  # each reviewer's page
        barrier.wait()
        try:
            if kind == "accept":
                outcomes[kind] = services.accept(loaded, reviewer, expected_version=version)
            else:
                outcomes[kind] = services.refuse(
                    loaded, "Le RIB est illisible.", reviewer, expected_version=version
                )
        except services.DocumentChanged:
            outcomes[kind] = "changed"
        finally:
            connection.close()

    threads = [
        threading.Thread(target=review, args=(kind, reviewer))
        for kind, reviewer in zip(("accept", "refuse"), reviewers, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(map(str, outcomes.values())) == ["True", "changed"], outcomes
    document.refresh_from_db()
    winner = "accept" if outcomes["accept"] is True else "refuse"
    assert document.status == {"accept": "accepted", "refuse": "refused"}[winner]
    history = Document.history.filter(id=document.pk).exclude(status="received")
    assert history.count() == 1
    refusals = OutboxEmail.objects.filter(kind="document_refused")
    if winner == "refuse":
        wait_until(lambda: refusals.filter(status=OutboxEmail.Status.SENT).count() == 1, 30)
    else:
        assert not refusals.exists()
