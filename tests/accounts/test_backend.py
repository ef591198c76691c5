"""The identifier backend, unit by unit: what it accepts and what it costs."""

import pytest
from django.contrib.auth import hashers
from django.test import RequestFactory

from accounts.backends import IdentifierBackend, axes_username
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def count_hashes(monkeypatch):
    """Count the password hashes computed (the cost that could leak by timing)."""
    calls = []
    original = hashers.MD5PasswordHasher.encode

    def encode(self, password, salt):
        calls.append(1)
        return original(self, password, salt)

    monkeypatch.setattr(hashers.MD5PasswordHasher, "encode", encode)
    return calls


def authenticate(username, password):
    return IdentifierBackend().authenticate(RequestFactory().post("/"), username, password)


def test_it_accepts_the_password_whatever_the_identifier_case(parent):
    assert authenticate("DUPONT-k7mq4", DEFAULT_PASSWORD) == parent


def test_it_accepts_a_valid_temporary_password_once(parent):
    parent.set_temporary_password("abcdefghjkmnpq")
    user = authenticate("dupont-k7mq4", "abcdefghjkmnpq")
    assert user == parent
    assert user.must_change_password
    assert authenticate("dupont-k7mq4", "abcdefghjkmnpq") is None


def test_a_normal_login_leaves_the_temporary_password_alone(parent):
    parent.set_temporary_password("abcdefghjkmnpq")
    user = authenticate("dupont-k7mq4", DEFAULT_PASSWORD)
    assert not user.must_change_password
    parent.refresh_from_db()
    assert parent.temporary_password


def test_it_computes_as_many_hashes_for_unknown_and_known_identifiers(parent, count_hashes):
    authenticate("inconnu-xxxxx", "mauvais-mot-de-passe")
    unknown = len(count_hashes)
    count_hashes.clear()
    authenticate("dupont-k7mq4", "mauvais-mot-de-passe")
    assert len(count_hashes) == unknown == 2


def test_axes_counts_the_identifier_in_lower_case():
    request = RequestFactory().post("/", {"username": " Dupont-K7MQ4 "})
    assert axes_username(request, None) == "dupont-k7mq4"
    assert axes_username(request, {"username": "MARTIN-abc"}) == "martin-abc"


def test_a_successful_login_computes_one_hash(parent, count_hashes):
    parent.set_temporary_password("abcdefghjkmnpq")
    count_hashes.clear()
    assert authenticate("dupont-k7mq4", DEFAULT_PASSWORD) == parent
    assert len(count_hashes) == 1


def test_an_inactive_account_is_refused_with_either_password(parent):
    parent.set_temporary_password("abcdefghjkmnpq")
    parent.is_active = False
    parent.save()
    assert authenticate("dupont-k7mq4", DEFAULT_PASSWORD) is None
    assert authenticate("dupont-k7mq4", "abcdefghjkmnpq") is None
    parent.refresh_from_db()
    assert parent.temporary_password  # not burnt by a refused login
