"""Staff validate the version they saw, never one the family wrote since."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from reinscription.backoffice.admin.reenrolments import locked_for_validation
from reinscription.models import Reenrolment
from tests.staff.conftest import change_form_data, student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def lea(demo):
    return submit(student_named("Léa"), preferences={"fm_day": "saturday"})


def change_url(reenrolment) -> str:
    return reverse("admin:reinscription_reenrolment_change", args=[reenrolment.pk])


def test_the_change_form_carries_the_version_shown(lea, secretary_client):
    content = secretary_client.get(change_url(lea)).content.decode()
    assert '<input type="hidden" name="seen_version" value="1"' in content


def test_a_version_written_since_the_page_was_opened_is_not_validated(lea, secretary_client):
    data = change_form_data(
        secretary_client, change_url(lea), status="validated", internal_note="Vu"
    )
    submit(student_named("Léa"), preferences={"fm_day": "wednesday"})  # the family, meanwhile
    response = secretary_client.post(change_url(lea), data)
    assert response.status_code == 200
    assert (
        "Cette réinscription a été modifiée depuis que vous l’avez ouverte (version 1 → 2). "
        "Rechargez la page."
    ) in response.content.decode()
    lea.refresh_from_db()
    assert (lea.status, lea.version, lea.internal_note) == (Reenrolment.Status.REENROLLED, 2, "")
    assert lea.validated_by is None


def test_the_version_seen_is_validated(lea, secretary, secretary_client):
    submit(student_named("Léa"), preferences={"fm_day": "wednesday"})
    data = change_form_data(secretary_client, change_url(lea), status="validated")
    assert data["seen_version"] == 2
    response = secretary_client.post(change_url(lea), data)
    assert response.status_code == 302
    lea.refresh_from_db()
    assert (lea.status, lea.validated_by) == (Reenrolment.Status.VALIDATED, secretary)


def test_a_form_without_the_version_is_refused(lea, secretary_client):
    data = change_form_data(secretary_client, change_url(lea), status="validated")
    del data["seen_version"]
    response = secretary_client.post(change_url(lea), data)
    assert response.status_code == 200
    assert "Rechargez la page." in response.content.decode()
    lea.refresh_from_db()
    assert lea.status == Reenrolment.Status.REENROLLED


def test_the_bulk_action_locks_only_the_reenrolment_rows_it_validates(lea):
    """``FOR UPDATE OF`` the re-enrolments alone (PostgreSQL): never the families or the
    campaign the list joins, and by primary key, so that a DISTINCT of the list's search
    cannot make the lock fail."""
    listed = Reenrolment.objects.select_related("student__family", "campaign").distinct()
    locked = locked_for_validation(listed)
    assert locked.query.select_for_update
    assert locked.query.select_for_update_of == ("self",)
    assert not locked.query.select_related and not locked.query.distinct
    assert list(locked) == [lea]


def test_the_bulk_action_validates_a_searched_list(lea, secretary, secretary_client):
    url = reverse("admin:reinscription_reenrolment_changelist") + "?q=Martin"
    response = secretary_client.post(
        url,
        {"action": "validate_selected", ACTION_CHECKBOX_NAME: [str(lea.pk)]},
        follow=True,
    )
    assert "Réinscriptions validées : 1." in response.content.decode()
    lea.refresh_from_db()
    assert (lea.status, lea.validated_by, lea.version) == (
        Reenrolment.Status.VALIDATED,
        secretary,
        1,
    )


def test_the_bulk_action_leaves_what_changed_since_the_list_was_shown(lea, demo, secretary_client):
    manon = submit(student_named("Manon"))
    url = reverse("admin:reinscription_reenrolment_changelist")
    listing = secretary_client.get(url).content.decode()
    assert f'name="seen_version_{lea.pk}" value="1"' in listing
    submit(student_named("Léa"), preferences={"fm_day": "wednesday"})  # the family, meanwhile
    response = secretary_client.post(
        url,
        {
            "action": "validate_selected",
            ACTION_CHECKBOX_NAME: [str(lea.pk), str(manon.pk)],
            f"seen_version_{lea.pk}": "1",
            f"seen_version_{manon.pk}": "1",
        },
        follow=True,
    )
    content = response.content.decode()
    assert "Réinscriptions validées : 1." in content
    assert "Modifiées par la famille depuis l’affichage de la liste" in content
    lea.refresh_from_db()
    manon.refresh_from_db()
    assert lea.status == Reenrolment.Status.REENROLLED
    assert manon.status == Reenrolment.Status.VALIDATED
