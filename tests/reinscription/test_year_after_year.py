"""The demo, year after year: a family re-enrols a child for 2025-2026, the secretariat
validates it, ``prepare_campaign 2026-2027`` opens next year's campaign, and the same
family finds the child there, with what the child follows in 2025-2026."""

import datetime
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from reinscription.management.commands.setup_groups import setup_secretariat_group
from reinscription.models import Campaign, Enrolment, Reenrolment
from tests import factories
from tests.reinscription.conftest import step_url, student_named

pytestmark = pytest.mark.django_db


def row_of(page: str, name: str) -> str:
    return page.split(f"{name}</strong>")[1].split("</li>")[0]


def test_a_child_reenrolled_and_validated_is_there_the_next_year(demo, client, login, wizard):
    lea = student_named("Léa")

    # 2025-2026: the family re-enrols Léa.
    login("martin-claire")
    response = wizard(lea).complete(courses={"day_fm1c2": "saturday", "ensemble": "orchestre"})
    assert response.status_code == 302
    reenrolment = Reenrolment.objects.get(student=lea, campaign=demo)

    # The secretariat validates it.
    group, _missing = setup_secretariat_group()
    secretary = factories.StaffFactory(is_superuser=False)
    secretary.groups.add(group)
    staff = client.__class__()
    staff.force_login(secretary, backend="accounts.backends.IdentifierBackend")
    staff.post(
        reverse("admin:reinscription_reenrolment_changelist"),
        {"action": "validate_selected", ACTION_CHECKBOX_NAME: [str(reenrolment.pk)]},
    )
    reenrolment.refresh_from_db()
    assert reenrolment.status == Reenrolment.Status.VALIDATED
    enrolment = Enrolment.objects.get(student=lea, school_year=demo.school_year)
    lines = {
        line.course.code: line.slot for line in enrolment.lines.select_related("course", "slot")
    }
    assert set(lines) == {"fm1c2", "piano", "orchestre"}
    assert lines["fm1c2"].weekday == 5  # Saturday, as the family asked

    # Next year's campaign, opened today.
    today = timezone.localdate()
    out = io.StringIO()
    call_command(
        "prepare_campaign",
        "2026-2027",
        "--opens",
        today.isoformat(),
        "--closes",
        (today + datetime.timedelta(days=30)).isoformat(),
        stdout=out,
    )
    assert "La campagne 2026-2027 est ouverte aux familles" in out.getvalue()
    next_campaign = Campaign.objects.get(school_year__label="2026-2027")

    # The same family now sees Léa under 2026-2027, to re-enrol again.
    page = client.get(reverse("reinscription:family_space")).content.decode()
    assert "2026-2027" in page and "2025-2026" not in page
    assert "Commencer" in row_of(page, "Léa Martin")
    # Her brother and sister were not re-enrolled: they are not in next year's basis.
    assert "Commencer" not in row_of(page, "Emma Martin")
    assert "contactez le conservatoire" in row_of(page, "Emma Martin")

    response = client.get(step_url(lea, "choix"))
    assert response.status_code == 200
    assert response.context["campaign"] == next_campaign
    # Step 6 asks about what she follows in 2025-2026 (FM1C2's day, her collective practice).
    response = wizard(lea).complete(courses={"day_fm1c2": "wednesday", "ensemble": "orchestre"})
    assert response.status_code == 302
    again = Reenrolment.objects.get(student=lea, campaign=next_campaign)
    assert again.status == Reenrolment.Status.REENROLLED
    assert again.estimated_total > 0
