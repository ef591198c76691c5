"""PDFs from Django templates with WeasyPrint, reading nothing but the portal's static files.

``render_pdf(template_name, context)`` renders the template (in French) and
hands WeasyPrint a URL fetcher that serves only static files from disk: the
project's ``static/`` folder, the apps' ``static/`` folders and ``STATIC_ROOT``.
Every other URL (``file:///etc/passwd``, ``http(s)://``, ``data:``, ``ftp:``…)
is refused, so a template or a family-typed value can never make the PDF read
a server file or call the network.

In a template, write static URLs as usual: ``{% static 'css/pdf.css' %}``. One
other URL is served: :data:`LOGO_URL`, the logo of the conservatoire's identity
(an image staff uploaded in the admin, read from the private storage), as
``{{ conservatoire.pdf_logo_url }}``.
"""

from __future__ import annotations

import io
import mimetypes
import posixpath
import threading
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.exceptions import SuspiciousFileOperation
from django.template.loader import render_to_string
from django.utils import translation

from .models import PDF_LOGO_URL

# The identity's logo (conservatoire.models.Identity.logo), the one file outside the
# static files a PDF may show.
LOGO_URL = PDF_LOGO_URL


class ForbiddenURL(ValueError):
    """WeasyPrint asked for something other than a static file."""


def static_roots() -> list[Path]:
    """Every folder whose files the PDFs may read (resolved, symlinks followed)."""
    roots = []
    for finder in finders.get_finders():
        for storage in getattr(finder, "storages", {}).values():
            location = getattr(storage, "location", None)
            if location:
                roots.append(Path(location).resolve())
    if settings.STATIC_ROOT:
        roots.append(Path(settings.STATIC_ROOT).resolve())
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == root or path.is_relative_to(root) for root in roots)


def resolve_static(url: str) -> Path:
    """The file on disk a static-file URL names; :class:`ForbiddenURL` otherwise."""
    parts = urlsplit(url)
    if parts.scheme.lower() != "file" or parts.netloc not in ("", "localhost"):
        raise ForbiddenURL(f"Only static files may be read in a PDF, not {url[:80]!r}")
    raw_path = unquote(parts.path)
    if "\x00" in raw_path:
        raise ForbiddenURL("NUL in URL")
    roots = static_roots()
    static_prefix = "/" + settings.STATIC_URL.strip("/") + "/"
    normalized = posixpath.normpath(raw_path)
    if raw_path.startswith(static_prefix) and ".." not in raw_path.split("/"):
        # "{% static %}" output (/static/css/x.css) resolved against the base URL.
        try:
            found = finders.find(normalized[len(static_prefix) :])
        except SuspiciousFileOperation as exc:
            raise ForbiddenURL(str(exc)) from exc
        candidates = [found] if found else []
        if settings.STATIC_ROOT:  # collected (and, in production, hashed) names
            candidates.append(Path(settings.STATIC_ROOT, normalized[len(static_prefix) :]))
        for candidate in candidates:
            path = Path(candidate).resolve()
            if _inside(path, roots) and path.is_file():
                return path
    path = Path(normalized).resolve()
    if _inside(path, roots) and path.is_file():
        return path
    raise ForbiddenURL(f"Not a static file: {url[:80]!r}")


def _url_fetcher_class():
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticFilesURLFetcher(URLFetcher):
        """WeasyPrint's fetcher, restricted to static files read from disk."""

        def __init__(self):
            super().__init__(allowed_protocols={"file"}, allow_redirects=False)

        def fetch(self, url, headers=None):
            if url == LOGO_URL:
                return _logo_response(url)
            path = resolve_static(url)
            mime_type, _encoding = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                path.as_uri(),
                body=path.read_bytes(),
                headers={"Content-Type": mime_type or "application/octet-stream"},
            )

    return StaticFilesURLFetcher


# The logo is printed about 12 mm high: 120 pixels are plenty (250 dpi). WeasyPrint
# decodes a PNG and compresses its pixels again into every PDF: a 1,600-pixel logo
# cost a recap 60 ms more, the same logo reduced about 5 ms.
LOGO_MAX_PIXELS = (480, 120)
_small_logos: dict[tuple, tuple[bytes, str]] = {}


def _logo_response(url):
    from weasyprint.urls import URLFetcherResponse

    from .models import Identity

    identity = Identity.current()
    key = (identity.logo.name if identity.logo else "", identity.updated_at)
    logo = _small_logos.get(key)
    if logo is None:
        logo = identity.logo_bytes()
        if logo is None:
            raise ForbiddenURL("The conservatoire's identity has no logo.")
        logo = small_logo(*logo)
        _small_logos.clear()  # one logo per process: the current one
        _small_logos[key] = logo
    body, mime_type = logo
    return URLFetcherResponse(url, body=body, headers={"Content-Type": mime_type})


def small_logo(body: bytes, mime_type: str) -> tuple[bytes, str]:
    """The logo at most :data:`LOGO_MAX_PIXELS`, as a PNG (transparency kept); a logo
    already that small, or not readable as an image, is left as it is."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(body)) as image:
            if image.width <= LOGO_MAX_PIXELS[0] and image.height <= LOGO_MAX_PIXELS[1]:
                return body, mime_type
            image.thumbnail(LOGO_MAX_PIXELS)
            if image.mode not in ("RGB", "RGBA", "L", "LA"):
                image = image.convert("RGBA")
            reduced = io.BytesIO()
            image.save(reduced, "PNG", optimize=True)
    except (OSError, UnidentifiedImageError, Image.DecompressionBombError):
        return body, mime_type
    return reduced.getvalue(), "image/png"


def static_url_fetcher():
    """A new restricted fetcher (WeasyPrint is imported only when a PDF is made)."""
    return _url_fetcher_class()()


_fonts = threading.local()


def font_config():
    """One WeasyPrint FontConfiguration per thread, reused by every PDF.

    WeasyPrint makes a new one per document when none is given, and each keeps
    about 0.25 MB (its Pango font map) for the life of the process: a ZIP of
    1,000 recaps would grow by 250 MB. Reused, memory stays flat.
    """
    if not hasattr(_fonts, "config"):
        from weasyprint.text.fonts import FontConfiguration

        _fonts.config = FontConfiguration()
    return _fonts.config


def render_pdf(template_name: str, context: dict | None = None) -> bytes:
    """Render ``template_name`` to a PDF (French), reading only static files."""
    from weasyprint import HTML

    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(template_name, context or {})
    base_url = Path(settings.BASE_DIR, "static").resolve().as_uri() + "/"
    document = HTML(string=html, base_url=base_url, url_fetcher=static_url_fetcher())
    return document.write_pdf(font_config=font_config())
