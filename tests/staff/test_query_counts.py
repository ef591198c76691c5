"""The back office's lists cost the same number of queries for 10 or 500 families."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Student
from reinscription.demo import seed_catalogue, seed_load_families
from reinscription.models import Campaign, Enrolment, ExportJob, Reenrolment, ReminderSent

pytestmark = pytest.mark.django_db

# Measured on SQLite and PostgreSQL (session, user, permissions, filters, count, page).
PAGES = {
    "reinscription_reenrolment_changelist": 14,
    "reinscription_campaignstudent_changelist": 16,
    "reinscription_enrolment_changelist": 14,
    "reinscription_remindersent_changelist": 14,
    "reinscription_exportjob_changelist": 10,
    "reinscription_dashboard_page": 17,
}


def build(size: int, staff) -> Campaign:
    previous, _year, campaign = seed_catalogue()
    seed_load_families(size, previous)
    now = timezone.now()
    students = list(Student.objects.order_by("pk"))
    Reenrolment.objects.bulk_create(
        Reenrolment(
            student=student,
            campaign=campaign,
            status=Reenrolment.Status.REENROLLED if i % 3 else Reenrolment.Status.VALIDATED,
            decision=Reenrolment.Decision.REENROL,
            payment_mode="once",
            preferences={"fm_day": "saturday", "ensemble": "orchestre", "formula": "eveil"},
            comments="Merci",
            rules_version="2025-1",
            rules_accepted_at=now,
            submitted_at=now,
            validated_by=staff if i % 3 == 0 else None,
        )
        for i, student in enumerate(students[: len(students) // 2])
    )
    ReminderSent.objects.bulk_create(
        ReminderSent(family_id=student.family_id, campaign=campaign, recipients=["a@example.org"])
        for student in students
    )
    ExportJob.objects.bulk_create(
        ExportJob(reenrolment_ids=[1], total=1, created_by=staff) for _ in range(size)
    )
    return campaign


def url_of(name: str, campaign: Campaign) -> str:
    if name == "reinscription_dashboard_page":
        return reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk])
    return reverse(f"admin:{name}")


@pytest.mark.parametrize("name", PAGES)
def test_lists_do_not_grow_with_the_number_of_families(
    name, secretary, client, django_assert_max_num_queries, still_clock
):
    client.force_login(secretary, backend="accounts.backends.IdentifierBackend")
    counts = []
    for size in (10, 500):
        # Re-enrolments and enrolments are protected: deleted first, explicitly.
        Reenrolment.objects.all().delete()
        Enrolment.objects.all().delete()
        Student.objects.all().delete()
        campaign = build(size, secretary)
        client.get(url_of(name, campaign))  # warm caches (content types, sessions)
        with CaptureQueriesContext(connection) as queries:
            with django_assert_max_num_queries(PAGES[name]):
                response = client.get(url_of(name, campaign))
        assert response.status_code == 200
        counts.append(len(queries))
    assert counts[0] == counts[1], counts
