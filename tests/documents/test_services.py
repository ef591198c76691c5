"""requested_documents(), save_upload() and the facts provider."""

import pytest
from django.core.exceptions import ValidationError

from documents import services
from documents.models import Document, DocumentFile
from documents.rules import FamilyFacts, StudentFacts
from tests.factories import FamilyFactory, SchoolYearFactory, StudentFactory

from .factories import (
    DocumentFactory,
    DocumentFileFactory,
    DocumentTypeFactory,
    pdf_upload,
    png_upload,
)

pytestmark = pytest.mark.django_db

RESIDENT_QF_DEBIT_CHANGED = FamilyFacts(
    is_resident=True, wants_qf_tariff=True, pays_by_direct_debit=True, bank_changed=True
)
NON_RESIDENT_CHEQUE = FamilyFacts(
    is_resident=False, wants_qf_tariff=False, pays_by_direct_debit=False, bank_changed=False
)
DANCER = StudentFacts(disciplines=frozenset({"dance"}), is_adult=False)
MUSICIAN = StudentFacts(disciplines=frozenset({"music"}), is_adult=False)


@pytest.fixture
def demo_types(school_year):
    from documents.demo import ensure_demo_document_types

    return {t.code: t for t in ensure_demo_document_types(school_year)}


def codes(rows):
    return [(row.type.code, row.student.first_name if row.student else None) for row in rows]


def test_requested_documents_follow_the_rules(family, school_year, demo_types):
    lea = StudentFactory(family=family, first_name="Léa")
    hugo = StudentFactory(family=family, first_name="Hugo")
    rows = services.requested_documents(
        family, school_year, RESIDENT_QF_DEBIT_CHANGED, [(lea, DANCER), (hugo, MUSICIAN)]
    )
    assert codes(rows) == [
        ("attestation-qf", None),
        ("justificatif-domicile", None),
        ("mandat-sepa", None),
        ("rib", None),
        ("certificat-medical-danse", "Léa"),
    ]
    assert {row.status for row in rows} == {"missing"}
    assert rows[2].is_sepa_mandate


def test_non_resident_paying_once_has_nothing_to_send(family, school_year, demo_types):
    hugo = StudentFactory(family=family)
    assert (
        services.requested_documents(family, school_year, NON_RESIDENT_CHEQUE, [(hugo, MUSICIAN)])
        == []
    )


def test_rows_carry_status_reason_and_current_files(family, school_year, demo_types):
    document = DocumentFactory(
        type=demo_types["justificatif-domicile"],
        family=family,
        status=Document.Status.REFUSED,
        refusal_reason="Illisible",
    )
    DocumentFileFactory(document=document, original_name="ancien.pdf")
    kept = DocumentFileFactory(document=document, original_name="recto.pdf")
    DocumentFileFactory(
        document=document, original_name="purge.pdf", deleted_at="2020-01-01T00:00Z"
    )
    rows = services.requested_documents(family, school_year, RESIDENT_QF_DEBIT_CHANGED, [])
    row = next(r for r in rows if r.type.code == "justificatif-domicile")
    assert row.status == "refused"
    assert row.status_label == "refusé"
    assert row.refusal_reason == "Illisible"
    assert [f.original_name for f in row.files] == ["ancien.pdf", "recto.pdf"]
    assert kept in row.files


def test_other_years_and_inactive_types_are_ignored(family, school_year, demo_types):
    other_year = SchoolYearFactory(label="2030-2031", starts_on="2030-09-01", ends_on="2031-08-31")
    DocumentTypeFactory(school_year=other_year, rule="always")
    DocumentTypeFactory(school_year=school_year, rule="always", active=False)
    rows = services.requested_documents(family, school_year, NON_RESIDENT_CHEQUE, [])
    assert rows == []


def test_include_existing_lists_documents_sent_but_no_longer_requested(
    family, school_year, demo_types
):
    lea = StudentFactory(family=family, first_name="Léa")
    DocumentFactory(type=demo_types["certificat-medical-danse"], family=family, student=lea)
    DocumentFactory(type=demo_types["rib"], family=FamilyFactory())  # another family's
    assert (
        services.requested_documents(family, school_year, NON_RESIDENT_CHEQUE, [(lea, MUSICIAN)])
        == []
    )
    rows = services.requested_documents(
        family, school_year, NON_RESIDENT_CHEQUE, [(lea, MUSICIAN)], include_existing=True
    )
    assert codes(rows) == [("certificat-medical-danse", "Léa")]
    assert rows[0].status == "received"


