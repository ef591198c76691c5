"""``conservatoire.pdf``: WeasyPrint reads static files and nothing else."""

import io
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from conservatoire import pdf
from conservatoire.pdf import ForbiddenURL, resolve_static, static_url_fetcher

STATIC = Path(settings.BASE_DIR, "static").resolve()


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file:///etc/hostname",
        f"file://{STATIC}/../manage.py",
        f"file://{STATIC}/../conservatoire/settings.py",
        "file:///static/../../etc/passwd",
        "file:///static/%2e%2e/%2e%2e/etc/passwd",
        "file://evil.example.org/share/x.css",
        "http://127.0.0.1:8000/static/css/portal.css",
        "https://example.org/style.css",
        "ftp://example.org/x",
        "data:text/css,body{}",
        "gopher://example.org/",
    ],
)
def test_the_fetcher_refuses_everything_but_static_files(url):
    with pytest.raises(ForbiddenURL):
        static_url_fetcher()(url)


def test_the_fetcher_serves_the_projects_static_files():
    response = static_url_fetcher()((STATIC / "css" / "portal.css").as_uri())
    assert b"Portal styles" in response.read()
    assert response.content_type == "text/css"
    response.close()


def test_the_fetcher_serves_static_urls_of_the_template_tag():
    # {% static 'billing/mandate.css' %} against the base URL gives file:///static/…
    assert resolve_static("file:///static/billing/mandate.css").name == "mandate.css"
    assert resolve_static("file:///static/css/portal.css") == STATIC / "css" / "portal.css"


def test_collected_and_hashed_static_files_are_served_in_production(tmp_path, settings):
    collected = tmp_path / "staticfiles" / "billing"
    collected.mkdir(parents=True)
    (collected / "mandate.0123abcd.css").write_text("body {}")
    settings.STATIC_ROOT = tmp_path / "staticfiles"
    path = resolve_static("file:///static/billing/mandate.0123abcd.css")
    assert path == (collected / "mandate.0123abcd.css").resolve()
    with pytest.raises(ForbiddenURL):
        resolve_static("file:///static/../staticfiles/billing/mandate.0123abcd.css")


def test_a_symlink_out_of_static_is_refused(tmp_path, settings):
    static = tmp_path / "static"
    static.mkdir()
    (static / "secret.css").symlink_to("/etc/passwd")
    settings.STATICFILES_DIRS = [static]
    with pytest.raises(ForbiddenURL):
        resolve_static((static / "secret.css").as_uri())


def test_render_pdf_never_embeds_a_forbidden_resource(tmp_path, settings, monkeypatch):
    asked = []
    original = pdf.resolve_static

    def spy(url):
        asked.append(url)
        return original(url)

    monkeypatch.setattr(pdf, "resolve_static", spy)
    template = tmp_path / "templates"
    template.mkdir()
    (template / "probe.html").write_text(
        '<link rel="stylesheet" href="file:///etc/passwd">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/x.css">'
        '<img src="file:///etc/hostname"><p>Bonjour</p>'
    )
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [template]}]
    content = pdf.render_pdf("probe.html")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert "Bonjour" in text
    assert "root:" not in text
    assert "file:///etc/passwd" in asked and "file:///etc/hostname" in asked
    assert "http://127.0.0.1:9/x.css" in asked  # asked, and refused, without any request
