"""The Content-Security-Policy header, and pages that can live with it.

Every family page is fetched (anonymous pages, the seven wizard steps, the recap, error
pages…): it carries the family policy, and has no inline script, no ``<style>``, no
``style=`` attribute and no event handler, so that the policy breaks nothing. The admin
gets inline styles (Django's own templates use them) but no inline script either.

The header comes from django-csp (``csp.middleware.CSPMiddleware``), which writes the
directives in no fixed order: headers are compared directive by directive.
"""

import pytest
from csp.middleware import CSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.contrib import admin
from django.db import OperationalError
from django.test import Client
from django.urls import NoReverseMatch, reverse

from accounts import views as accounts_views
from accounts.models import User
from conservatoire.views import HomeView
from reinscription.models import Reenrolment
from tests.accounts.helpers import ask_password, emailed_password, log_in
from tests.reinscription.conftest import WizardDriver, step_url, student_named
from tests.security.conftest import inspect_html

pytestmark = pytest.mark.django_db


def directives(header: str) -> dict[str, list[str]]:
    """``"a x y; b z"`` → ``{"a": ["x", "y"], "b": ["z"]}`` (the order of directives is free)."""
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


# The policy of the hand-written middleware django-csp replaced, kept as it was.
PREVIOUS_FAMILY_POLICY = directives(
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; "
    "base-uri 'self'; object-src 'none'"
)
PREVIOUS_ADMIN_POLICY = {**PREVIOUS_FAMILY_POLICY, "style-src": ["'self'", "'unsafe-inline'"]}

FAMILY_POLICY = directives(build_policy())
ADMIN_POLICY = directives(build_policy(replace=settings.CONTENT_SECURITY_POLICY_ADMIN_REPLACE))


def csp_of(response) -> dict[str, list[str]]:
    return directives(response["Content-Security-Policy"])


def check_family_page(response, where: str) -> None:
    assert csp_of(response) == FAMILY_POLICY, where
    report = inspect_html(response.content)
    assert report.inline_scripts == [], f"{where}: {report.inline_scripts}"
    assert report.json_scripts == [], where
    assert report.style_elements == 0, f"{where}: <style> element"
    assert report.style_attributes == [], f"{where}: {report.style_attributes}"
    assert report.event_handlers == [], f"{where}: {report.event_handlers}"
    assert report.script_urls == [], where
    for url in report.resources:
        assert url.startswith(settings.STATIC_URL), f"{where}: {url} is not ours"


def test_the_family_policy_allows_no_inline_script_nor_style():
    assert FAMILY_POLICY["script-src"] == ["'self'"]
    assert FAMILY_POLICY["style-src"] == ["'self'"]
    assert FAMILY_POLICY["object-src"] == ["'none'"]
    assert FAMILY_POLICY["frame-ancestors"] == ["'none'"]
    assert ADMIN_POLICY["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in ADMIN_POLICY["script-src"]


def test_the_policies_are_those_of_the_former_middleware():
    assert FAMILY_POLICY == PREVIOUS_FAMILY_POLICY
    assert ADMIN_POLICY == PREVIOUS_ADMIN_POLICY
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE


def test_anonymous_pages(demo, client, monkeypatch):
    monkeypatch.setattr(accounts_views, "RESET_ANSWER_SECONDS", 0)
    urls = [
        reverse("home"),
        reverse("accounts:login"),
        reverse("accounts:password_reset"),
        reverse("billing:simulator"),
        "/page-inconnue/",
    ]
    try:
        urls.append(reverse("accessibility"))
    except NoReverseMatch:  # the accessibility statement is being added
        pass
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 404), url
        check_family_page(response, url)
    check_family_page(
        client.post(reverse("accounts:login"), {"username": "x", "password": "y"}), "login error"
    )
    check_family_page(
        client.post(reverse("billing:simulator"), {"qf": "abc"}), "simulator with errors"
    )
    for _attempt in range(5):
        locked = log_in(client, "leroy-marc", "faux")
    check_family_page(locked, "lockout page")


def test_the_password_choice_page(demo, client, monkeypatch):
    monkeypatch.setattr(accounts_views, "RESET_ANSWER_SECONDS", 0)
    ask_password(client, "leroy-marc", "marc.leroy@example.org")
    response = log_in(client, "leroy-marc", emailed_password("marc.leroy@example.org"))
    assert response.url == reverse("accounts:choose_password")
    page = client.get(response.url)
    assert page.status_code == 200
    check_family_page(page, "choose password")


