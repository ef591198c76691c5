"""The family's account page: email, mobile, password, log out."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from tests.accounts.helpers import NEW_PASSWORD, committed, emails_to, is_logged_in, log_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def logged_in(client, parent):
    log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD)
    return client


def change_password(client, old=DEFAULT_PASSWORD, new=NEW_PASSWORD):
    with committed():
        return client.post(
            reverse("accounts:password_change"),
            {"old_password": old, "new_password1": new, "new_password2": new},
        )


def test_it_needs_a_login(client):
    response = client.get(reverse("accounts:account"))
    assert response.url.startswith(reverse("accounts:login"))


def test_it_shows_the_identifier_email_and_mobile_in_french(logged_in):
    html = logged_in.get(reverse("accounts:account")).content.decode()
    for words in [
        "Mon compte",
        "Identifiant",
        "dupont-k7mq4",
        "E-mail",
        ADDRESS,
        "Téléphone mobile",
        "Modifier mon mot de passe",
        "Se déconnecter",
    ]:
        assert words in html


def test_the_family_changes_its_email_and_mobile(logged_in, parent):
    with committed():
        response = logged_in.post(
            reverse("accounts:account"),
            {"email": "claire@example.net", "mobile": "07 98 76 54 32"},
            follow=True,
        )
    assert "Vos coordonnées sont enregistrées." in response.content.decode()
    parent.refresh_from_db()
    assert (parent.email, parent.mobile) == ("claire@example.net", "07 98 76 54 32")


def test_the_former_address_is_told_of_an_email_change(logged_in):
    with committed():
        logged_in.post(reverse("accounts:account"), {"email": "claire@example.net", "mobile": ""})
    [notice] = emails_to(ADDRESS)
    assert notice.subject.startswith("Votre adresse e-mail a été modifiée")


def test_saving_the_same_email_sends_no_notice(logged_in):
    with committed():
        logged_in.post(reverse("accounts:account"), {"email": ADDRESS, "mobile": ""})
    assert mail.outbox == []


def test_a_wrong_mobile_or_a_missing_email_is_refused_in_french(logged_in, parent):
    response = logged_in.post(reverse("accounts:account"), {"email": "", "mobile": "12"})
    html = response.content.decode()
    assert "Saisissez un numéro de mobile français (06 ou 07)" in html
    assert "Ce champ est obligatoire." in html
    parent.refresh_from_db()
    assert parent.email == ADDRESS


def test_the_family_changes_its_password(logged_in):
    response = change_password(logged_in)
    assert response.url == reverse("accounts:account")
    assert is_logged_in(logged_in)
    assert log_in(Client(), "dupont-k7mq4", NEW_PASSWORD).status_code == 302
    assert log_in(Client(), "dupont-k7mq4", DEFAULT_PASSWORD).status_code == 200


def test_the_change_needs_the_current_password_and_django_validators(logged_in):
    response = change_password(logged_in, old="pas-le-bon")
    assert "Votre ancien mot de passe est incorrect" in response.content.decode()
    response = change_password(logged_in, new="12345678901234")
    assert "Ce mot de passe est entièrement numérique." in response.content.decode()


def test_a_password_change_ends_the_other_sessions_and_is_notified(logged_in):
    elsewhere = Client()
    log_in(elsewhere, "dupont-k7mq4", DEFAULT_PASSWORD, ip="198.51.100.20")
    change_password(logged_in)
    assert not is_logged_in(elsewhere)
    [notice] = emails_to(ADDRESS, "Votre mot de passe a été modifié")
    assert NEW_PASSWORD not in notice.body


def test_a_password_change_kills_a_pending_emailed_password(logged_in, parent):
    parent.set_temporary_password("abcdefghjkmnpq")
    change_password(logged_in)
    assert log_in(Client(), "dupont-k7mq4", "abcdefghjkmnpq").status_code == 200


def test_logging_out_needs_a_post(logged_in):
    assert logged_in.get(reverse("accounts:logout")).status_code == 405
    assert is_logged_in(logged_in)
    response = logged_in.post(reverse("accounts:logout"), follow=True)
    assert "Vous êtes déconnecté(e)." in response.content.decode()
    assert not is_logged_in(logged_in)


def test_the_forms_are_csrf_protected(parent):
    client = Client(enforce_csrf_checks=True)
    client.force_login(parent)
    response = client.post(reverse("accounts:account"), {"email": "x@example.org"})
    assert response.status_code == 403
    assert client.post(reverse("accounts:logout")).status_code == 403
