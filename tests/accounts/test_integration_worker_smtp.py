"""CI's pass with Redis: the password email goes through a real Celery worker to a real
SMTP server on loopback (aiosmtpd), and is read back from there."""

import pytest
from django.test import Client
from django.urls import reverse

from conservatoire.models import OutboxEmail
from tests.accounts.helpers import NEW_PASSWORD, ask_password, log_in, password_in
from tests.factories import ResponsibleFactory
from tests.polling import wait_until

pytestmark = [pytest.mark.integration]

ADDRESS = "claire.dupont@example.org"


@pytest.fixture
def claire(celery_worker):
    return ResponsibleFactory(
        username="dupont-k7mq4", first_name="Claire", last_name="Dupont", email=ADDRESS
    )


def test_the_password_email_travels_worker_then_smtp_and_works(claire, smtp_settings):
    client = Client()
    response = ask_password(client, "dupont-k7mq4", ADDRESS)
    assert response.status_code == 302

    received = smtp_settings.last_email_to(ADDRESS)
    assert received.subject.startswith("Votre nouveau mot de passe")
    assert "<code style=" in received.html  # the password, set apart in monospace
    password = password_in(received.text)
    row = OutboxEmail.objects.get(kind="accounts.temporary_password")
    wait_until(lambda: OutboxEmail.objects.get(pk=row.pk).status == OutboxEmail.Status.SENT)
    assert password not in row.body_text + row.body_html

    assert log_in(client, "dupont-k7mq4", password).url == reverse("accounts:choose_password")
    response = client.post(
        reverse("accounts:choose_password"),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.url == reverse("reinscription:family_space")
    notice = smtp_settings.last_email_to(ADDRESS, count=2)
    assert notice.subject.startswith("Votre mot de passe a été modifié")


def test_the_access_emails_travel_through_the_worker(claire, smtp_settings, staff_user):
    admin = Client()
    admin.force_login(staff_user)
    admin.post(
        reverse("admin:accounts_responsible_changelist"),
        {"action": "send_accesses", "_selected_action": [claire.pk]},
    )
    received = smtp_settings.last_email_to(ADDRESS)
    assert received.subject.startswith("Votre accès usager")
    assert "dupont-k7mq4" in received.text
