"""Wherever staff change a responsible's email, the former address is told (as the account
page does): the responsible's page, the user's page and the family's responsibles."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.emails import notify_email_changed
from tests.accounts.helpers import committed, emails_to
from tests.staff.conftest import change_form_data

pytestmark = pytest.mark.django_db

OLD = "claire.dupont@example.org"
NEW = "claire@example.net"


def post_change(client, url, **changes):
    data = change_form_data(client, url, **changes)
    with committed():
        response = client.post(url, data)
    assert response.status_code == 302, response.context and response.context.get("errors")
    return response


def assert_old_address_told(parent):
    [notice] = emails_to(OLD)
    assert mail.outbox == [notice]
    parent.refresh_from_db()
    assert parent.email == NEW


def test_the_responsibles_page_tells_the_former_address(admin_client, parent):
    post_change(
        admin_client, reverse("admin:accounts_responsible_change", args=[parent.pk]), email=NEW
    )
    assert_old_address_told(parent)


def test_the_users_page_tells_the_former_address(admin_client, parent):
    post_change(admin_client, reverse("admin:accounts_user_change", args=[parent.pk]), email=NEW)
    assert_old_address_told(parent)


def test_the_familys_responsibles_tell_the_former_address(admin_client, parent):
    url = reverse("admin:accounts_family_change", args=[parent.family_id])
    data = change_form_data(admin_client, url)
    [field] = [name for name, value in data.items() if value == OLD]
    post_change(admin_client, url, **{field: NEW})
    assert_old_address_told(parent)


def test_other_changes_or_the_same_address_in_other_case_tell_nobody(admin_client, parent):
    url = reverse("admin:accounts_responsible_change", args=[parent.pk])
    post_change(admin_client, url, relation="mère")
    post_change(admin_client, url, email=OLD.upper())
    assert mail.outbox == []


def test_the_notice_is_only_for_a_real_change(parent):
    with committed():
        notify_email_changed(parent, OLD.upper())
        notify_email_changed(parent, "")
    assert mail.outbox == []
