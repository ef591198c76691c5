"""The home page: the open campaign's deadline, what to have ready, the simulator."""

import datetime
import zoneinfo

import pytest
from django.urls import reverse

from reinscription.public import deadline_text, home_facts
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


@pytest.fixture
def client(client):
    client.defaults["HTTP_HOST"] = "127.0.0.1"
    return client


def home(client) -> str:
    return client.get(reverse("home")).content.decode()


def test_it_gives_the_open_campaigns_year_and_last_day(client):
    CampaignFactory(closes_at=datetime.datetime(2099, 7, 1, tzinfo=PARIS))
    html = home(client)
    # Closing at midnight on 1 July: families have until 30 June, included.
    assert "Réinscriptions pour l’année 2025-2026 : ouvertes jusqu’au 30 juin 2099." in html


def test_a_closing_during_the_day_gives_the_time(client):
    CampaignFactory(closes_at=datetime.datetime(2099, 6, 30, 18, 0, tzinfo=PARIS))
    assert "ouvertes jusqu’au 30 juin 2099 à 18:00." in home(client)


def test_the_first_of_the_month_is_written_1er():
    closes_at = datetime.datetime(2099, 7, 2, tzinfo=PARIS)
    assert deadline_text(closes_at) == "1er juillet 2099"


def test_without_an_open_campaign_no_date_is_given(client):
    CampaignFactory(published=False)
    assert home_facts() == {}
    html = home(client)
    assert "ouvertes jusqu’au" not in html
    assert "Simulateur de tarif" in html  # the simulator is public all year


def test_it_lists_what_to_have_ready(client):
    html = home(client)
    assert "À préparer avant de commencer" in html
    assert "RIB, avec l’IBAN" in html
    assert "attestation de quotient familial (QF) de la CAF" in html
    assert "si vous habitez à Limonest" in html  # the conservatoire's commune
    assert "Un justificatif de domicile." in html


def test_it_links_to_the_public_tariff_simulator(client):
    html = home(client)
    assert f'<a href="{reverse("billing:simulator")}">Simulateur de tarif</a>' in html


def test_the_deadline_comes_from_the_settings_provider(client, settings):
    settings.HOME_CAMPAIGN_PROVIDER = "tests.conservatoire.test_home_page.fixed_facts"
    html = home(client)
    assert "Réinscriptions pour l’année 2030-2031 : ouvertes jusqu’au 1er mai 2031." in html


def fixed_facts() -> dict:
    return {"campaign_year": "2030-2031", "campaign_deadline": "1er mai 2031"}
