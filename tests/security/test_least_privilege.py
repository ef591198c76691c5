"""Families' files: only the "Secrétariat" (or a superuser) reaches them among staff.

The README: "a staff member without this group (and not superuser) sees nothing
of the families". Being ``is_staff`` only opens the admin's door; listing or
downloading a family's files needs the documents permission
(``documents.view_documentfile``, held by the Secrétariat group). Any other
staff account gets 403 on every URL that serves family files to staff, whether
the file exists or not. URLs that only ever serve the logged-in family's own
files (the documents page, the recap PDF, the SEPA mandate) answer 404 to any
account without a family, staff included, as they always have: they serve no
other family's file to anyone.
"""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.urls import URLResolver, get_resolver, reverse

from documents import services
from documents.models import DocumentFile
from tests.documents.factories import MINIMAL_PDF, DocumentFactory, DocumentFileFactory
from tests.factories import FamilyFactory, ResponsibleFactory, StaffFactory, StudentFactory

pytestmark = pytest.mark.django_db

BACKEND = "accounts.backends.IdentifierBackend"
DOWNLOAD_PERMISSION = "documents.view_documentfile"


@pytest.fixture
def martin_file(db):
    """A file the Martin family sent (their QF certificate)."""
    return DocumentFileFactory(
        document=DocumentFactory(family=FamilyFactory(name="Martin")), original_name="qf.pdf"
    )


@pytest.fixture
def secretary(db):
    call_command("setup_groups", stdout=io.StringIO(), stderr=io.StringIO())
    user = StaffFactory(is_superuser=False, username="secretaire")
    user.groups.add(Group.objects.get(name="Secrétariat"))
    return user


@pytest.fixture
def intern(db):
    """Staff (``is_staff``) outside the Secrétariat group, without any permission."""
    return StaffFactory(is_superuser=False, username="stagiaire")


@pytest.fixture
def accountant(db):
    """Staff outside the group holding other permissions (billing, families), not documents'.

    Their billing permission opens the billing exports, not the families' files.
    """
    user = StaffFactory(is_superuser=False, username="comptable")
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label__in=["billing", "accounts"], codename__startswith="view_"
        )
    )
    return user


@pytest.fixture
def superuser(db):
    return StaffFactory(username="admin")


@pytest.fixture
def recap_zip(secretary):
    """A finished ZIP of recaps, requested by the secretary."""
    ExportJob = apps.get_model("reinscription", "ExportJob")
    name = default_storage.save("exports/recaps.zip", ContentFile(b"PK\x05\x06" + b"\0" * 18))
    return ExportJob.objects.create(
        status=ExportJob.Status.DONE, total=1, done=1, file_name=name, created_by=secretary
    )


def login(client, user):
    client.force_login(user, backend=BACKEND)
    return client


def family_files_urls_for_staff(document_file) -> list[tuple[str, str, dict | None, str]]:
    """Every URL that lists or serves families' files to staff.

    (method, url, data, the permission that opens it).
    """
    document = document_file.document
    recap_zip_action = {"action": "download_recaps", "_selected_action": ["1"]}
    invoices = {"export": "invoices_csv", "school_year": document.type.school_year_id}
    file_url = reverse("documents:download", args=[document_file.pk])
    return [
        ("get", file_url, None, "documents.view_documentfile"),
        # No existence oracle: a file that does not exist answers the same.
        ("get", reverse("documents:download", args=[999_999]), None, "documents.view_documentfile"),
        ("get", reverse("admin:documents_document_changelist"), None, "documents.view_document"),
        (
            "get",
            reverse("admin:documents_document_change", args=[document.pk]),
            None,
            "documents.view_document",
        ),
        (
            "get",
            reverse("admin:documents_document_history", args=[document.pk]),
            None,
            "documents.view_document",
        ),
        (
            "get",
            reverse("admin:reinscription_reenrolment_recap", args=[1]),
            None,
            "reinscription.view_reenrolment",
        ),
        (
            "post",
            reverse("admin:reinscription_reenrolment_changelist"),
            recap_zip_action,
            "reinscription.view_reenrolment",
        ),
        ("get", reverse("admin:billing_familybilling_exports"), None, "billing.view_familybilling"),
        (
            "post",
            reverse("admin:billing_familybilling_exports"),
            invoices,
            "billing.view_familybilling",
        ),
    ]


def _request(client, method, url, data):
    return client.post(url, data) if method == "post" else client.get(url, data)


def _served_a_file(response) -> bool:
    if getattr(response, "streaming", False):
        return True
    return response.get("Content-Disposition", "").startswith("attachment")


