"""Requests of "Mot de passe perdu" are limited: 3 an hour per account, 10 per address."""

import datetime

import pytest
from django.core import mail
from django.utils import timezone

from accounts.models import PasswordResetRequest
from accounts.services import RESET_LIMIT_PER_ACCOUNT, RESET_LIMIT_PER_ADDRESS
from tests.accounts.helpers import ask_password, emails_to

pytestmark = pytest.mark.django_db

ADDRESS = "claire.dupont@example.org"


def age_requests(minutes: int) -> None:
    PasswordResetRequest.objects.update(
        created_at=timezone.now() - datetime.timedelta(minutes=minutes)
    )


def test_an_account_gets_at_most_three_emails_an_hour(client, parent):
    for n in range(RESET_LIMIT_PER_ACCOUNT + 2):
        ask_password(client, "dupont-k7mq4", ADDRESS, ip=f"198.51.100.{n}")
    assert len(emails_to(ADDRESS)) == RESET_LIMIT_PER_ACCOUNT
    outcomes = list(PasswordResetRequest.objects.order_by("pk").values_list("outcome", flat=True))
    assert outcomes == ["queued"] * 3 + ["throttled"] * 2


def test_the_throttled_answer_is_the_usual_one(client, parent):
    answers = [
        ask_password(client, "dupont-k7mq4", ADDRESS) for _ in range(RESET_LIMIT_PER_ACCOUNT + 1)
    ]
    assert {(r.status_code, r.url) for r in answers} == {(302, "/compte/connexion/")}


def test_the_account_limit_lifts_after_an_hour(client, parent):
    for _ in range(RESET_LIMIT_PER_ACCOUNT):
        ask_password(client, "dupont-k7mq4", ADDRESS)
    age_requests(61)
    ask_password(client, "dupont-k7mq4", ADDRESS)
    assert len(emails_to(ADDRESS)) == RESET_LIMIT_PER_ACCOUNT + 1


def test_an_address_is_refused_after_ten_requests_an_hour(client, parent):
    for n in range(RESET_LIMIT_PER_ADDRESS):
        ask_password(client, f"inconnu-{n}", "x@example.org", ip="192.0.2.7")
    response = ask_password(client, "dupont-k7mq4", ADDRESS, ip="192.0.2.7")
    assert response.status_code == 429
    assert "Trop de demandes depuis votre connexion" in response.content.decode()
    assert mail.outbox == []


def test_another_address_is_not_refused(client, parent):
    for n in range(RESET_LIMIT_PER_ADDRESS):
        ask_password(client, f"inconnu-{n}", "x@example.org", ip="192.0.2.7")
    response = ask_password(client, "dupont-k7mq4", ADDRESS, ip="192.0.2.8")
    assert response.status_code == 302
    assert len(emails_to(ADDRESS)) == 1


def test_behind_the_proxy_the_family_address_is_counted_not_the_proxy(client, parent, settings):
    settings.AXES_IPWARE_PROXY_COUNT = 1
    settings.AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]
    stranger = {"ip": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "192.0.2.7, 10.0.0.2"}
    family = {"ip": "10.0.0.1", "HTTP_X_FORWARDED_FOR": "198.51.100.99, 10.0.0.2"}
    for n in range(RESET_LIMIT_PER_ADDRESS):
        ask_password(client, f"inconnu-{n}", "x@example.org", **stranger)
    response = ask_password(client, "dupont-k7mq4", ADDRESS, **family)
    assert response.status_code == 302
    assert len(emails_to(ADDRESS)) == 1
    assert PasswordResetRequest.objects.order_by("pk").last().client_ip == "198.51.100.99"


def test_without_a_proxy_a_forged_forwarded_header_does_not_dodge_the_limit(client, parent):
    forged = [{"ip": "203.0.113.5", "HTTP_X_FORWARDED_FOR": f"192.0.2.{n}"} for n in range(20)]
    for n in range(RESET_LIMIT_PER_ADDRESS):
        ask_password(client, f"inconnu-{n}", "x@example.org", **forged[n])
    response = ask_password(client, "dupont-k7mq4", ADDRESS, **forged[-1])
    assert response.status_code == 429
    assert emails_to(ADDRESS) == []
