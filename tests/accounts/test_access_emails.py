"""Staff send the accesses: one email per responsible, through Celery, date kept and shown."""

import pytest
from django.core import mail
from django.urls import reverse

from accounts.models import Family, User
from conservatoire.models import OutboxEmail
from tests.accounts.helpers import committed
from tests.factories import FamilyFactory, ResponsibleFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, staff_user):
    client.force_login(staff_user)
    return client


def send_accesses(admin_client, model: str, pks: list[int]):
    with committed():
        return admin_client.post(
            reverse(f"admin:accounts_{model}_changelist"),
            {"action": "send_accesses", "_selected_action": pks},
            follow=True,
        )


def test_the_action_is_named_like_the_guide(admin_client, responsible):
    html = admin_client.get(reverse("admin:accounts_responsible_changelist")).content.decode()
    assert "Envoyer les accès" in html
    html = admin_client.get(reverse("admin:accounts_family_changelist")).content.decode()
    assert "Envoyer les accès" in html


def test_each_selected_responsible_gets_their_identifier_and_the_portal_address(
    admin_client, family
):
    claire = ResponsibleFactory(family=family, username="dupont-k7mq4", email="c@example.org")
    paul = ResponsibleFactory(family=family, username="dupont-p3xyz", email="p@example.org")
    response = send_accesses(admin_client, "responsible", [claire.pk, paul.pk])
    assert "E-mails d’accès mis en file d’envoi pour 2 responsables." in response.content.decode()
    by_address = {m.to[0]: m for m in mail.outbox}
    assert set(by_address) == {"c@example.org", "p@example.org"}
    email = by_address["c@example.org"]
    assert email.subject.startswith("Votre accès usager")
    assert "\ndupont-k7mq4\n" in email.body
    assert "http://127.0.0.1:8000/compte/connexion/" in email.body
    assert "« Mot de passe perdu »" in email.body
    assert email.alternatives[0][1] == "text/html"


def test_the_access_email_holds_no_password(admin_client, responsible):
    send_accesses(admin_client, "responsible", [responsible.pk])
    [email] = mail.outbox
    assert "mot de passe :" not in email.body.lower()
    responsible.refresh_from_db()
    assert not responsible.temporary_password


def test_the_sending_date_is_kept_and_shown_in_both_lists(admin_client, responsible):
    send_accesses(admin_client, "responsible", [responsible.pk])
    responsible.refresh_from_db()
    assert responsible.access_sent_at is not None
    day = f"{responsible.access_sent_at:%Y}"
    for model in ["responsible", "family"]:
        html = admin_client.get(reverse(f"admin:accounts_{model}_changelist")).content.decode()
        assert "accès envoyés le" in html.lower() or "Accès envoyés le" in html
        assert day in html


def test_the_family_action_sends_to_every_responsible_of_the_family(admin_client, family):
    ResponsibleFactory(family=family, email="a@example.org")
    ResponsibleFactory(family=family, email="b@example.org")
    ResponsibleFactory(email="other-family@example.org")
    send_accesses(admin_client, "family", [family.pk])
    assert sorted(m.to[0] for m in mail.outbox) == ["a@example.org", "b@example.org"]


def test_disabled_accesses_and_missing_addresses_are_skipped_and_reported(admin_client, family):
    ResponsibleFactory(family=family, email="a@example.org")
    ResponsibleFactory(family=family, email="")
    ResponsibleFactory(family=family, email="off@example.org", is_active=False)
    response = send_accesses(admin_client, "family", [family.pk])
    html = response.content.decode()
    assert "2 responsables ignorés" in html
    assert [m.to for m in mail.outbox] == [["a@example.org"]]
    assert User.objects.filter(access_sent_at__isnull=False).count() == 1


def test_hundreds_of_families_take_a_constant_number_of_queries(
    admin_client, django_assert_max_num_queries, monkeypatch
):
    from accounts import tasks

    handed = []
    monkeypatch.setattr(tasks.enqueue_outbox_emails, "delay", handed.append)
    families = FamilyFactory.create_batch(150)
    for family in families:
        ResponsibleFactory(family=family)
    with django_assert_max_num_queries(25):
        send_accesses(admin_client, "family", [f.pk for f in Family.objects.all()])
    assert OutboxEmail.objects.filter(kind="accounts.access").count() == 150
    assert len(handed) == 1 and len(handed[0]) == 150  # one task hands them to the workers
    assert mail.outbox == []  # nothing sent inside the admin request


def test_with_the_broker_down_the_accesses_wait_for_the_drain(
    admin_client, responsible, monkeypatch
):
    from kombu.exceptions import OperationalError

    from accounts import tasks

    def refuse(*args, **kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(tasks.enqueue_outbox_emails, "delay", refuse)
    response = send_accesses(admin_client, "responsible", [responsible.pk])
    assert response.status_code == 200
    assert OutboxEmail.objects.get().status == OutboxEmail.Status.PENDING


def test_families_cannot_reach_the_action(client, responsible):
    client.force_login(responsible)
    response = client.post(
        reverse("admin:accounts_responsible_changelist"),
        {"action": "send_accesses", "_selected_action": [responsible.pk]},
    )
    assert response.status_code == 302
    assert OutboxEmail.objects.count() == 0
