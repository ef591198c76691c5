"""What is accepted: PDF, JPEG and PNG by content, 10 MB at most, no image bomb."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from documents.validators import MAX_FILE_SIZE, check_upload, clean_original_name

from .factories import MINIMAL_PDF, bomb_png, image_bytes, jpeg_upload, pdf_upload, png_upload


def refusal(uploaded) -> str:
    with pytest.raises(ValidationError) as info:
        check_upload(uploaded)
    return " ".join(info.value.messages)


@pytest.mark.parametrize(
    ("upload", "content_type", "extension"),
    [
        (pdf_upload, "application/pdf", ".pdf"),
        (jpeg_upload, "image/jpeg", ".jpg"),
        (png_upload, "image/png", ".png"),
    ],
)
def test_pdf_jpeg_and_png_are_accepted(upload, content_type, extension):
    checked = check_upload(upload())
    assert (checked.content_type, checked.extension) == (content_type, extension)


def test_type_comes_from_the_content_not_the_name_or_browser():
    checked = check_upload(
        SimpleUploadedFile("scan.pdf", image_bytes("PNG"), content_type="application/pdf")
    )
    assert checked.content_type == "image/png"


def test_text_file_named_pdf_is_refused():
    message = refusal(pdf_upload("attestation.pdf", b"Ceci n'est pas un PDF\n" * 20))
    assert (
        "Le fichier « attestation.pdf » n’a pas été envoyé : ce n’est pas un fichier PDF, "
        "JPEG ou PNG" in message
    )


def test_html_file_is_refused_even_announced_as_pdf():
    html = b"<!doctype html><html><body><script>alert(1)</script></body></html>"
    message = refusal(pdf_upload("facture.pdf", html, "application/pdf"))
    assert "ce n’est pas un fichier PDF, JPEG ou PNG" in message


def test_pdf_signature_must_be_at_the_start():
    message = refusal(pdf_upload("x.pdf", b"\xef\xbb\xbf%PDF-1.4 hidden after a BOM" + b" " * 50))
    assert "ce n’est pas un fichier PDF, JPEG ou PNG" in message


def test_oversized_file_is_refused():
    content = MINIMAL_PDF + b"0" * (MAX_FILE_SIZE + 1 - len(MINIMAL_PDF))
    message = refusal(pdf_upload("gros.pdf", content))
    assert (
        "Le fichier « gros.pdf » n’a pas été envoyé : il pèse 10,1 Mo, plus que les 10 Mo "
        "permis par fichier." in message.replace("\xa0", " ")
    )


def test_file_of_exactly_ten_megabytes_is_accepted():
    content = MINIMAL_PDF + b"0" * (MAX_FILE_SIZE - len(MINIMAL_PDF))
    assert check_upload(pdf_upload("juste.pdf", content)).size == MAX_FILE_SIZE


def test_empty_file_is_refused():
    assert "est vide" in refusal(pdf_upload("vide.pdf", b""))


@pytest.mark.parametrize("dimensions", [(100_000, 100_000), (8_000, 8_000)])
def test_decompression_bomb_png_is_refused(dimensions):
    bomb = bomb_png(*dimensions)
    assert len(bomb) < 1000
    message = refusal(SimpleUploadedFile("bombe.png", bomb, content_type="image/png"))
    assert "« bombe.png » n’a pas été envoyé : l’image est trop grande pour être ouverte" in message


def test_truncated_jpeg_is_refused():
    data = image_bytes("JPEG", (400, 300))
    message = refusal(SimpleUploadedFile("coupe.jpg", data[: len(data) // 2]))
    assert "l’image est endommagée" in message


def test_png_with_a_broken_checksum_is_refused():
    data = bytearray(image_bytes("PNG"))
    data[-20] ^= 0xFF  # inside the last IDAT chunk
    message = refusal(SimpleUploadedFile("abime.png", bytes(data)))
    assert "l’image est endommagée" in message


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\Windows\\scan.png", "scan.png"),
        ("fac\x00tu\x1bre\x7f.pdf", "facture.pdf"),
        ("ligne\nnouvelle\tcolonne.pdf", "ligne nouvelle colonne.pdf"),
        ("  ..  ", "document"),
        ("", "document"),
        ("attestation\u202egnp.pdf", "attestationgnp.pdf"),
        ("Relevé  d’identité   bancaire.pdf", "Relevé d’identité bancaire.pdf"),
    ],
)
def test_original_name_is_cleaned_for_display(raw, clean):
    assert clean_original_name(raw) == clean


def test_long_name_is_shortened_keeping_its_extension():
    cleaned = clean_original_name("a" * 300 + ".pdf")
    assert len(cleaned) == 100
    assert cleaned.endswith("aaa.pdf")


@pytest.mark.parametrize(
    ("size", "text"),
    [(1, "1 Ko"), (850 * 1024, "850 Ko"), (10 * 1024 * 1024, "10 Mo"), (12_400_000, "11,9 Mo")],
)
def test_sizes_read_the_french_way(size, text):
    from documents.validators import format_size

    assert format_size(size).replace("\xa0", " ") == text


def test_truncated_jpeg_is_refused_even_after_weasyprint_was_imported():
    import weasyprint  # noqa: F401 (sets PIL's LOAD_TRUNCATED_IMAGES globally)
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES
    data = image_bytes("JPEG", (400, 300))
    message = refusal(SimpleUploadedFile("coupe.jpg", data[: len(data) // 2]))
    assert "l’image est endommagée" in message
    assert ImageFile.LOAD_TRUNCATED_IMAGES  # restored for WeasyPrint
