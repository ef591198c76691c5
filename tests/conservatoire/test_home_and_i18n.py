"""The home page, the admin login, the health check and the error pages, in French."""

import datetime
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.db import OperationalError, connection
from django.template import Context, Template
from django.urls import reverse

from conservatoire.models import SchoolYear
from conservatoire.money import format_euros, to_money
from conservatoire.views import HomeView

ROOT = Path(__file__).resolve().parents[2]
CATALOGS = [
    ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po",
    ROOT / "conservatoire" / "locale" / "fr" / "LC_MESSAGES" / "django.po",
]
NNBSP = "\u202f"  # narrow no-break space, between thousands
NBSP = "\u00a0"  # no-break space, before the euro sign


@pytest.fixture
def client(client):
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    return client


def page_text(response) -> str:
    return response.content.decode()


# --- Home page ----------------------------------------------------------------


@pytest.mark.django_db
def test_home_page_is_in_french(client):
    response = client.get(reverse("home"))

    assert response.status_code == 200
    html = page_text(response)
    assert '<html lang="fr">' in html
    assert "Réinscriptions au Conservatoire municipal de Limonest" in html
    assert "Aller au contenu" in html
    assert "Mot de passe perdu" in html
    assert "ouvrez « Réinscriptions »" in html


@pytest.mark.django_db
def test_home_page_log_in_link_uses_the_portal_words_not_djangos(client):
    html = page_text(client.get(reverse("home")))

    # Django's admin catalog says "Connexion"; the project's catalog wins.
    assert f'href="{reverse("accounts:login")}">Se connecter</a>' in html
    assert "Connexion</a>" not in html


