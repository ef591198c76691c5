"""The "hors base" students (in a family of the campaign, no course last year) are listed
on the dashboard and the home, for the secretariat to enrol."""

import pytest
from django.urls import reverse

from accounts.models import Family
from reinscription.backoffice import dashboard
from tests.factories import StudentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def paul(demo):
    family = Family.objects.get(legacy_id="DEMO-martin")
    return StudentFactory(family=family, first_name="Paul", last_name="Martin")


def test_the_dashboard_lists_them_as_hors_base(paul, demo, secretary_client):
    StudentFactory(first_name="Étranger")  # another family, not in the campaign: not listed
    assert list(dashboard.outside_basis(demo)) == [paul]
    response = secretary_client.get(
        reverse("admin:reinscription_campaign_dashboard", args=[demo.pk])
    )
    assert response.context["outside_card"]["count"] == 1
    listed = secretary_client.get(response.context["outside_card"]["url"])
    assert listed.status_code == 200
    assert [str(s) for s in listed.context["cl"].result_list] == ["Paul Martin"]
    assert "hors base" in listed.content.decode()
    # Not among the students to re-enrol.
    assert sum(dashboard.status_counts(demo).values()) == 9
