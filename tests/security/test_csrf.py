"""Every POST without a CSRF token is refused: every URL pattern of the project is tried.

The family forms are also tested one by one in their apps (tests/accounts/test_login.py,
test_account_page.py, test_password_reset_request.py, tests/documents/test_upload_view.py,
tests/reinscription/test_wizard.py); here the URL configuration is walked, so that a view
added later (or a ``csrf_exempt``) is caught too.
"""

import re

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404

from accounts.models import PasswordResetRequest, User
from conservatoire.models import OutboxEmail
from documents import views as documents_views
from documents.models import DocumentType
from reinscription.models import WizardDraft
from tests.reinscription.conftest import step_payload, step_url, student_named

pytestmark = pytest.mark.django_db

# The views that receive the family's files check the token themselves, after installing
# their size-limiting upload handler (which must come before the body is read):
# documents.uploads.size_limited_uploads. The POST-without-token test below covers them.
CHECKS_CSRF_ITSELF = {
    documents_views.upload,
    resolve(reverse("documents:list")).func,
    resolve(reverse("reinscription:wizard", args=[1])).func,
}
SAMPLES = {"int": "1", "path": "1", "slug": "x", "uuid": "00000000-0000-0000-0000-000000000000"}


def url_patterns():
    """(path with sample values, pattern) for every URL pattern of the project."""

    def walk(patterns, prefix=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), pattern

    for route, pattern in walk(get_resolver().url_patterns):
        yield "/" + sample_path(route), pattern


def sample_path(route: str) -> str:
    def converter(match):
        kind, name = match.group(1) or "str", match.group(2)
        if name == "step":
            return "choix"
        return SAMPLES.get(kind, "x")

    path = re.sub(r"\(\?P<app_label>[^)]*\)", "accounts", route)
    path = re.sub(r"<(?:(\w+):)?(\w+)>", converter, path)
    path = path.replace("(?P<url>.*)", "nulle-part/").replace("([^/]+)", "1")
    return path.replace("^", "").replace("$", "")


def test_every_url_pattern_is_generated_and_only_the_file_views_are_csrf_exempt():
    exempt, unresolved = [], []
    for path, pattern in url_patterns():
        try:
            match = resolve(path)
        except Resolver404:
            unresolved.append(path)
            continue
        if match.func is not pattern.callback:
            unresolved.append(f"{path} → {match.view_name}")
        if getattr(pattern.callback, "csrf_exempt", False):
            exempt.append(pattern.callback)
    assert unresolved == []
    assert set(exempt) == CHECKS_CSRF_ITSELF
    assert "django.middleware.csrf.CsrfViewMiddleware" in settings.MIDDLEWARE


def csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user, backend="accounts.backends.IdentifierBackend")
    return client


def test_a_post_without_token_is_refused_everywhere(demo):
    family = csrf_client(User.objects.get(username="leroy-marc"))
    staff = csrf_client(User.objects.get(username="secretariat"))
    anonymous = Client(enforce_csrf_checks=True)
    accepted = []
    patterns = list(url_patterns())
    assert len(patterns) > 100
    for path, pattern in patterns:
        clients = [staff] if path.startswith("/gestion/") else [family, anonymous]
        for client in clients:
            response = client.post(path, {"username": "leroy-marc", "decision": "decline"})
            if response.status_code == 403:
                continue
            if client is anonymous and pattern.callback in CHECKS_CSRF_ITSELF:
                assert response.url.startswith("/compte/connexion/")  # login first
                continue
            accepted.append((path, response.status_code))
    assert accepted == []

    assert family.get("/compte/").status_code == 200  # the logout was refused too
    assert not WizardDraft.objects.exists()
    assert not PasswordResetRequest.objects.exists()
    assert not OutboxEmail.objects.exists()


def test_the_family_forms_work_with_the_token(demo):
    """The refusals above come from the missing token: with it, no form answers 403."""
    client = csrf_client(User.objects.get(username="leroy-marc"))
    client.get("/compte/")
    token = {"csrfmiddlewaretoken": client.cookies[settings.CSRF_COOKIE_NAME].value}
    inès = student_named("Inès")
    certificate = DocumentType.objects.get(code="certificat-medical-danse")
    posts = [
        ("/compte/", {"email": "marc.leroy@example.org", "mobile": "06 70 80 90 10"}),
        ("/compte/mot-de-passe/", {"old_password": "faux"}),
        ("/documents/envoyer/", {"document_type": certificate.pk, "student": inès.pk}),
        (step_url(inès, "choix"), step_payload(inès, "choix", {"decision": "reenrol"})),
        ("/tarifs/simulateur/", {"qf": "500"}),
        ("/compte/deconnexion/", {}),
        ("/compte/connexion/", {"username": "leroy-marc", "password": "faux"}),
        ("/compte/mot-de-passe-perdu/", {"identifier": "x", "email": "x@example.org"}),
        ("/compte/nouveau-mot-de-passe/", {"new_password1": "x", "new_password2": "x"}),
    ]
    for path, data in posts:
        assert client.post(path, {**data, **token}).status_code != 403, path
    assert WizardDraft.objects.filter(student=inès).exists()