@pytest.mark.django_db
def test_home_page_stays_french_for_an_english_browser(client):
    response = client.get(reverse("home"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert "Se connecter" in page_text(response)
    assert response["Content-Language"] == "fr"


@pytest.mark.django_db
def test_family_menu_shows_re_enrolments_account_and_log_out(client, responsible):
    client.force_login(responsible)

    html = page_text(client.get(reverse("home")))

    assert ">Réinscriptions</a>" in html
    assert ">Mon compte</a>" in html
    assert "Se déconnecter" in html


@pytest.mark.django_db
def test_staff_menu_links_to_the_administration(client, staff_user):
    client.force_login(staff_user)

    html = page_text(client.get(reverse("home")))

    assert f'href="{reverse("admin:index")}">Administration</a>' in html
    assert ">Mon compte</a>" not in html


# --- Admin, health check, 404 -------------------------------------------------


@pytest.mark.django_db
def test_admin_login_page_answers_in_french(client):
    response = client.get("/gestion/login/")

    assert response.status_code == 200
    html = page_text(response)
    assert "Conservatoire municipal de Limonest — administration" in html  # the identity's
    assert "Mot de passe" in html


@pytest.mark.django_db
def test_admin_index_redirects_anonymous_visitors_to_its_login(client):
    response = client.get("/gestion/")

    assert response.status_code == 302
    assert response["Location"].startswith("/gestion/login/")


@pytest.mark.django_db
def test_healthz_reports_ok_and_the_database(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": connection.vendor}


@pytest.mark.django_db
def test_unknown_page_gives_the_french_404(client):
    response = client.get("/nulle-part/")

    assert response.status_code == 404
    assert "Page introuvable" in page_text(response)


# --- Database unavailable: a French 503, no traceback ---------------------------


@pytest.mark.django_db
def test_database_error_gives_a_french_503_without_traceback(client, monkeypatch):
    def database_down(self, **kwargs):
        raise OperationalError('connection to server at "db" failed: Connection refused')

    monkeypatch.setattr(HomeView, "get_context_data", database_down)

    response = client.get(reverse("home"))

    assert response.status_code == 503
    assert response["Retry-After"] == "30"
    html = page_text(response)
    assert "Le service est momentanément indisponible" in html
    assert "Veuillez réessayer dans quelques minutes" in html
    assert "Traceback" not in html
    assert "OperationalError" not in html
    assert "Connection refused" not in html


@pytest.mark.django_db
def test_healthz_answers_503_when_the_database_is_down(client, monkeypatch):
    def cursor_fails():
        raise OperationalError("could not connect to server")

    unreachable = SimpleNamespace(cursor=cursor_fails, vendor="postgresql")
    monkeypatch.setattr("conservatoire.views.connection", unreachable)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert "Le service est momentanément indisponible" in page_text(response)


# --- The image's build step ----------------------------------------------------


@pytest.mark.slow
def test_collectstatic_with_production_settings_succeeds(tmp_path):
    """The Dockerfile runs collectstatic with DEBUG=0 (WhiteNoise's manifest storage)."""
    code = (
        "import django; django.setup(); "
        "from django.core.management import call_command; "
        "from django.test.utils import override_settings; "
        f"ctx = override_settings(STATIC_ROOT={str(tmp_path)!r}); ctx.enable(); "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    env = {k: v for k, v in os.environ.items() if k not in {"DEBUG", "SECRET_KEY"}}
    env.update(
        DEBUG="0",
        SECRET_KEY="collectstatic-at-build-time-only-not-a-real-secret-key-0123456789",
        DJANGO_SETTINGS_MODULE="conservatoire.settings",
    )

    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "staticfiles.json").exists()


# --- Catalogs -----------------------------------------------------------------


@pytest.mark.parametrize("catalog", CATALOGS, ids=lambda p: str(p.relative_to(ROOT)))
def test_french_catalog_is_complete(catalog):
    """Every msgid has a French msgstr, and nothing is left fuzzy."""
    entries = catalog.read_text(encoding="utf-8").split("\n\n")[1:]

    assert entries
    for entry in entries:
        assert "#, fuzzy" not in entry, entry
        translations = re.split(r"\nmsgstr(?:\[\d+\])? ", entry)[1:]  # plurals: msgstr[n]
        assert translations, entry
        for msgstr in translations:
            assert msgstr.strip() not in ('""', ""), entry
    assert catalog.with_suffix(".mo").exists()


# --- Money --------------------------------------------------------------------


def test_format_euros_the_french_way():
    assert format_euros(Decimal("1234.5")) == f"1{NNBSP}234,50{NBSP}€"
    assert format_euros("1234567.891") == f"1{NNBSP}234{NNBSP}567,89{NBSP}€"
    assert format_euros(Decimal("0")) == f"0,00{NBSP}€"
    assert format_euros(Decimal("-42.1")) == f"-42,10{NBSP}€"
    assert format_euros(7) == f"7,00{NBSP}€"


def test_to_money_rounds_half_up_to_the_cent():
    assert to_money("0.125") == Decimal("0.13")
    assert to_money("2.675") == Decimal("2.68")


@pytest.mark.parametrize("func", [format_euros, to_money])
def test_money_helpers_refuse_floats(func):
    with pytest.raises(TypeError):
        func(1234.5)


def test_euros_filter_formats_decimals_and_ignores_none():
    template = Template("{% load money %}[{{ amount|euros }}][{{ nothing|euros }}]")

    html = template.render(Context({"amount": Decimal("1234.5"), "nothing": None}))

    assert html == f"[1{NNBSP}234,50{NBSP}€][]"


def test_euros_filter_refuses_floats():
    template = Template("{% load money %}{{ amount|euros }}")

    with pytest.raises(TypeError):
        template.render(Context({"amount": 1234.5}))


# --- School years -------------------------------------------------------------


@pytest.mark.django_db
def test_school_year_for_start_year_runs_september_to_august():
    year = SchoolYear.for_start_year(2025)

    assert year.label == "2025-2026"
    assert year.starts_on == datetime.date(2025, 9, 1)
    assert year.ends_on == datetime.date(2026, 8, 31)
    assert str(year) == "2025-2026"


@pytest.mark.django_db
def test_school_year_for_start_year_reuses_the_existing_row():
    first = SchoolYear.for_start_year(2024)

    assert SchoolYear.for_start_year(2024).pk == first.pk
    assert SchoolYear.objects.filter(label="2024-2025").count() == 1
