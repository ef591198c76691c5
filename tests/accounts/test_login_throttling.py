"""Failed logins (django-axes): 5 failures lock identifier + address for 15 minutes."""

import datetime

import pytest
from axes.models import AccessAttempt
from django.utils import timezone

from tests.accounts.helpers import ask_password, emailed_password, is_logged_in, log_in
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

STRANGER_IP = "192.0.2.66"
LOCKED_MESSAGE = "Trop de tentatives"


def fail_five_times(client, username="dupont-k7mq4", ip=STRANGER_IP):
    for _ in range(5):
        log_in(client, username, "pas-le-bon-mot-de-passe", ip=ip)


def test_five_failures_lock_the_identifier_from_that_address(client, parent):
    fail_five_times(client)
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP)
    assert response.status_code == 429
    html = response.content.decode()
    assert LOCKED_MESSAGE in html
    assert "15 minutes" in html
    assert "Mot de passe perdu" in html
    assert not is_logged_in(client)


def test_four_failures_do_not_lock(client, parent):
    for _ in range(4):
        log_in(client, "dupont-k7mq4", "pas-le-bon-mot-de-passe", ip=STRANGER_IP)
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP).status_code == 302


def test_a_stranger_cannot_lock_the_family_out_from_elsewhere(client, parent):
    fail_five_times(client)
    family_client = client.__class__()
    response = log_in(family_client, "dupont-k7mq4", DEFAULT_PASSWORD, ip="203.0.113.10")
    assert response.status_code == 302
    assert is_logged_in(family_client)


def test_other_identifiers_from_that_address_are_not_locked(client, parent, family):
    from tests.factories import ResponsibleFactory

    ResponsibleFactory(family=family, username="martin-abcde")
    fail_five_times(client)
    assert log_in(client, "martin-abcde", DEFAULT_PASSWORD, ip=STRANGER_IP).status_code == 302


def test_changing_the_case_of_the_identifier_does_not_reset_the_count(client, parent):
    for username in [
        "dupont-k7mq4",
        "DUPONT-K7MQ4",
        "Dupont-K7mq4",
        "dupont-K7MQ4",
        "DuPoNt-k7mq4",
    ]:
        log_in(client, username, "pas-le-bon-mot-de-passe", ip=STRANGER_IP)
    response = log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP)
    assert response.status_code == 429


def test_the_emailed_password_is_refused_too_while_locked(client, parent):
    ask_password(client, "dupont-k7mq4", "claire.dupont@example.org")
    temporary = emailed_password("claire.dupont@example.org")
    fail_five_times(client)
    assert log_in(client, "dupont-k7mq4", temporary, ip=STRANGER_IP).status_code == 429
    parent.refresh_from_db()
    assert parent.temporary_password  # not burnt by the refused attempt


def test_the_lock_ends_after_15_minutes(client, parent):
    fail_five_times(client)
    AccessAttempt.objects.update(attempt_time=timezone.now() - datetime.timedelta(minutes=16))
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP).status_code == 302


def test_a_success_resets_the_failure_count(client, parent):
    for _ in range(4):
        log_in(client, "dupont-k7mq4", "pas-le-bon-mot-de-passe", ip=STRANGER_IP)
    log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP)
    client.post("/compte/deconnexion/")
    for _ in range(4):
        log_in(client, "dupont-k7mq4", "pas-le-bon-mot-de-passe", ip=STRANGER_IP)
    assert log_in(client, "dupont-k7mq4", DEFAULT_PASSWORD, ip=STRANGER_IP).status_code == 302
