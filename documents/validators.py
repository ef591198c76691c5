"""Checks on uploaded files: type by content, size, image sanity, display name.

Files are recognised by their first bytes (``filetype``, plus the ``%PDF-``
header), never by their name or the type the browser announces. Images are
opened with Pillow under a pixel budget, so a tiny PNG declaring huge
dimensions (a decompression bomb) is refused before any pixel is decoded.
Each refusal is a ``ValidationError`` whose French message names the file and
says why: « Le fichier « x.pdf » n’a pas été envoyé : … » (:func:`not_sent`).
"""

import math
import os
import unicodedata
import warnings
from dataclasses import dataclass

import filetype
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageFile, UnidentifiedImageError

MAX_FILE_SIZE = 10 * 1024 * 1024  # 10 MB per file
# 50 million pixels: an 8000 x 6000 phone photo passes, a bomb does not. Lower
# than Pillow's own MAX_IMAGE_PIXELS, which is also enforced (warning → error).
MAX_IMAGE_PIXELS = 50_000_000
MAX_NAME_LENGTH = 100

ALLOWED_TYPES = {
    "application/pdf": ".pdf",
    "image/jpeg": ".jpg",
    "image/png": ".png",
}
ACCEPT_ATTRIBUTE = ".pdf,.jpg,.jpeg,.png"


def format_size(size: int) -> str:
    """A size the way families read it: "850 Ko", "10 Mo", "12,4 Mo"."""
    if size < 1024 * 1024:
        return gettext("%(size)s KB") % {"size": number_format(max(1, round(size / 1024)))}
    megabytes = size / (1024 * 1024)
    if megabytes == int(megabytes):
        return gettext("%(size)s MB") % {"size": number_format(int(megabytes))}
    # Rounded up, so a file just over the limit never reads "10,0 Mo".
    return gettext("%(size)s MB") % {"size": number_format(math.ceil(megabytes * 10) / 10, 1)}


@dataclass(frozen=True)
class CheckedFile:
    content_type: str
    extension: str
    size: int
    original_name: str


def clean_original_name(name: str) -> str:
    """A display-only name: no folders, no control characters, at most 100 characters."""
    name = unicodedata.normalize("NFC", str(name or ""))
    # Keep the last path part, whatever the separator the client used.
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        " " if char.isspace() else char
        for char in name
        if char.isspace() or not unicodedata.category(char).startswith("C")
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return "document"
    if len(name) > MAX_NAME_LENGTH:
        stem, extension = os.path.splitext(name)
        extension = extension[:10]
        name = stem[: MAX_NAME_LENGTH - len(extension)].rstrip(" .") + extension
    return name


def not_sent(name: str, reason, *, code: str, params: dict | None = None) -> ValidationError:
    """The refusal of one file, naming it: "The file “x.pdf” was not sent: <reason>".

    ``reason`` is a (lazy) message, completed with ``params``; ``name`` is the file's
    cleaned name. Every refusal of an upload reads this way, wherever the file was chosen.
    """
    return ValidationError(
        _("The file “%(name)s” was not sent: %(reason)s"),
        code=code,
        params={"name": name, "reason": reason % params if params else reason},
    )


def too_large_message(name: str) -> str:
    """For a file stopped while it was being received: its full size is unknown."""
    return not_sent(
        clean_original_name(name),
        _("it weighs more than the %(max)s allowed per file."),
        code="too_large",
        params={"max": format_size(MAX_FILE_SIZE)},
    ).messages[0]


def _read_head(uploaded: UploadedFile, length: int = 8192) -> bytes:
    uploaded.seek(0)
    head = uploaded.read(length)
    uploaded.seek(0)
    return head


def _check_image(uploaded: UploadedFile, name: str) -> None:
    bomb = not_sent(
        name,
        _(
            "the image is too large to be opened (more than %(pixels)s million pixels). "
            "Scan or photograph the document again at a lower resolution."
        ),
        code="image_too_large",
        params={"pixels": MAX_IMAGE_PIXELS // 1_000_000},
    )
    damaged = not_sent(
        name,
        _("the image is damaged and cannot be opened. Scan or photograph it again."),
        code="damaged_image",
    )
    uploaded.seek(0)
    # WeasyPrint sets LOAD_TRUNCATED_IMAGES globally on import; a truncated upload
    # must still be refused here.
    load_truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(uploaded) as image:
                width, height = image.size
                if width * height > MAX_IMAGE_PIXELS:
                    raise bomb
                image.verify()
            if image.format == "JPEG":
                # verify() barely reads a JPEG: decode it at 1/8 scale, which is cheap.
                uploaded.seek(0)
                with Image.open(uploaded) as image:
                    image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                    image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise bomb from None
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise damaged from None
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = load_truncated
        uploaded.seek(0)


def check_upload(uploaded: UploadedFile) -> CheckedFile:
    """Check one uploaded file and return what is stored about it, or raise ``ValidationError``."""
    name = clean_original_name(uploaded.name)
    size = uploaded.size or 0
    if size > MAX_FILE_SIZE:
        raise not_sent(
            name,
            _("it weighs %(size)s, more than the %(max)s allowed per file."),
            code="too_large",
            params={"size": format_size(size), "max": format_size(MAX_FILE_SIZE)},
        )
    if size == 0:
        raise not_sent(name, _("it is empty. Choose it again."), code="empty")
    head = _read_head(uploaded)
    kind = filetype.guess(head)
    content_type = kind.mime if kind else ""
    if content_type == "application/pdf" and not head.startswith(b"%PDF-"):
        content_type = ""
    if content_type not in ALLOWED_TYPES:
        raise not_sent(
            name,
            _(
                "it is not a PDF, JPEG or PNG file, whatever its name says. Save or scan "
                "the document in one of these formats, then choose it again."
            ),
            code="wrong_type",
        )
    if content_type.startswith("image/"):
        _check_image(uploaded, name)
    return CheckedFile(
        content_type=content_type,
        extension=ALLOWED_TYPES[content_type],
        size=size,
        original_name=name,
    )
