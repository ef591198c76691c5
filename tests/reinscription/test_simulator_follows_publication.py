"""The public simulator shows the grid of the year families see, not one being prepared."""

import datetime

from django.urls import reverse
from django.utils import timezone

from billing.backoffice.grid_copy import copy_grid
from billing.demo import ensure_demo_grid
from billing.services import latest_grid_year
from conservatoire.models import SchoolYear
from tests.factories import CampaignFactory


def test_a_grid_copied_for_a_campaign_being_prepared_stays_out_of_the_simulator(client, db):
    this_year = SchoolYear.for_start_year(2025)
    ensure_demo_grid(this_year)
    CampaignFactory(school_year=this_year, previous_year=SchoolYear.for_start_year(2024))
    next_year = SchoolYear.for_start_year(2026)
    copy_grid(this_year, next_year)
    CampaignFactory(
        school_year=next_year,
        previous_year=this_year,
        opens_at=timezone.now() + datetime.timedelta(days=30),
        closes_at=timezone.now() + datetime.timedelta(days=60),
        published=False,
        published_at=None,
    )

    assert latest_grid_year() == this_year
    assert "2025-2026" in client.get(reverse("billing:simulator")).content.decode()


def test_without_any_campaign_the_simulator_takes_the_latest_grid(db):
    ensure_demo_grid(SchoolYear.for_start_year(2025))
    later = SchoolYear.for_start_year(2026)
    copy_grid(SchoolYear.for_start_year(2025), later)

    assert latest_grid_year() == later
