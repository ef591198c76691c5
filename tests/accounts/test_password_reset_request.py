"""The "Mot de passe perdu" page, its answer, and who gets an email."""

import re

import pytest
from django.contrib.messages import get_messages
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts import views
from accounts.models import PasswordResetRequest
from conservatoire.models import OutboxEmail
from tests.accounts.helpers import FAMILY_IP, ask_password, emails_to, log_in
from tests.factories import DEFAULT_PASSWORD, ResponsibleFactory, StaffFactory

pytestmark = pytest.mark.django_db

SENT_MESSAGE = (
    "Si l’identifiant et l’adresse correspondent à un accès, "
    "un mot de passe vient d’être envoyé par e-mail."
)
CHECK_ENTRIES = "Veuillez vérifier les renseignements saisis"


def answer_of(response) -> tuple:
    """What the family sees: status, where it goes, and the messages shown there."""
    return (
        response.status_code,
        response.get("Location"),
        [str(message) for message in get_messages(response.wsgi_request)],
    )


def test_it_shows_the_guide_words_in_french(client):
    html = client.get(reverse("accounts:password_reset")).content.decode()
    for words in ["Mot de passe perdu", "Identifiant", "E-mail", "Valider"]:
        assert words in html
    assert 'name="csrfmiddlewaretoken"' in html


def test_a_match_sends_a_new_password_and_says_so(client, parent):
    response = ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    assert response.status_code == 302
    assert response.url == reverse("accounts:login")
    assert SENT_MESSAGE in answer_of(response)[2][0]
    assert len(emails_to("claire.dupont@example.org", "nouveau mot de passe")) == 1


def test_the_answer_says_the_password_was_sent_on_the_login_page(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    html = client.get(reverse("accounts:login")).content.decode()
    assert SENT_MESSAGE in html
    assert "Se connecter" in html


def test_the_same_answer_for_unknown_identifier_wrong_email_and_match(parent):
    unknown = ask_password(Client(), "inconnu-xxxxx", "claire.dupont@example.org")
    wrong_email = ask_password(Client(), "dupont-k7mq4", "quelquun@example.org")
    match = ask_password(Client(), "dupont-k7mq4", "claire.dupont@example.org")
    assert answer_of(unknown) == answer_of(wrong_email) == answer_of(match)
    assert [m.to for m in mail.outbox] == [["claire.dupont@example.org"]]


def test_the_page_shown_after_the_answer_is_the_same_too(parent):
    pages = []
    for identifier, email in [
        ("inconnu-xxxxx", "claire.dupont@example.org"),
        ("dupont-k7mq4", "quelquun@example.org"),
        ("dupont-k7mq4", "claire.dupont@example.org"),
    ]:
        client = Client()
        ask_password(client, identifier, email)
        html = client.get(reverse("accounts:login")).content.decode()
        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
        # The identifier typed is written back in the login form: nothing else differs.
        assert f'value="{identifier}"' in html
        pages.append(html.replace(f'value="{identifier}"', 'value=""'))
    assert pages[0] == pages[1] == pages[2]
    assert SENT_MESSAGE in pages[0]


def test_after_the_answer_the_login_form_keeps_the_identifier_and_asks_the_password(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    html = client.get(reverse("accounts:login")).content.decode()
    assert re.search(r'<input type="text" name="username" value="dupont-k7mq4"', html)
    assert re.search(r'<input type="password" name="password"[^>]* autofocus', html)
    assert not re.search(r'name="username"[^>]* autofocus', html)


def test_lost_password_again_shows_the_identifier_and_the_email_typed(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    html = client.get(reverse("accounts:password_reset")).content.decode()
    assert 'value="dupont-k7mq4"' in html
    assert 'value="claire.dupont@example.org"' in html


def test_the_entries_are_forgotten_once_logged_in(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD).status_code == 302
    assert views.RESET_ENTRIES_KEY not in client.session


def test_every_answer_takes_the_same_minimum_time(client, parent, monkeypatch):
    slept = []
    monkeypatch.setattr(views, "RESET_ANSWER_SECONDS", 0.5)
    monkeypatch.setattr(views.time, "sleep", slept.append)
    ask_password(client, "inconnu-xxxxx", "claire.dupont@example.org")
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    assert len(slept) == 2
    # Both answers are padded to 0.5 s; what remains is each path's own time.
    assert all(0.3 < seconds <= 0.5 for seconds in slept)


def test_the_email_goes_to_the_stored_address_never_to_the_typed_one(client, parent):
    ask_password(client, "dupont-k7mq4", "  Claire.DUPONT@Example.org ")
    assert [m.to for m in mail.outbox] == [["claire.dupont@example.org"]]


def test_a_missing_email_asks_to_check_and_keeps_the_identifier(client, parent):
    response = ask_password(client, "dupont-k7mq4", "")
    html = response.content.decode()
    assert response.status_code == 200
    assert CHECK_ENTRIES in html
    assert 'value="dupont-k7mq4"' in html
    assert re.search(r'<input type="email" name="email"[^>]* autofocus', html)
    assert mail.outbox == []
    assert not PasswordResetRequest.objects.exists()


def test_a_missing_identifier_asks_to_check_and_keeps_the_email(client, parent):
    response = ask_password(client, "  ", "claire.dupont@example.org")
    html = response.content.decode()
    assert CHECK_ENTRIES in html
    assert 'value="claire.dupont@example.org"' in html
    assert mail.outbox == []
    assert not OutboxEmail.objects.exists()


def test_an_inactive_access_gets_nothing(client, family):
    ResponsibleFactory(
        family=family, username="martin-abcde", email="martin@example.org", is_active=False
    )
    response = ask_password(client, "martin-abcde", "martin@example.org")
    assert SENT_MESSAGE in answer_of(response)[2][0]
    assert mail.outbox == []
    assert PasswordResetRequest.objects.get().outcome == PasswordResetRequest.Outcome.NO_MATCH


def test_a_staff_account_gets_nothing(client):
    StaffFactory(username="secretariat-abcde", email="secretariat@example.org")
    ask_password(client, "secretariat-abcde", "secretariat@example.org")
    assert mail.outbox == []


def test_an_access_without_email_gets_nothing(client, family):
    ResponsibleFactory(family=family, username="sans-abcde", email="")
    ask_password(client, "sans-abcde", "")
    ask_password(client, "sans-abcde", "x@example.org")
    assert mail.outbox == []


def test_two_parents_sharing_an_email_each_get_their_own_password(client, family):
    ResponsibleFactory(family=family, username="pere-abcde", email="foyer@example.org")
    ResponsibleFactory(family=family, username="mere-abcde", email="foyer@example.org")
    ask_password(client, "mere-abcde", "foyer@example.org")
    assert len(mail.outbox) == 1
    assert "mere-abcde" in mail.outbox[0].body
    assert "pere-abcde" not in mail.outbox[0].body


def test_the_request_records_the_target_access_and_the_address(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    ask_password(client, "dupont-k7mq4", "autre@example.org")
    rows = PasswordResetRequest.objects.order_by("pk")
    assert [(r.user, r.client_ip, r.outcome) for r in rows] == [
        (parent, FAMILY_IP, "queued"),
        (parent, FAMILY_IP, "no_match"),
    ]
    assert rows[0].password_issued_at is not None


def test_the_form_is_csrf_protected(parent):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("accounts:password_reset"),
        {"identifier": "dupont-k7mq4", "email": "claire.dupont@example.org"},
    )
    assert response.status_code == 403
    assert mail.outbox == []
