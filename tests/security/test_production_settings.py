"""With the production settings (DEBUG=0): cookie flags, HTTPS only, HSTS and the CSP.

The settings are read in a subprocess, as tests/conservatoire/test_settings.py does
(``check --deploy`` is tested there); here a family really logs in over "https".
"""

import json

import pytest

from tests.conservatoire.test_settings import PRODUCTION_ENV, run_python


def directives(policy: str) -> dict[str, str]:
    return {
        part.split()[0]: " ".join(part.split()[1:])
        for part in (piece.strip() for piece in policy.split(";"))
        if part
    }


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    env = {**PRODUCTION_ENV, "MEDIA_ROOT": str(tmp_path_factory.mktemp("media"))}
    result = run_python(
        "import runpy; runpy.run_module('tests.security.production_probe', run_name='__main__')",
        env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_cookies_are_secure_httponly_and_samesite(production):
    assert production["debug"] is False
    assert production["login_status"] == 302 and production["family_space_status"] == 200
    session = production["session_cookie"]
    assert production["session_cookie_name"].startswith("__Host-")
    assert session["secure"] and session["httponly"]
    assert session["samesite"] == "Lax"
    assert (session["path"], session["domain"]) == ("/", "")  # what __Host- requires
    csrf = production["csrf_cookie"]
    assert production["csrf_cookie_name"].startswith("__Host-")
    assert csrf["secure"] and csrf["httponly"]
    assert csrf["samesite"] == "Lax"


@pytest.mark.slow
def test_http_is_redirected_and_https_answers_carry_hsts(production):
    assert production["http_status"] == 301
    assert production["http_location"].startswith("https://reinscriptions.limonest.fr/")
    hsts = production["hsts"]
    assert "max-age=31536000" in hsts and "includeSubDomains" in hsts and "preload" in hsts
    assert production["nosniff"] == "nosniff"
    assert production["frame_options"] == "DENY"
    assert production["referrer_policy"] == "same-origin"


@pytest.mark.slow
def test_family_pages_have_a_csp_without_inline_script(production):
    for key in ("csp_login", "csp_family_space"):
        policy = directives(production[key])
        assert policy["script-src"] == "'self'", key
        assert policy["style-src"] == "'self'", key
        assert policy["default-src"] == "'self'"
        assert policy["object-src"] == "'none'"
        assert policy["frame-ancestors"] == "'none'"
        assert policy["base-uri"] == "'self'"
        assert policy["form-action"] == "'self'"
    admin = directives(production["csp_admin"])
    assert admin["script-src"] == "'self'"  # the admin gets inline styles, never scripts
    assert admin["style-src"] == "'self' 'unsafe-inline'"
