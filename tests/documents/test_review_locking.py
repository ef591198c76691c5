"""A review acts on the document as the reviewer saw it, or not at all.

Between the moment a reviewer opens a document and the click, another reviewer
may decide on it or the family may send a new file: ``accept`` and ``refuse``
lock the row and compare it with the version the reviewer loaded.
"""

import pytest
from django.core import mail
from django.urls import reverse

from conservatoire.models import OutboxEmail
from documents import services
from documents.models import Document
from tests.factories import StaffFactory

from .factories import DocumentFactory, DocumentFileFactory, pdf_upload

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:documents_document_changelist"


@pytest.fixture
def received(family, family_type, responsible):
    document = DocumentFactory(type=family_type, family=family, status="received")
    DocumentFileFactory(document=document, original_name="qf.pdf")
    return document


def loaded(document) -> tuple[Document, str]:
    """The document as a reviewer's page loads it, and the version that page carries."""
    document = Document.objects.get(pk=document.pk)
    return document, services.review_version(document)


# --- The services -------------------------------------------------------------------


def test_accept_acts_on_the_version_the_reviewer_loaded(received, staff_user):
    document, version = loaded(received)
    assert services.accept(document, staff_user, expected_version=version)
    received.refresh_from_db()
    assert received.status == "accepted"
    assert received.reviewed_by == staff_user


def test_accept_refuses_to_act_once_another_reviewer_refused(received, staff_user):
    document, version = loaded(received)
    other, other_version = loaded(received)
    assert services.refuse(other, "Illisible.", StaffFactory(), expected_version=other_version)
    with pytest.raises(services.DocumentChanged):
        services.accept(document, staff_user, expected_version=version)
    received.refresh_from_db()
    assert (received.status, received.refusal_reason) == ("refused", "Illisible.")


def test_a_new_file_after_a_refusal_is_not_accepted_unseen(received, family_type, staff_user):
    """Received, refused, received again: the status is the same, the file is not."""
    document, version = loaded(received)
    refused, refused_version = loaded(received)
    services.refuse(refused, "Illisible.", StaffFactory(), expected_version=refused_version)
    services.save_upload(family_type, received.family, None, pdf_upload(), None)
    assert Document.objects.get(pk=received.pk).status == "received"
    with pytest.raises(services.DocumentChanged):
        services.accept(document, staff_user, expected_version=version)
    assert Document.objects.get(pk=received.pk).status == "received"


def test_refuse_refuses_to_act_once_another_reviewer_accepted(
    received, staff_user, django_capture_on_commit_callbacks
):
    document, version = loaded(received)
    other, other_version = loaded(received)
    assert services.accept(other, StaffFactory(), expected_version=other_version)
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(services.DocumentChanged):
            services.refuse(document, "Illisible.", staff_user, expected_version=version)
    received.refresh_from_db()
    assert received.status == "accepted"
    assert not OutboxEmail.objects.filter(kind="document_refused").exists()
    assert not mail.outbox


def test_the_same_decision_twice_acts_once(received, staff_user):
    """A double click: the second one finds the document changed."""
    document, version = loaded(received)
    assert services.accept(document, staff_user, expected_version=version)
    with pytest.raises(services.DocumentChanged):
        services.accept(loaded(received)[0], staff_user, expected_version=version)
    assert Document.history.filter(id=received.pk, status="accepted").count() == 1


# --- The admin ------------------------------------------------------------------------


def test_the_document_page_carries_the_version_it_shows(staff_client, received):
    response = staff_client.get(reverse("admin:documents_document_change", args=[received.pk]))
    version = services.review_version(received)
    assert f'name="review_version" value="{version}"' in response.content.decode()


def test_accepting_a_document_changed_since_the_page_was_opened_says_so(staff_client, received):
    _document, version = loaded(received)
    other, other_version = loaded(received)
    services.refuse(other, "Illisible.", StaffFactory(), expected_version=other_version)
    response = staff_client.post(
        reverse("admin:documents_document_accept", args=[received.pk]),
        {"review_version": version},
        follow=True,
    )
    content = response.content.decode()
    assert "Ce document a changé depuis que vous l’avez ouvert" in content
    received.refresh_from_db()
    assert received.status == "refused"


def test_refusing_from_the_document_page_checks_the_version_too(staff_client, received):
    url = reverse("admin:documents_document_refuse", args=[received.pk])
    page = staff_client.get(url).content.decode()
    version = services.review_version(received)
    assert f'name="review_version_{received.pk}" value="{version}"' in page
    other, other_version = loaded(received)
    services.accept(other, StaffFactory(), expected_version=other_version)
    response = staff_client.post(
        url, {"reason": "Illisible.", f"review_version_{received.pk}": version}, follow=True
    )
    assert "Ce document a changé depuis que vous l’avez ouvert" in response.content.decode()
    received.refresh_from_db()
    assert received.status == "accepted"


@pytest.mark.parametrize("shown", ["", "all"], ids=["waiting-list", "every-status"])
def test_the_list_carries_each_version_and_the_action_skips_what_changed(
    staff_client, received, student_type, family, student, shown
):
    """On the waiting list the refused document no longer matches the filter; on the
    list of every status, its version no longer matches: either way it is left, and said."""
    second = DocumentFactory(type=student_type, family=family, student=student)
    DocumentFileFactory(document=second)
    url = reverse(CHANGELIST) + (f"?status={shown}" if shown else "")
    page = staff_client.get(url).content.decode()
    versions = {}
    for document in (received, second):
        versions[document.pk] = services.review_version(document)
        assert f'name="review_version_{document.pk}" value="{versions[document.pk]}"' in page
    # While the list is open, another reviewer refuses the first document.
    other, other_version = loaded(received)
    services.refuse(other, "Illisible.", StaffFactory(), expected_version=other_version)
    response = staff_client.post(
        url,
        {
            "action": "accept_selected",
            "_selected_action": [received.pk, second.pk],
            **{f"review_version_{pk}": version for pk, version in versions.items()},
        },
        follow=True,
    )
    content = response.content.decode()
    assert "1 document accepté." in content
    assert "1 document a changé depuis l’affichage de la liste" in content
    received.refresh_from_db()
    second.refresh_from_db()
    assert (received.status, second.status) == ("refused", "accepted")


def test_the_refusal_page_keeps_the_versions_of_the_list(staff_client, received):
    version = services.review_version(received)
    # The list was displayed, then the family sent a new file, then the reviewer asked
    # to refuse: the refusal page carries the version the list showed, not the new one.
    Document.objects.filter(pk=received.pk).update(received_at="2025-09-02T10:00:00Z")
    page = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "refuse_selected",
            "_selected_action": [received.pk],
            f"review_version_{received.pk}": version,
        },
    ).content.decode()
    assert f'name="review_version_{received.pk}" value="{version}"' in page
    response = staff_client.post(
        reverse(CHANGELIST),
        {
            "action": "refuse_selected",
            "_selected_action": [received.pk],
            "apply": "1",
            "reason": "Illisible.",
            f"review_version_{received.pk}": version,
        },
        follow=True,
    )
    assert "1 document a changé depuis l’affichage de la liste" in response.content.decode()
    received.refresh_from_db()
    assert received.status == "received"
