"""Security suite fixtures: the demo conservatoire, hostile text, an HTML inspector."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from html.parser import HTMLParser

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from pypdf import PdfReader

from reinscription.recap import family_recap_response
from tests.reinscription.conftest import demo, login, wizard  # noqa: F401 (fixtures)

SCRIPT = '<script>alert("xss-1")</script>'
IMG = '"><img src=x onerror=alert("xss-2")>'
JS = 'javascript:alert("xss-3")'
HOSTILE = (SCRIPT, IMG, JS)

URL_ATTRIBUTES = {"href", "src", "action", "formaction", "data", "poster", "xlink:href"}


@dataclass
class PageReport:
    """What matters for XSS and the CSP in a page, as a browser's parser sees it."""

    inline_scripts: list[str] = field(default_factory=list)  # executable, without src
    json_scripts: list[str] = field(default_factory=list)
    style_elements: int = 0
    style_attributes: list[str] = field(default_factory=list)
    event_handlers: list[str] = field(default_factory=list)
    script_urls: list[str] = field(default_factory=list)
    resources: list[str] = field(default_factory=list)  # script src, stylesheet href
    text: str = ""


class _Inspector(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.report = PageReport()
        self._texts: list[str] = []
        self._in_script: dict | None = None
        self._script_text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        for name, value in attrs:
            if name.startswith("on"):
                self.report.event_handlers.append(f"<{tag} {name}={value!r}>")
            if name == "style":
                self.report.style_attributes.append(f"<{tag} style={value!r}>")
            if name in URL_ATTRIBUTES and value:
                squeezed = "".join(value.split()).lower()
                if squeezed.startswith(("javascript:", "vbscript:", "data:text/html")):
                    self.report.script_urls.append(f"<{tag} {name}={value!r}>")
        if tag == "meta" and attributes.get("http-equiv", "").lower() == "refresh":
            if "javascript:" in (attributes.get("content") or "").lower():
                self.report.script_urls.append(f"<meta refresh {attributes['content']!r}>")
        if tag == "style":
            self.report.style_elements += 1
        if tag == "script" and attributes.get("src"):
            self.report.resources.append(attributes["src"])
        if tag == "link" and "stylesheet" in (attributes.get("rel") or "").split():
            self.report.resources.append(attributes.get("href") or "")
        if tag == "script":
            self._in_script = attributes
            self._script_text = []

    def handle_endtag(self, tag):
        if tag == "script" and self._in_script is not None:
            body = "".join(self._script_text)
            kind = (self._in_script.get("type") or "").lower()
            if kind in ("application/json", "application/ld+json"):
                self.report.json_scripts.append(body)
            elif "src" not in self._in_script or body.strip():
                self.report.inline_scripts.append(body or repr(self._in_script))
            self._in_script = None

    def handle_data(self, data):
        if self._in_script is not None:
            self._script_text.append(data)
        else:
            self._texts.append(data)

    def close(self):
        super().close()
        self.report.text = " ".join(" ".join(self._texts).split())


def inspect_html(html: str | bytes) -> PageReport:
    if isinstance(html, bytes):
        html = html.decode()
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.report


def assert_no_injection(html: str | bytes, where: str) -> PageReport:
    """No script, handler or ``javascript:`` URL came from the data: only our own."""
    report = inspect_html(html)
    assert report.inline_scripts == [], f"{where}: inline script {report.inline_scripts}"
    assert report.event_handlers == [], f"{where}: event handler {report.event_handlers}"
    assert report.script_urls == [], f"{where}: script URL {report.script_urls}"
    return report


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def pdf_actions(data: bytes) -> list[str]:
    """The URI and JavaScript actions of the PDF's links (and of the document)."""
    reader = PdfReader(io.BytesIO(data))
    found = []
    if "/Names" in reader.trailer["/Root"] and "/JavaScript" in reader.trailer["/Root"]["/Names"]:
        found.append("document JavaScript")
    if "/OpenAction" in reader.trailer["/Root"]:
        found.append("OpenAction")
    for page in reader.pages:
        for annotation in page.get("/Annots") or []:
            action = annotation.get_object().get("/A")
            if action is not None:
                action = action.get_object()
                found.append(f"{action.get('/S')} {action.get('/URI', '')}")
    return found


def recap_pdf_url(student) -> str | None:
    """The family's recap PDF URL, once ``reinscription.recap.family_recap_response`` is routed."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern.callback

    for route, callback in walk(get_resolver().url_patterns):
        if family_recap_response in (callback, getattr(callback, "__wrapped__", None)):
            return "/" + route.replace("<int:student_id>", str(student.pk))
    return None


@pytest.fixture
def family_client(client, demo):  # noqa: F811
    """``family_client("leroy-marc")``: the test client, logged in as that responsible."""
    from accounts.models import User

    def _login(identifier: str):
        client.force_login(
            User.objects.get(username=identifier), backend="accounts.backends.IdentifierBackend"
        )
        return client

    return _login


# The throwaway Redis, SMTP sink and Celery workers of the fault tests (integration pass).
from tests.faults.conftest import (  # noqa: E402, F401 (fixtures)
    broker,
    redis_server,
    smtp,
    workers,
)
