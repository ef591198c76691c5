"""A school year's calendar: defaults derived from its first year, filled when left empty,
checked against the year, edited in the admin (also reached from the campaign's page)."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from conservatoire.models import SchoolYear
from tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db


def test_the_defaults_follow_the_first_year():
    assert SchoolYear.calendar_defaults(2025) == {
        "single_payment_on": datetime.date(2025, 10, 25),
        "first_debit_on": datetime.date(2025, 11, 1),
        "instalments": 9,
        "qf_year": 2025,
        "bank_change_since": datetime.date(2024, 9, 1),
    }


def test_for_start_year_gives_the_defaults():
    year = SchoolYear.for_start_year(2026)
    assert year.single_payment_on == datetime.date(2026, 10, 25)
    assert year.first_debit_on == datetime.date(2026, 11, 1)
    assert year.instalments == 9
    assert year.qf_year == 2026
    assert year.bank_change_since == datetime.date(2025, 9, 1)
    assert year.last_debit_on == datetime.date(2027, 7, 1)


def test_save_fills_what_is_left_empty_and_keeps_the_rest():
    year = SchoolYear.objects.create(
        label="2027-2028",
        starts_on=datetime.date(2027, 9, 1),
        ends_on=datetime.date(2028, 8, 31),
        qf_year=2026,
        first_debit_on=datetime.date(2027, 10, 17),
    )
    year.refresh_from_db()
    assert year.qf_year == 2026
    assert year.first_debit_on == datetime.date(2027, 10, 1)  # debits fall on the 1st
    assert year.single_payment_on == datetime.date(2027, 10, 25)
    assert year.bank_change_since == datetime.date(2026, 9, 1)


def test_clean_refuses_dates_outside_the_year():
    year = SchoolYear(
        label="2027-2028",
        starts_on=datetime.date(2027, 9, 1),
        ends_on=datetime.date(2028, 8, 31),
        single_payment_on=datetime.date(2028, 9, 25),
        first_debit_on=datetime.date(2028, 1, 1),
        instalments=12,
    )
    with pytest.raises(ValidationError) as error:
        year.full_clean()
    assert set(error.value.message_dict) == {"single_payment_on", "instalments"}


def test_staff_edit_the_calendar_in_the_school_year_admin(admin_client):
    year = SchoolYear.for_start_year(2025)
    url = reverse("admin:conservatoire_schoolyear_change", args=[year.pk])
    content = admin_client.get(url).content.decode()
    assert "Ce qui est dit aux familles" in content
    response = admin_client.post(
        url,
        {
            "label": "2025-2026",
            "starts_on": "2025-09-01",
            "ends_on": "2026-08-31",
            "single_payment_on": "",
            "first_debit_on": "2025-12-01",
            "instalments": "8",
            "qf_year": "",
            "bank_change_since": "2025-01-01",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    year.refresh_from_db()
    assert year.single_payment_on == datetime.date(2025, 10, 25)  # empty: the default
    assert year.first_debit_on == datetime.date(2025, 12, 1) and year.instalments == 8
    assert year.qf_year == 2025
    assert year.bank_change_since == datetime.date(2025, 1, 1)


def test_the_campaign_page_shows_the_calendar_with_a_link(admin_client):
    campaign = CampaignFactory()
    content = admin_client.get(
        reverse("admin:reinscription_campaign_change", args=[campaign.pk])
    ).content.decode()
    assert "règlement en 1 fois facturé à partir du 25 octobre 2025" in content
    assert "9 prélèvements, le premier en novembre 2025" in content
    assert "changement de banque depuis septembre 2024" in content
    assert reverse("admin:conservatoire_schoolyear_change", args=[campaign.school_year.pk]) in (
        content
    )
