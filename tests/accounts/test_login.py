"""The login page: "Identifiant", "Mot de passe", "Se connecter"."""

import pytest
from django.urls import reverse

from tests.accounts.helpers import is_logged_in, log_in
from tests.factories import DEFAULT_PASSWORD, ResponsibleFactory

pytestmark = pytest.mark.django_db


def test_it_shows_the_guide_words_in_french(client):
    response = client.get(reverse("accounts:login"))
    html = response.content.decode()
    assert response.status_code == 200
    for words in ["Identifiant", "Mot de passe", "Se connecter", "Mot de passe perdu"]:
        assert words in html
    assert reverse("accounts:password_reset") in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_it_logs_in_with_the_identifier_and_opens_the_family_space(client, parent):
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response.url == reverse("reinscription:family_space")
    assert is_logged_in(client)


def test_the_identifier_is_case_insensitive_and_forgives_spaces(client, parent):
    response = log_in(client, "  Dupont-K7MQ4 ", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert is_logged_in(client)


def test_the_email_is_not_an_identifier(client, parent):
    response = log_in(client, parent.email, DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_a_wrong_password_gives_a_french_message(client, parent):
    response = log_in(client, "dupont-k7mq4", "pas-le-bon-mot-de-passe")
    assert response.status_code == 200
    assert "Identifiant ou mot de passe incorrect" in response.content.decode()
    assert not is_logged_in(client)


def test_an_unknown_identifier_gives_the_same_message(client, parent):
    wrong_password = log_in(client, "dupont-k7mq4", "pas-le-bon-mot-de-passe")
    unknown = log_in(client, "inconnu-xxxxx", "pas-le-bon-mot-de-passe")
    assert unknown.context["form"].non_field_errors() == (
        wrong_password.context["form"].non_field_errors()
    )


def test_a_disabled_access_cannot_log_in(client):
    ResponsibleFactory(username="martin-abcde", is_active=False)
    response = log_in(client, "martin-abcde", DEFAULT_PASSWORD)
    assert response.status_code == 200
    assert not is_logged_in(client)


def test_it_follows_a_safe_next_url_only(client, parent):
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, next="/compte/")
    assert response.url == "/compte/"
    client.post(reverse("accounts:logout"))
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, next="https://evil.example/")
    assert response.url == reverse("reinscription:family_space")


def test_the_login_form_is_csrf_protected(parent):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD)
    assert response.status_code == 403


@pytest.mark.argon2
def test_passwords_are_hashed_with_argon2(client, family):
    user = ResponsibleFactory(family=family, username="argon-abcde")
    assert user.password.startswith("argon2$")
    assert log_in(client, "argon-abcde", DEFAULT_PASSWORD).status_code == 302


@pytest.mark.argon2
def test_passwords_are_hashed_with_owasp_argon2id_parameters(client, family):
    user = ResponsibleFactory(family=family, username="argon-owasp")
    assert user.password.startswith("argon2$argon2id$v=19$m=19456,t=2,p=1$")


@pytest.mark.argon2
def test_a_hash_with_django_default_parameters_is_upgraded_at_login(client, family):
    from django.contrib.auth.hashers import Argon2PasswordHasher

    user = ResponsibleFactory(family=family, username="argon-old")
    hasher = Argon2PasswordHasher()
    user.password = hasher.encode(DEFAULT_PASSWORD, hasher.salt())
    user.save()
    assert "m=102400" in user.password  # Django's own Argon2 parameters
    assert log_in(client, "argon-old", DEFAULT_PASSWORD).status_code == 302
    user.refresh_from_db()
    assert "m=19456,t=2,p=1" in user.password


def test_a_login_records_last_login_without_a_history_row(client, parent):
    before = parent.history.count()
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD).status_code == 302
    parent.refresh_from_db()
    assert parent.last_login is not None
    assert parent.history.count() == before
