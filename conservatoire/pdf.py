"""PDFs from Django templates with WeasyPrint, reading nothing but the portal's static files.

``render_pdf(template_name, context)`` renders the template (in French) and
hands WeasyPrint a URL fetcher that serves only static files from disk: the
project's ``static/`` folder, the apps' ``static/`` folders and ``STATIC_ROOT``.
Every other URL (``file:///etc/passwd``, ``http(s)://``, ``data:``, ``ftp:``…)
is refused, so a template or a family-typed value can never make the PDF read
a server file or call the network.

In a template, write static URLs as usual: ``{% static 'css/pdf.css' %}``.
"""

from __future__ import annotations

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
            path = resolve_static(url)
            mime_type, _encoding = mimetypes.guess_type(path.name)
            return URLFetcherResponse(
                path.as_uri(),
                body=path.read_bytes(),
                headers={"Content-Type": mime_type or "application/octet-stream"},
            )

    return StaticFilesURLFetcher


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