@pytest.mark.parametrize("student_count", [1, 5])
def test_query_count_does_not_depend_on_students(
    student_count, family, school_year, demo_types, django_assert_num_queries
):
    students = [(StudentFactory(family=family), DANCER) for _ in range(student_count)]
    for student, _facts in students:
        document = DocumentFactory(
            type=demo_types["certificat-medical-danse"], family=family, student=student
        )
        DocumentFileFactory(document=document)
    DocumentFileFactory(document=DocumentFactory(type=demo_types["rib"], family=family))
    with django_assert_num_queries(3):
        rows = services.requested_documents(
            family, school_year, RESIDENT_QF_DEBIT_CHANGED, students
        )
        for row in rows:
            [f.original_name for f in row.files]
            str(row.student)
    assert len(rows) == 4 + student_count


def test_save_upload_stores_under_a_random_private_name(family, family_type, responsible, settings):
    stored = services.save_upload(
        family_type, family, None, pdf_upload("../../Mon\x07 QF.pdf"), responsible
    )
    assert stored.original_name == "Mon QF.pdf"
    assert stored.content_type == "application/pdf"
    assert stored.file.name.startswith("documents/")
    assert stored.file.name.endswith(".pdf")
    assert "QF" not in stored.file.name
    assert len(stored.file.name.removeprefix("documents/").removesuffix(".pdf")) == 32
    assert (settings.MEDIA_ROOT / stored.file.name).read_bytes().startswith(b"%PDF-")
    assert stored.uploaded_by == responsible
    document = stored.document
    assert document.status == "received"
    assert document.received_at is not None
    second = services.save_upload(family_type, family, None, png_upload(), responsible)
    assert second.file.name != stored.file.name
    assert second.document == document
    assert document.files.count() == 2


def test_refused_document_is_replaced_by_the_new_upload(family, family_type, responsible):
    old = services.save_upload(family_type, family, None, pdf_upload("flou.pdf"), responsible)
    document = old.document
    document.status, document.refusal_reason = "refused", "Illisible"
    document.save()
    new = services.save_upload(family_type, family, None, png_upload("net.png"), responsible)
    old.refresh_from_db()
    document.refresh_from_db()
    assert old.replaced_at is not None
    assert document.status == "received"
    assert list(document.files.current()) == [new]
    assert document.history.count() >= 3


def test_accepted_document_takes_no_more_files(family, family_type, responsible):
    document = services.save_upload(family_type, family, None, pdf_upload(), responsible).document
    document.status = "accepted"
    document.save()
    with pytest.raises(ValidationError) as info:
        services.save_upload(family_type, family, None, pdf_upload(), responsible)
    assert "a déjà été accepté" in info.value.messages[0]
    assert DocumentFile.objects.count() == 1


def test_refused_file_leaves_nothing_behind(family, family_type, responsible, settings):
    with pytest.raises(ValidationError):
        services.save_upload(
            family_type, family, None, pdf_upload("x.pdf", b"hello" * 100), responsible
        )
    assert not Document.objects.exists()
    assert not (settings.MEDIA_ROOT / "documents").exists() or not any(
        (settings.MEDIA_ROOT / "documents").iterdir()
    )


def test_per_student_type_needs_a_student_of_the_family(family, student_type, responsible):
    with pytest.raises(ValueError):
        services.save_upload(student_type, family, None, pdf_upload(), responsible)
    with pytest.raises(ValueError):
        services.save_upload(student_type, family, StudentFactory(), pdf_upload(), responsible)


def test_default_facts_come_from_the_accounts_models(school_year):
    family = FamilyFactory(is_resident=True, qf_value=900)
    adult = StudentFactory(family=family, is_adult_learner=True)
    child = StudentFactory(family=family, birth_date="2015-01-01")
    grown = StudentFactory(family=family, birth_date="2007-08-31")
    facts, students = services.family_facts(family, school_year)
    assert facts == FamilyFacts(
        is_resident=True, wants_qf_tariff=True, pays_by_direct_debit=False, bank_changed=False
    )
    assert dict((s, f.is_adult) for s, f in students) == {adult: True, child: False, grown: True}
    no_qf = FamilyFactory(is_resident=True, qf_value=None)
    assert services.family_facts(no_qf, school_year)[0].wants_qf_tariff is False
    outside = FamilyFactory(is_resident=False, qf_value=900)
    assert services.family_facts(outside, school_year)[0].wants_qf_tariff is False


def custom_provider(family, school_year):
    return (
        FamilyFacts(
            is_resident=False, wants_qf_tariff=False, pays_by_direct_debit=True, bank_changed=True
        ),
        [],
    )


def test_facts_provider_is_pluggable(settings, family, school_year):
    settings.DOCUMENTS_FACTS_PROVIDER = "tests.documents.test_services.custom_provider"
    assert services.family_facts(family, school_year)[0].bank_changed is True


def test_demo_types_are_idempotent(school_year):
    from documents.demo import ensure_demo_document_types

    first = ensure_demo_document_types(school_year)
    second = ensure_demo_document_types(school_year)
    assert [t.pk for t in first] == [t.pk for t in second]
    assert len(first) == 5
    for document_type in first:
        document_type.full_clean()
