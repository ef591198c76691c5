""" "Mes documents" is one form: the files chosen on every row are sent by its one button."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.models import Document, DocumentFile
from documents.validators import MAX_FILE_SIZE
from tests.factories import StudentFactory

from .factories import MINIMAL_PDF, DocumentFactory, DocumentFileFactory, bomb_png, image_bytes

pytestmark = pytest.mark.django_db


def field(document_type, student=None) -> str:
    """The file field of a row: ``files_<type>-<student or 0>``."""
    return f"files_{document_type.pk}-{student.pk if student else 0}"


def post(client, url, rows, follow=False):
    """``rows``: {(document_type, student): [(name, content), …]}, as a browser posts the form."""
    data = {
        field(document_type, student): [
            SimpleUploadedFile(name, content) for name, content in files
        ]
        for (document_type, student), files in rows.items()
    }
    return client.post(url, data, follow=follow)


def row_html(html: str, document_type, student=None) -> str:
    start = html.index(f'id="document-{document_type.pk}-{student.pk if student else 0}"')
    return html[start : html.index("</tr>", start)]


def test_the_page_is_one_form_with_one_button(family_client, family_type, student_type, student):
    html = family_client.get(reverse("documents:list")).content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    assert main.count("<form") == 1
    assert f'action="{reverse("documents:upload")}"' in main
    assert 'enctype="multipart/form-data"' in main
    assert f'name="{field(family_type)}"' in main
    assert f'name="{field(student_type, student)}"' in main
    assert main.count('type="submit"') == 1
    assert "Envoyer les fichiers choisis" in main
    assert " required" not in main  # a row left empty never stops the others


def test_files_chosen_on_several_rows_are_all_stored(
    family_client, upload_url, family_type, student_type, student, family
):
    files = [
        ("recto.pdf", MINIMAL_PDF),
        ("verso.jpg", image_bytes("JPEG")),
        ("p3.png", image_bytes("PNG")),
    ]
    response = post(
        family_client,
        upload_url,
        {(family_type, None): files, (student_type, student): [("certif.pdf", MINIMAL_PDF)]},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == reverse("documents:list")
    document = Document.objects.get(family=family, type=family_type)
    assert document.status == "received"
    stored = list(document.files.order_by("pk"))
    assert [f.original_name for f in stored] == ["recto.pdf", "verso.jpg", "p3.png"]
    assert [f.content_type for f in stored] == ["application/pdf", "image/jpeg", "image/png"]
    assert all(f.file.name.startswith("documents/") and "recto" not in f.file.name for f in stored)
    assert Document.objects.get(student=student, type=student_type).files.count() == 1
    content = response.content.decode()
    assert "Merci : 3 fichiers ont été reçus pour « Attestation QF 2025 »." in content
    assert "Merci : 1 fichier a été reçu pour « Certificat médical danse — Léa" in content
    assert "Reçu" in content


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        (
            "attestation.pdf",
            b"juste du texte\n" * 50,
            "Le fichier « attestation.pdf » n’a pas été envoyé : ce n’est pas un fichier "
            "PDF, JPEG ou PNG",
        ),
        (
            "page.pdf",
            b"<!DOCTYPE html><html><body>hello</body></html>",
            "Le fichier « page.pdf » n’a pas été envoyé : ce n’est pas un fichier PDF",
        ),
        (
            "bombe.png",
            bomb_png(),
            "Le fichier « bombe.png » n’a pas été envoyé : l’image est trop grande pour être "
            "ouverte",
        ),
    ],
)
def test_a_refused_file_is_named_by_its_row_and_the_other_files_are_stored(
    family_client, upload_url, family_type, student_type, student, family, name, content, expected
):
    kept = DocumentFileFactory(
        document=DocumentFactory(type=student_type, family=family, student=student)
    )
    response = post(
        family_client,
        upload_url,
        {
            (family_type, None): [(name, content)],
            (student_type, student): [("ok.pdf", MINIMAL_PDF)],
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    row = row_html(html, family_type)
    assert expected in row
    assert f'aria-describedby="files-help-{family_type.pk}-0 files-error-{family_type.pk}-0"' in row
    assert 'aria-invalid="true"' in row
    # The summary at the top links to the row's input.
    assert f'href="#id_{field(family_type)}"' in html
    # The file accepted in the same sending is stored and listed; the refused one is not.
    assert "ok.pdf" in row_html(html, student_type, student)
    assert "Merci : 1 fichier a été reçu" in html
    assert not Document.objects.filter(type=family_type).exists()
    assert sorted(f.original_name for f in DocumentFile.objects.all()) == sorted(
        [kept.original_name, "ok.pdf"]
    )
    # The error is not shown again.
    assert expected not in family_client.get(reverse("documents:list")).content.decode()


def test_an_oversized_file_is_refused_before_it_is_stored(family_client, upload_url, family_type):
    big = MINIMAL_PDF + b"0" * (MAX_FILE_SIZE + 1024)
    response = post(
        family_client,
        upload_url,
        {(family_type, None): [("enorme.pdf", big), ("ok.pdf", MINIMAL_PDF)]},
    )
    row = row_html(response.content.decode(), family_type)
    assert (
        "Le fichier « enorme.pdf » n’a pas été envoyé : il pèse plus que les 10 Mo permis par "
        "fichier." in row
    )
    assert [f.original_name for f in DocumentFile.objects.all()] == ["ok.pdf"]


def test_name_with_path_and_control_characters_is_cleaned(family_client, upload_url, family_type):
    post(
        family_client,
        upload_url,
        {(family_type, None): [("../../etc/pass\x01wd\x1b.pdf", MINIMAL_PDF)]},
    )
    stored = DocumentFile.objects.get()
    assert stored.original_name == "passwd.pdf"
    assert ".." not in stored.file.name


def test_no_file_chosen_gets_a_french_message(family_client, upload_url, family_type):
    response = family_client.post(upload_url, {})
    assert response.status_code == 200
    assert "Choisissez au moins un fichier" in response.content.decode()


def test_a_file_for_another_familys_student_is_refused_and_nothing_is_written(
    family_client, upload_url, student_type
):
    stranger = StudentFactory(first_name="Inconnu")
    response = post(family_client, upload_url, {(student_type, stranger): [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Le fichier « a.pdf » n’a pas été envoyé : ce document ne vous est plus demandé" in html
    assert "Inconnu" not in html
    assert not DocumentFile.objects.exists()
    assert not Document.objects.exists()


def test_a_family_cannot_replace_another_familys_file(
    family_client, upload_url, family_type, other_responsible, family
):
    theirs = DocumentFileFactory(
        document=DocumentFactory(
            type=family_type, family=other_responsible.family, status="refused", refusal_reason="x"
        )
    )
    post(family_client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    theirs.refresh_from_db()
    assert theirs.replaced_at is None
    assert theirs.document.status == "refused"
    assert Document.objects.get(family=family).files.count() == 1


def test_inactive_type_has_no_field_and_its_file_is_not_stored(
    family_client, upload_url, family_type
):
    family_type.active = False
    family_type.save()
    response = post(family_client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 200
    assert not DocumentFile.objects.exists()


def test_anonymous_upload_goes_to_login(client, upload_url, family_type):
    response = post(client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    assert not DocumentFile.objects.exists()


def test_staff_without_family_cannot_upload(staff_client, upload_url, family_type):
    response = post(staff_client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 404


def test_get_is_not_allowed(family_client, upload_url):
    assert family_client.get(upload_url).status_code == 405


def test_upload_is_csrf_protected(client, responsible, upload_url, family_type):
    from django.test import Client

    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(responsible, backend="accounts.backends.IdentifierBackend")
    response = post(csrf_client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    assert response.status_code == 403
    assert not DocumentFile.objects.exists()


def test_accepted_document_has_no_field_and_refuses_more_files(
    family_client, upload_url, family_type, family
):
    DocumentFactory(type=family_type, family=family, status="accepted")
    response = post(family_client, upload_url, {(family_type, None): [("a.pdf", MINIMAL_PDF)]})
    assert "Le fichier « a.pdf » n’a pas été envoyé" in response.content.decode()
    assert not DocumentFile.objects.exists()


def test_empty_file_is_refused_by_name(family_client, upload_url, family_type):
    response = post(family_client, upload_url, {(family_type, None): [("vide.pdf", b"")]})
    assert (
        "Le fichier « vide.pdf » n’a pas été envoyé : il est vide. Choisissez-le à nouveau."
        in response.content.decode()
    )
    assert not DocumentFile.objects.exists()
