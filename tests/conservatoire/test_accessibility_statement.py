"""The RGAA accessibility statement, and its mention on every page."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

MENTION = "Accessibilité : partiellement conforme"


def test_the_statement_follows_the_rgaa_model(client):
    response = client.get("/accessibilite/")
    assert response.status_code == 200
    html = response.content.decode()
    for heading in [
        "Déclaration d’accessibilité",
        "État de conformité",
        "Résultats des tests",
        "Contenus non accessibles",
        "Établissement de cette déclaration d’accessibilité",
        "Environnement de test",
        "Retour d’information et contact",
        "Voies de recours",
    ]:
        assert heading in html, heading
    assert "<strong>partiellement conforme</strong>" in html
    assert "RGAA), version 4.1" in html
    assert "article 47 de la loi n° 2005-102 du 11 février 2005" in html
    assert "axe-core" in html and "Chromium" in html
    assert 'href="mailto:conservatoire@limonest.fr"' in html
    assert "Défenseur des droits" in html
    assert "Cette déclaration a été établie le 26 novembre 2026." in html


def test_the_statement_is_named_accessibility():
    assert reverse("accessibility") == "/accessibilite/"


@pytest.mark.parametrize("path", ["/", "/compte/connexion/", "/tarifs/simulateur/"])
def test_every_page_links_to_the_statement(client, path):
    html = client.get(path).content.decode()
    assert f'<a href="/accessibilite/">{MENTION}</a>' in html


def test_the_error_pages_link_to_the_statement_too(client, settings):
    settings.DEBUG = False
    response = client.get("/page-qui-n-existe-pas/")
    assert response.status_code == 404
    html = response.content.decode()
    assert f'<a href="/accessibilite/">{MENTION}</a>' in html
    assert "<title>Page introuvable — " in html
