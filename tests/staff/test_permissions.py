"""The "Secrétariat" group: what the daily work needs; staff without it see nothing."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Family
from reinscription.management.commands.setup_groups import (
    SECRETARIAT,
    SECRETARIAT_PERMISSIONS,
    setup_secretariat_group,
)
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


def family_pages(campaign, reenrolment) -> list[str]:
    family = Family.objects.get(name="Martin")
    return [
        reverse("admin:accounts_family_changelist"),
        reverse("admin:accounts_family_change", args=[family.pk]),
        reverse("admin:accounts_student_changelist"),
        reverse("admin:accounts_responsible_changelist"),
        reverse("admin:reinscription_reenrolment_changelist"),
        reverse("admin:reinscription_reenrolment_change", args=[reenrolment.pk]),
        reverse("admin:reinscription_reenrolment_recap", args=[reenrolment.pk]),
        reverse("admin:reinscription_campaignstudent_changelist"),
        reverse("admin:reinscription_enrolment_changelist"),
        reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk]),
        reverse("admin:reinscription_campaign_planning", args=[campaign.pk, "csv"]),
        reverse("admin:reinscription_campaign_unanswered", args=[campaign.pk, "xlsx"]),
        reverse("admin:reinscription_enrolment_import"),
        reverse("admin:documents_document_changelist"),
    ]


@pytest.fixture
def lea(demo):
    return submit(student_named("Léa"))


def test_staff_without_the_group_sees_nothing_of_families(demo, lea, client, staff_without_group):
    client.force_login(staff_without_group, backend="accounts.backends.IdentifierBackend")
    for url in family_pages(demo, lea):
        assert client.get(url).status_code == 403, url
    index = client.get(reverse("admin:index")).content.decode()
    assert "Familles" not in index and "Réinscriptions" not in index


def test_the_secretariat_reaches_every_page_of_its_daily_work(demo, lea, secretary_client):
    for url in family_pages(demo, lea):
        assert secretary_client.get(url).status_code == 200, url


def test_the_secretariat_cannot_delete_families_nor_manage_staff(demo, secretary_client):
    family = Family.objects.get(name="Martin")
    assert (
        secretary_client.get(reverse("admin:accounts_family_delete", args=[family.pk])).status_code
        == 403
    )
    assert secretary_client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert secretary_client.get(reverse("admin:auth_group_changelist")).status_code == 403


def test_setup_groups_is_idempotent_and_finds_every_permission(db, capsys):
    call_command("setup_groups")
    call_command("setup_groups")
    group = Group.objects.get(name=SECRETARIAT)
    assert group.permissions.count() == len(SECRETARIAT_PERMISSIONS)
    _group, missing = setup_secretariat_group()
    assert missing == []
    assert "Secrétariat" in capsys.readouterr().out


def test_the_app_page_and_the_campaign_list_lead_to_the_dashboard(demo, secretary_client):
    dashboard = reverse("admin:reinscription_dashboard")
    for url in (
        reverse("admin:app_list", args=["reinscription"]),
        reverse("admin:reinscription_campaign_changelist"),
    ):
        response = secretary_client.get(url)
        assert response.status_code == 200
        assert dashboard in response.content.decode()
