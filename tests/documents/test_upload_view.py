"""Uploading from the documents table (wizard step 5 or "Mes documents")."""

import pytest
from django.urls import reverse

from documents.models import Document, DocumentFile
from documents.validators import MAX_FILE_SIZE
from tests.factories import StudentFactory

from .factories import MINIMAL_PDF, DocumentFactory, DocumentFileFactory, bomb_png, image_bytes

pytestmark = pytest.mark.django_db


def post(client, url, document_type, files, student=None, next_url=None, follow=False):
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {
        "document_type": document_type.pk,
        "files": [SimpleUploadedFile(name, content) for name, content in files],
    }
    if student is not None:
        data["student"] = student.pk
    if next_url is not None:
        data["next"] = next_url
    return client.post(url, data, follow=follow)


def test_valid_files_are_stored_and_the_family_is_thanked(
    family_client, upload_url, family_type, family
):
    files = [
        ("recto.pdf", MINIMAL_PDF),
        ("verso.jpg", image_bytes("JPEG")),
        ("p3.png", image_bytes("PNG")),
    ]
    response = post(family_client, upload_url, family_type, files, follow=True)
    assert (
        response.redirect_chain[-1][0]
        == reverse("documents:list") + f"#document-{family_type.pk}-0"
    )
    document = Document.objects.get(family=family, type=family_type)
    assert document.status == "received"
    stored = list(document.files.order_by("pk"))
    assert [f.original_name for f in stored] == ["recto.pdf", "verso.jpg", "p3.png"]
    assert [f.content_type for f in stored] == ["application/pdf", "image/jpeg", "image/png"]
    assert all(f.file.name.startswith("documents/") and "recto" not in f.file.name for f in stored)
    content = response.content.decode()
    assert "Merci : 3 fichiers ont été reçus pour « Attestation QF 2025 »." in content
    assert "Reçu" in content


def test_student_document_is_uploaded_for_that_student(
    family_client, upload_url, student_type, student
):
    post(family_client, upload_url, student_type, [("certif.pdf", MINIMAL_PDF)], student=student)
    assert Document.objects.get(student=student, type=student_type).files.count() == 1


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "attestation.pdf",
            b"juste du texte\n" * 50,
            "« attestation.pdf » n’est pas un fichier PDF, JPEG ou PNG",
        ),
        (
            "page.pdf",
            b"<!DOCTYPE html><html><body>hello</body></html>",
            "« page.pdf » n’est pas un fichier PDF, JPEG ou PNG",
        ),
        ("bombe.png", bomb_png(), "« bombe.png » est une image trop grande pour être ouverte"),
    ],
)
def test_refused_file_shows_a_french_reason_next_to_its_row_and_keeps_the_rest(
    family_client, upload_url, family_type, student_type, student, family, name, content, expected
):
    # Something already sent for another row must not be touched.
    kept = DocumentFileFactory(
        document=DocumentFactory(type=student_type, family=family, student=student)
    )
    response = post(family_client, upload_url, family_type, [(name, content)], follow=True)
    html = response.content.decode()
    assert "Un fichier envoyé pour « Attestation QF 2025 » a été refusé" in html
    assert expected in html
    # The reason is next to the input of that row, linked to it.
    row_start = html.index(f'id="document-{family_type.pk}-0"')
    row = html[row_start : html.index("</tr>", row_start)]
    assert expected in row
    assert f'aria-describedby="files-help-{family_type.pk}-0 files-error-{family_type.pk}-0"' in row
    assert 'aria-invalid="true"' in row
    # Nothing else is lost, nothing is stored for the refused file.
    assert not Document.objects.filter(type=family_type).exists()
    assert list(DocumentFile.objects.all()) == [kept]
    # The error is shown once, like a message.
    assert expected not in family_client.get(reverse("documents:list")).content.decode()


def test_oversized_file_is_refused_before_it_is_stored(family_client, upload_url, family_type):
    big = MINIMAL_PDF + b"0" * (MAX_FILE_SIZE + 1024)
    response = post(
        family_client,
        upload_url,
        family_type,
        [("enorme.pdf", big), ("ok.pdf", MINIMAL_PDF)],
        follow=True,
    )
    html = response.content.decode()
    assert "« enorme.pdf » est trop volumineux" in html
    assert (
        "« enorme.pdf » est trop volumineux : chaque fichier doit peser 10 Mo au maximum." in html
    )
    assert [f.original_name for f in DocumentFile.objects.all()] == ["ok.pdf"]


