"""Private downloads: the owner family or staff, nobody else, never a public URL."""

import pytest
from django.urls import reverse

from .factories import MINIMAL_PDF, DocumentFactory, DocumentFileFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_file(family, family_type):
    return DocumentFileFactory(
        document=DocumentFactory(type=family_type, family=family), original_name="mon QF.pdf"
    )


def url(document_file):
    return reverse("documents:download", args=[document_file.pk])


def test_family_downloads_its_file_as_an_attachment(family_client, own_file):
    response = family_client.get(url(own_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert (
        "mon%20QF.pdf" in response["Content-Disposition"]
        or "mon QF.pdf" in response["Content-Disposition"]
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_another_family_gets_404(client, own_file, other_responsible):
    client.force_login(other_responsible, backend="accounts.backends.IdentifierBackend")
    assert client.get(url(own_file)).status_code == 404


def test_anonymous_goes_to_login(client, own_file):
    response = client.get(url(own_file))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_staff_can_download(staff_client, own_file):
    response = staff_client.get(url(own_file))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_user_without_family_nor_staff_gets_404(client, own_file):
    from accounts.models import User

    user = User.objects.create_user(username="visiteur", password="x")
    client.force_login(user, backend="accounts.backends.IdentifierBackend")
    assert client.get(url(own_file)).status_code == 404


def test_purged_file_is_404(family_client, own_file):
    from django.utils import timezone

    own_file.deleted_at = timezone.now()
    own_file.save()
    assert family_client.get(url(own_file)).status_code == 404


def test_file_missing_from_storage_is_404(family_client, own_file):
    own_file.file.storage.delete(own_file.file.name)
    assert family_client.get(url(own_file)).status_code == 404


def test_media_folder_is_not_served(client, family_client, own_file, settings):
    public = settings.MEDIA_URL + own_file.file.name
    assert client.get(public).status_code == 404
    assert family_client.get(public).status_code == 404
    assert family_client.get("/media/" + own_file.file.name).status_code == 404
