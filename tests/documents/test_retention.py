"""Retention: stored files go N months after their school year; the records stay."""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command

from documents import services
from documents.tasks import purge_expired_documents
from tests.factories import PreviousSchoolYearFactory

from .factories import DocumentFactory, DocumentFileFactory, DocumentTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def old_file(family):
    year = PreviousSchoolYearFactory()  # ends 2025-08-31
    document_type = DocumentTypeFactory(school_year=year)
    document = DocumentFactory(type=document_type, family=family, status="accepted")
    return DocumentFileFactory(document=document, original_name="ancien.pdf")


@pytest.fixture
def current_file(family, family_type):
    return DocumentFileFactory(document=DocumentFactory(type=family_type, family=family))


def test_files_are_deleted_after_retention_and_records_kept(old_file, current_file, settings):
    path = settings.MEDIA_ROOT / old_file.file.name
    assert path.exists()
    deleted = services.purge_expired_files(today=datetime.date(2026, 8, 31), months=12)
    assert deleted == 1
    assert not path.exists()
    old_file.refresh_from_db()
    assert old_file.deleted_at is not None
    assert old_file.original_name == "ancien.pdf"
    assert old_file.size > 0
    assert old_file.document.status == "accepted"
    current_file.refresh_from_db()
    assert current_file.deleted_at is None
    assert (settings.MEDIA_ROOT / current_file.file.name).exists()


def test_nothing_is_deleted_before_the_end_of_retention(old_file):
    assert services.purge_expired_files(today=datetime.date(2026, 8, 30), months=12) == 0


def test_command_uses_the_setting_and_supports_dry_run(old_file, settings, time_machine=None):
    settings.DOCUMENTS_RETENTION_MONTHS = 0
    out = StringIO()
    call_command("purge_documents", "--dry-run", stdout=out)
    assert "1 file(s) would be deleted (retention: 0 months)" in out.getvalue()
    old_file.refresh_from_db()
    assert old_file.deleted_at is None
    call_command("purge_documents", stdout=out)
    old_file.refresh_from_db()
    assert old_file.deleted_at is not None
    call_command("purge_documents", stdout=out)  # idempotent
    assert "0 file(s) deleted" in out.getvalue().splitlines()[-1]


def test_command_months_option(old_file):
    out = StringIO()
    call_command("purge_documents", "--months", "1200", stdout=out)
    assert "0 file(s) deleted (retention: 1200 months)" in out.getvalue()


def test_default_retention_is_twelve_months(settings):
    del settings.DOCUMENTS_RETENTION_MONTHS
    assert services.retention_months() == 12


def test_celery_task_purges(old_file, settings):
    settings.DOCUMENTS_RETENTION_MONTHS = 0
    assert purge_expired_documents.apply().get() == 1


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (datetime.date(2026, 8, 31), 12, datetime.date(2025, 8, 31)),
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2026, 1, 15), 13, datetime.date(2024, 12, 15)),
        (datetime.date(2026, 1, 15), 0, datetime.date(2026, 1, 15)),
    ],
)
def test_subtract_months(day, months, expected):
    assert services.subtract_months(day, months) == expected


def test_deleting_a_file_row_deletes_the_stored_file(
    current_file, settings, django_capture_on_commit_callbacks
):
    path = settings.MEDIA_ROOT / current_file.file.name
    with django_capture_on_commit_callbacks(execute=True):
        current_file.delete()
    assert not path.exists()
