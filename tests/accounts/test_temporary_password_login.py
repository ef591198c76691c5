"""Logging in with the emailed password: single use, 24 hours, then one's own password."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import views
from tests.accounts.helpers import (
    NEW_PASSWORD,
    ask_password,
    choose_password,
    emailed_password,
    emails_to,
    is_logged_in,
    log_in,
)
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def temporary_password(client, parent) -> str:
    ask_password(client, "dupont-k7mq4", ADDRESS)
    return emailed_password(ADDRESS)


def test_it_asks_for_a_new_password_before_anything_else(client, temporary_password):
    response = log_in(client, "dupont-k7mq4", temporary_password)
    assert response.url == reverse("accounts:choose_password")
    assert not is_logged_in(client)
    family_space = client.get(reverse("reinscription:family_space"))
    assert family_space.url.startswith(reverse("accounts:login"))
    html = client.get(reverse("accounts:choose_password")).content.decode()
    assert "Choisissez votre mot de passe" in html
    assert "dupont-k7mq4" in html


def test_choosing_a_password_opens_the_family_space(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    response = choose_password(client)
    assert response.url == reverse("reinscription:family_space")
    assert client.get(response.url).status_code == 200


def test_the_next_url_survives_the_password_choice(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password, next="/compte/")
    assert choose_password(client).url == "/compte/"


def test_a_pasted_password_with_spaces_around_works(client, temporary_password):
    response = log_in(client, "dupont-k7mq4", f" {temporary_password}\n")
    assert response.url == reverse("accounts:choose_password")


def test_the_old_password_works_until_the_emailed_one_is_used(client, temporary_password):
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD).status_code == 302
    assert is_logged_in(client)


def test_the_old_and_emailed_passwords_are_rejected_after_the_change(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    choose_password(client)
    for password in [DEFAULT_PASSWORD, temporary_password]:
        other = Client()
        assert log_in(other, "dupont-k7mq4", password).status_code == 200
        assert not is_logged_in(other)
    assert log_in(Client(), "dupont-k7mq4", NEW_PASSWORD).status_code == 302


def test_the_emailed_password_works_only_once(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    second = Client()
    response = log_in(second, "dupont-k7mq4", temporary_password)
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()


def test_an_earlier_emailed_password_is_rejected_after_a_new_request(client, parent):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    earlier = emailed_password(ADDRESS)
    ask_password(client, "dupont-k7mq4", ADDRESS)
    latest = emailed_password(ADDRESS)
    assert log_in(client, "dupont-k7mq4", earlier).status_code == 200
    assert log_in(client, "dupont-k7mq4", latest).url == reverse("accounts:choose_password")


def test_the_emailed_password_expires_after_24_hours(client, parent, temporary_password):
    parent.refresh_from_db()
    parent.temporary_password_expires_at = timezone.now() - datetime.timedelta(seconds=1)
    parent.save()
    response = log_in(client, "dupont-k7mq4", temporary_password)
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_the_emailed_password_still_works_just_before_it_expires(
    client, parent, temporary_password
):
    parent.refresh_from_db()
    parent.temporary_password_expires_at = timezone.now() + datetime.timedelta(seconds=30)
    parent.save()
    assert log_in(client, "dupont-k7mq4", temporary_password).status_code == 302


def test_the_change_ends_every_other_session(client, temporary_password):
    elsewhere = Client()
    log_in(elsewhere, "dupont-k7mq4", DEFAULT_PASSWORD, ip="198.51.100.20")
    assert is_logged_in(elsewhere)
    log_in(client, "dupont-k7mq4", temporary_password)
    choose_password(client)
    assert not is_logged_in(elsewhere)
    assert is_logged_in(client)


def test_the_family_is_told_by_email_that_its_password_changed(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    choose_password(client)
    [notice] = emails_to(ADDRESS, "Votre mot de passe a été modifié")
    assert "dupont-k7mq4" in notice.body
    assert NEW_PASSWORD not in notice.body
    assert "Mot de passe perdu" in notice.body


def test_the_new_password_follows_django_validators(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    response = choose_password(client, "court-42")
    html = response.content.decode()
    assert response.status_code == 200
    assert "au minimum 12 caractères" in html
    response = choose_password(client, "Claire-Dupont-1", "Claire-Dupont-2")
    assert "Les deux mots de passe ne correspondent pas" in response.content.decode()
    assert not is_logged_in(client)


def test_the_choice_page_needs_a_login_with_the_emailed_password(client, parent):
    response = client.get(reverse("accounts:choose_password"))
    assert response.url == reverse("accounts:login")
    assert choose_password(client).url == reverse("accounts:login")


def test_the_choice_must_be_made_within_30_minutes(client, temporary_password, monkeypatch):
    log_in(client, "dupont-k7mq4", temporary_password)
    monkeypatch.setattr(views, "PASSWORD_CHOICE_SECONDS", -1)
    assert client.get(reverse("accounts:choose_password")).url == reverse("accounts:login")


def test_a_later_login_with_the_old_password_still_asks_for_a_new_one(client, temporary_password):
    log_in(client, "dupont-k7mq4", temporary_password)
    other = Client()
    response = log_in(other, "dupont-k7mq4", DEFAULT_PASSWORD)
    assert response.url == reverse("accounts:choose_password")
    assert choose_password(other).status_code == 302
    assert is_logged_in(other)
