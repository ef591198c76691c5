"""The PDF renderer reads no file outside the static folders and calls no network URL.

tests/billing/test_pdf_fetcher.py checks the fetcher URL by URL; here whole documents
try every way HTML and CSS have to load a resource, against a real HTTP server on
loopback that counts the requests it gets, and a file outside the static folders.
"""

import http.server
import io
import threading

import pytest
from pypdf import PdfReader

from conservatoire import pdf
from tests.reinscription.conftest import student_named
from tests.security.conftest import pdf_text
from tests.staff.factories import submit

SECRET = "secret-outside-static-7f3a"


@pytest.fixture
def web_server():
    """An HTTP server on loopback that records every request (there must be none)."""
    hits = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (http.server's name)
            hits.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def refused(monkeypatch):
    """Every URL the renderer asked for and the fetcher refused."""
    urls = []
    original = pdf.resolve_static

    def spy(url):
        try:
            return original(url)
        except pdf.ForbiddenURL:
            urls.append(url)
            raise

    monkeypatch.setattr(pdf, "resolve_static", spy)
    return urls


def probe(base: str, secret_file) -> str:
    secret = secret_file.as_uri()
    return f"""<!doctype html><html><head>
<link rel="stylesheet" href="{base}/link.css">
<link rel="attachment" href="{secret}">
<style>
@import url("{base}/import.css");
@font-face {{ font-family: x; src: url("{base}/font.woff"); }}
body {{ background: url("{base}/background.png"); }}
h1 {{ background: url("{secret}"); }}
</style></head><body>
<h1>Bonjour</h1>
<img src="{base}/img.png"><img src="{secret}"><img src="/etc/passwd">
<img src="../manage.py"><img src="file:///static/../../conservatoire/settings.py">
<object data="{base}/object.pdf"></object><embed src="{secret}">
<iframe src="{base}/frame.html"></iframe>
<svg xmlns="http://www.w3.org/2000/svg"><image href="{base}/svg.png" width="9" height="9"/></svg>
<a rel="attachment" href="{secret}">pièce jointe</a>
<a href="{base}/link">lien</a>
</body></html>"""


def test_no_network_call_and_no_file_outside_static(tmp_path, settings, web_server, refused):
    base, hits = web_server
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "probe.html").write_text(probe(base, secret_file))
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [templates]}]

    content = pdf.render_pdf("probe.html")

    assert hits == []
    reader = PdfReader(io.BytesIO(content))
    assert reader.attachments == {}
    text = pdf_text(content)
    assert "Bonjour" in text
    assert SECRET not in text and "root:" not in text
    assert SECRET.encode() not in content
    asked = " ".join(refused)
    for piece in ("link.css", "import.css", "font.woff", "background.png", "img.png"):
        assert piece in asked, piece  # asked for, refused, never fetched
    assert secret_file.as_uri() in refused
    assert any("passwd" in url for url in refused)


@pytest.mark.django_db
def test_a_recap_with_family_text_pointing_outside_fetches_nothing(
    demo, web_server, refused, tmp_path
):
    base, hits = web_server
    secret_file = tmp_path / "secret.txt"
    secret_file.write_text(SECRET)
    comments = (
        f'<img src="{base}/x.png"> <link rel="stylesheet" href="{base}/x.css"> '
        f'<a rel="attachment" href="{secret_file.as_uri()}">x</a> '
        f"<style>@import url({base}/y.css);</style>"
    )
    from reinscription.recap import recap_pdf

    content = recap_pdf(submit(student_named("Léa"), comments=comments))

    assert hits == []
    assert refused == []  # the text stayed text: nothing was even asked for
    assert PdfReader(io.BytesIO(content)).attachments == {}
    assert f'<img src="{base}/x.png">' in pdf_text(content)
