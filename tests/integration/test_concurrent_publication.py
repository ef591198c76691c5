"""On PostgreSQL: two campaigns published at the same instant leave one published, and
neither publication fails (the lock serialises them; the constraint would refuse the
second otherwise)."""

import datetime
import threading

import pytest
from django.db import connection
from django.utils import timezone

from reinscription.backoffice.campaigns import prepare_next_campaign, publish_campaign
from reinscription.backoffice.validation import validate_reenrolments
from reinscription.demo import seed_demo
from reinscription.models import Campaign, Reenrolment
from tests import factories
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def test_two_simultaneous_publications_leave_one_published():
    assert connection.vendor == "postgresql"
    seed_demo()
    lea = submit(student_named("Léa"))
    validate_reenrolments(Reenrolment.objects.filter(pk=lea.pk), factories.StaffFactory())
    today = timezone.localdate()
    campaigns = [
        prepare_next_campaign(label, today, today + datetime.timedelta(30)).campaign
        for label in ("2026-2027", "2027-2028")
    ]
    # 2027-2028's basis (2026-2027's enrolments) is empty: give it one to be ready.
    factories.EnrolmentFactory(school_year=campaigns[0].school_year)

    barrier = threading.Barrier(2)
    errors = []

    def publish(campaign):
        barrier.wait()
        try:
            publish_campaign(campaign)
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(campaign,)) for campaign in campaigns]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert errors == []
    published = list(Campaign.objects.filter(published=True))
    assert len(published) == 1 and published[0] in campaigns