# --- Staff outside the group: 403 everywhere families' files are served to staff -------------


@pytest.mark.parametrize("who", ["intern", "accountant"])
def test_staff_outside_the_secretariat_gets_403_on_every_download_of_family_files(
    request, client, who, martin_file
):
    user = request.getfixturevalue(who)
    login(client, user)
    refused = []
    for method, url, data, permission in family_files_urls_for_staff(martin_file):
        if user.has_perm(permission):  # the accountant's billing exports
            continue
        response = _request(client, method, url, data)
        if response.status_code != 403 or _served_a_file(response):
            served = " (file served)" if _served_a_file(response) else ""
            refused.append(f"{method.upper()} {url}: {response.status_code}{served}")
    assert refused == [], "expected 403 for staff outside the Secrétariat:\n" + "\n".join(refused)


def test_staff_outside_the_secretariat_gets_403_on_a_recap_zip(client, intern, recap_zip):
    response = login(client, intern).get(
        reverse("admin:reinscription_exportjob_download", args=[recap_zip.pk])
    )
    assert not _served_a_file(response)
    assert response.status_code == 403


def test_the_secretary_downloads_the_recap_zip_she_asked_for(client, secretary, recap_zip):
    response = login(client, secretary).get(
        reverse("admin:reinscription_exportjob_download", args=[recap_zip.pk])
    )
    assert response.status_code == 200
    assert _served_a_file(response)


def test_family_only_urls_serve_nothing_to_staff_without_family(client, intern, martin_file):
    """Family pages answer 404 to any account without a family (staff included)."""
    student = StudentFactory(family=martin_file.document.family)
    login(client, intern)
    for method, url in [
        ("get", reverse("documents:list")),
        ("post", reverse("documents:upload")),
        ("get", reverse("reinscription:recap_pdf", args=[student.pk])),
        ("get", reverse("billing:mandate_pdf")),
    ]:
        response = _request(client, method, url, None)
        assert response.status_code == 404, url
        assert not _served_a_file(response), url


def test_every_documents_url_is_classified():
    """A new URL in documents/urls.py must be added to one of the lists above."""
    known = {"list", "upload", "download"}

    def names(patterns):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if pattern.namespace == "documents":
                    yield from (p.name for p in pattern.url_patterns)
                else:
                    yield from names(pattern.url_patterns)

    assert set(names(get_resolver().url_patterns)) == known


# --- Who keeps access ------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["secretary", "superuser"])
def test_the_secretariat_and_superusers_download_any_familys_file(
    request, client, who, martin_file
):
    response = login(client, request.getfixturevalue(who)).get(
        reverse("documents:download", args=[martin_file.pk])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == MINIMAL_PDF


def test_the_secretariat_lists_the_documents_with_their_file_links(client, secretary, martin_file):
    login(client, secretary)
    change = client.get(reverse("admin:documents_document_change", args=[martin_file.document_id]))
    assert change.status_code == 200
    assert reverse("documents:download", args=[martin_file.pk]) in change.content.decode()


def test_a_family_downloads_its_own_files_only(client, martin_file):
    responsible = ResponsibleFactory(family=martin_file.document.family)
    other = DocumentFileFactory()
    login(client, responsible)
    assert client.get(reverse("documents:download", args=[martin_file.pk])).status_code == 200
    assert client.get(reverse("documents:download", args=[other.pk])).status_code == 404


def test_a_staff_member_who_is_also_a_parent_keeps_their_familys_files_only(client, martin_file):
    parent = ResponsibleFactory(family=martin_file.document.family, is_staff=True)
    other = DocumentFileFactory()
    login(client, parent)
    assert client.get(reverse("documents:download", args=[martin_file.pk])).status_code == 200
    assert client.get(reverse("documents:download", args=[other.pk])).status_code == 403


def test_visible_files_q_follows_the_permission_not_is_staff(
    martin_file, intern, accountant, secretary, superuser
):
    other = DocumentFileFactory()
    responsible = ResponsibleFactory(family=martin_file.document.family)
    expected = {
        intern: set(),
        accountant: set(),
        secretary: {martin_file.pk, other.pk},
        superuser: {martin_file.pk, other.pk},
        responsible: {martin_file.pk},
    }
    for user, pks in expected.items():
        visible = set(
            DocumentFile.objects.filter(services.visible_files_q(user)).values_list("pk", flat=True)
        )
        assert visible == pks, user.username
    assert intern.has_perm(DOWNLOAD_PERMISSION) is False
    assert secretary.has_perm(DOWNLOAD_PERMISSION) is True