def test_family_pages_and_every_wizard_step(demo, family_client):
    client = family_client("petit-karim")
    nathan = student_named("Nathan")
    for url in (
        reverse("reinscription:family_space"),
        reverse("accounts:account"),
        reverse("accounts:password_change"),
        reverse("documents:list"),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        check_family_page(response, url)

    driver = WizardDriver(client, nathan)
    answers = {
        "choix": {"decision": "reenrol"},
        "coordonnees": driver.details(),
        "reglement": {"payment_mode": "monthly", "bank_changed": "yes"},  # errors shown
        "autorisations": {"image_rights": "yes", "outing_authorisation": "no"},
        "documents": {},
        "cours": {"day_fm1c3": "wednesday", "ensemble": "orchestre"},
    }
    for step, data in answers.items():
        page = client.get(step_url(nathan, step))
        assert page.status_code == 200, step
        check_family_page(page, f"wizard {step}")
        response = driver.post(step, data)
        if response.status_code == 200:  # the step with its errors
            check_family_page(response, f"wizard {step} with errors")
            response = driver.post(step, {"payment_mode": "once"})
        assert response.status_code == 302, step
    check_family_page(client.get(step_url(nathan, "recapitulatif")), "wizard recap")
    total = driver.recap_total()
    check_family_page(driver.post("recapitulatif", {"shown_total": total}), "recap unaccepted")
    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert Reenrolment.objects.filter(student=nathan).exists()
    detail = client.get(response.url)
    check_family_page(detail, "recap page with its message")


def test_error_pages(demo, monkeypatch):
    client = Client(raise_request_exception=False)

    def database_down(self, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(HomeView, "get_context_data", database_down)
    response = client.get(reverse("home"))
    assert response.status_code == 503
    check_family_page(response, "503")

    def broken(self, **kwargs):
        raise ValueError("bug")

    monkeypatch.setattr(HomeView, "get_context_data", broken)
    response = client.get(reverse("home"))
    assert response.status_code == 500
    check_family_page(response, "500")


def test_pdfs_and_downloads_keep_their_own_headers(demo, family_client):
    client = family_client("leroy-marc")
    inès = student_named("Inès")
    WizardDriver(client, inès).complete()
    for url in (
        reverse("billing:mandate_pdf"),
        reverse("reinscription:recap_pdf", args=[inès.pk]),
    ):
        response = client.get(url)
        assert response["Content-Type"] == "application/pdf", url
        assert response["Content-Disposition"].startswith("attachment;"), url
        assert "no-store" in response["Cache-Control"], url
        assert "Content-Security-Policy" not in response, url


def admin_pages():
    """Every admin list and add page, the change page of a row of each, the custom pages."""
    yield reverse("admin:index")
    for model in admin.site._registry:
        info = model._meta.app_label, model._meta.model_name
        yield reverse("admin:{}_{}_changelist".format(*info))
        yield reverse("admin:{}_{}_add".format(*info))
        row = model.objects.first()
        if row is not None:
            yield reverse("admin:{}_{}_change".format(*info), args=[row.pk])
            yield reverse("admin:{}_{}_history".format(*info), args=[row.pk])
    for name in ("reinscription_dashboard", "accounts_user_password_change"):
        try:
            yield reverse(f"admin:{name}")
        except NoReverseMatch:
            try:
                yield reverse(f"admin:{name}", args=[User.objects.get(username="secretariat").pk])
            except NoReverseMatch:
                pass


def test_admin_pages_have_no_inline_script(demo, family_client, client):
    WizardDriver(family_client("leroy-marc"), student_named("Inès")).complete()
    client.force_login(User.objects.get(username="secretariat"))
    checked = 0
    for url in admin_pages():
        response = client.get(url, follow=True)
        if response.status_code == 403:  # a page the admin refuses (add forbidden…)
            continue
        assert response.status_code == 200, url
        if not response["Content-Type"].startswith("text/html"):
            continue
        assert csp_of(response) == ADMIN_POLICY, url
        report = inspect_html(response.content)
        assert report.inline_scripts == [], f"{url}: {report.inline_scripts}"
        assert report.event_handlers == [], f"{url}: {report.event_handlers}"
        assert report.script_urls == [], url
        checked += 1
    assert checked > 40


def test_the_middleware_keeps_a_policy_set_by_a_view_and_skips_non_html(rf):
    from csp.constants import NONE
    from csp.decorators import csp_replace
    from django.http import HttpResponse

    from conservatoire.middleware import ContentSecurityPolicyScopeMiddleware

    def middlewares(view):
        """The two, in the order of settings.MIDDLEWARE."""
        return CSPMiddleware(ContentSecurityPolicyScopeMiddleware(view))

    def view_with_policy(request):
        response = HttpResponse("<p>x</p>")
        response["Content-Security-Policy"] = "default-src 'none'"
        return response

    own = middlewares(view_with_policy)(rf.get("/"))
    assert own["Content-Security-Policy"] == "default-src 'none'"
    csv = middlewares(lambda r: HttpResponse("a;b", content_type="text/csv"))
    assert "Content-Security-Policy" not in csv(rf.get("/gestion/x/"))
    page = middlewares(lambda r: HttpResponse("<p>x</p>"))
    assert csp_of(page(rf.get("/gestion/reinscription/"))) == ADMIN_POLICY
    assert csp_of(page(rf.get("/espace/"))) == FAMILY_POLICY
    # A view's own replacement (django-csp's decorator) wins, in the admin too.
    strict = middlewares(csp_replace({"img-src": [NONE]})(lambda r: HttpResponse("<p>x</p>")))
    assert csp_of(strict(rf.get("/gestion/x/"))) == {**ADMIN_POLICY, "img-src": ["'none'"]}
    assert csp_of(strict(rf.get("/espace/"))) == {**FAMILY_POLICY, "img-src": ["'none'"]}
