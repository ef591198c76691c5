"""The dashboard flags the emails that failed for good, linking to them in the outbox."""

import pytest
from django.urls import reverse

from conservatoire.models import OutboxEmail

pytestmark = pytest.mark.django_db


def failed_email(**fields) -> OutboxEmail:
    return OutboxEmail.objects.create(
        kind="accounts.access",
        to=["claire@example.org"],
        subject="Vos accès",
        status=OutboxEmail.Status.FAILED,
        attempts=12,
        last_error="SMTP 550",
        **fields,
    )


def dashboard(client, campaign):
    response = client.get(reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk]))
    assert response.status_code == 200
    return response


def test_the_failed_emails_are_counted_and_linked(demo, secretary_client):
    failed_email()
    failed_email()
    OutboxEmail.objects.create(kind="accounts.access", to=["a@example.org"], subject="x")
    response = dashboard(secretary_client, demo)
    assert response.context["failed_emails"]["count"] == 2
    content = response.content.decode()
    assert "E-mails en échec" in content
    url = reverse("admin:conservatoire_outboxemail_changelist") + "?delivery=failed"
    assert f'<a href="{url}">2</a>' in content
    assert secretary_client.get(url).status_code == 200


def test_no_failed_email_shows_zero(demo, secretary_client):
    response = dashboard(secretary_client, demo)
    assert response.context["failed_emails"]["count"] == 0
    assert "E-mails en échec" in response.content.decode()