def test_name_with_path_and_control_characters_is_cleaned(family_client, upload_url, family_type):
    post(family_client, upload_url, family_type, [("../../etc/pass\x01wd\x1b.pdf", MINIMAL_PDF)])
    stored = DocumentFile.objects.get()
    assert stored.original_name == "passwd.pdf"
    assert ".." not in stored.file.name


def test_no_file_chosen_gets_a_french_message(family_client, upload_url, family_type):
    response = family_client.post(upload_url, {"document_type": family_type.pk}, follow=True)
    assert "Choisissez au moins un fichier" in response.content.decode()


def test_next_url_is_followed_when_it_is_local(family_client, upload_url, family_type):
    response = post(
        family_client,
        upload_url,
        family_type,
        [("a.pdf", MINIMAL_PDF)],
        next_url="/espace/eleve/3/documents/",
    )
    assert response["Location"] == f"/espace/eleve/3/documents/#document-{family_type.pk}-0"


@pytest.mark.parametrize(
    "evil", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)"]
)
def test_foreign_next_url_is_ignored(family_client, upload_url, family_type, evil):
    response = post(family_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)], next_url=evil)
    assert response["Location"].startswith(reverse("documents:list"))


def test_a_family_cannot_upload_for_another_familys_student(
    family_client, upload_url, student_type
):
    stranger = StudentFactory()
    response = post(
        family_client, upload_url, student_type, [("a.pdf", MINIMAL_PDF)], student=stranger
    )
    assert response.status_code == 404
    assert not DocumentFile.objects.exists()


def test_a_family_cannot_replace_another_familys_file(
    family_client, upload_url, family_type, other_responsible, family
):
    theirs = DocumentFileFactory(
        document=DocumentFactory(
            type=family_type, family=other_responsible.family, status="refused", refusal_reason="x"
        )
    )
    post(family_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)])
    theirs.refresh_from_db()
    assert theirs.replaced_at is None
    assert theirs.document.status == "refused"
    assert Document.objects.get(family=family).files.count() == 1


@pytest.mark.parametrize("payload", [{"document_type": 999999}, {"document_type": "abc"}, {}])
def test_unknown_type_is_404(family_client, upload_url, payload):
    assert family_client.post(upload_url, payload).status_code == 404


def test_family_type_with_a_student_and_student_type_without_are_404(
    family_client, upload_url, family_type, student_type, student
):
    assert (
        post(
            family_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)], student=student
        ).status_code
        == 404
    )
    assert (
        post(family_client, upload_url, student_type, [("a.pdf", MINIMAL_PDF)]).status_code == 404
    )


def test_inactive_type_is_404(family_client, upload_url, family_type):
    family_type.active = False
    family_type.save()
    assert post(family_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)]).status_code == 404


def test_anonymous_upload_goes_to_login(client, upload_url, family_type):
    response = post(client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)])
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not DocumentFile.objects.exists()


def test_staff_without_family_cannot_upload(staff_client, upload_url, family_type):
    assert post(staff_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)]).status_code == 404


def test_get_is_not_allowed(family_client, upload_url):
    assert family_client.get(upload_url).status_code == 405


def test_upload_is_csrf_protected(client, responsible, upload_url, family_type):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(responsible, backend="accounts.backends.IdentifierBackend")
    assert post(csrf_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)]).status_code == 403
    assert not DocumentFile.objects.exists()


def test_accepted_document_refuses_more_files(family_client, upload_url, family_type, family):
    DocumentFactory(type=family_type, family=family, status="accepted")
    response = post(family_client, upload_url, family_type, [("a.pdf", MINIMAL_PDF)], follow=True)
    assert "« Attestation QF 2025 » a déjà été accepté" in response.content.decode()


def test_empty_file_is_refused_by_name(family_client, upload_url, family_type):
    response = post(family_client, upload_url, family_type, [("vide.pdf", b"")], follow=True)
    assert "« vide.pdf » est vide. Choisissez à nouveau le fichier." in response.content.decode()
    assert not DocumentFile.objects.exists()
