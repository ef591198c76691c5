"""The emailed password: French, text and HTML, alone on its line, hashed, 24 hours."""

import datetime
import re

import pytest
from django.contrib.auth.hashers import check_password
from django.utils import timezone

from accounts.identifiers import READABLE_ALPHABET
from tests.accounts.helpers import ask_password, emails_to, password_in

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def email(client, parent):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    [message] = emails_to(ADDRESS)
    return message


def test_it_is_french_with_the_identifier_and_the_rules(email):
    assert email.subject.startswith("Votre nouveau mot de passe")
    assert "Bonjour Claire Dupont," in email.body
    assert "dupont-k7mq4" in email.body
    assert re.search(r"jusqu’au \d{1,2} \w+ \d{4} à \d{2}:\d{2} \(24 heures\)", email.body)
    assert "ne sert qu’une fois" in email.body
    assert "seul le dernier reçu fonctionne" in email.body
    assert "ancien mot de passe" in email.body
    assert "http://127.0.0.1:8000/compte/connexion/" in email.body


def test_the_password_stands_alone_on_its_own_line(email):
    password = password_in(email.body)
    lines = email.body.splitlines()
    index = lines.index(password)
    assert lines[index - 1] == "" and lines[index + 1] == ""


def test_the_password_is_long_and_without_ambiguous_characters(email):
    password = password_in(email.body)
    assert len(password) >= 12
    assert set(password) <= set(READABLE_ALPHABET)
    assert not set(password) & set("0Oo1lI")


def test_it_has_an_html_version_with_the_same_password(email):
    [(html, mimetype)] = email.alternatives
    assert mimetype == "text/html"
    # Alone in its own box, in a monospaced font: nothing else to copy with it.
    assert re.search(rf"<td [^>]*><code [^>]*>{password_in(email.body)}</code></td>", html)
    assert 'lang="fr"' in html


def test_only_the_hash_is_stored_and_it_expires_in_24_hours(email, parent):
    password = password_in(email.body)
    parent.refresh_from_db()
    assert password not in parent.temporary_password
    assert check_password(password, parent.temporary_password)
    expected = timezone.now() + datetime.timedelta(hours=24)
    assert abs(parent.temporary_password_expires_at - expected) < datetime.timedelta(minutes=1)


def test_each_request_generates_a_different_password(client, parent):
    ask_password(client, "dupont-k7mq4", ADDRESS)
    ask_password(client, "dupont-k7mq4", ADDRESS)
    first, second = (password_in(m.body) for m in emails_to(ADDRESS))
    assert first != second
