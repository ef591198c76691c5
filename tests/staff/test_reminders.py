"""Reminders: only families who have not finished, only while the campaign is open, spaced."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.models import Family
from reinscription.backoffice.tasks import send_due_reminders
from reinscription.models import ReminderSent, WizardDraft
from tests.staff.conftest import student_named
from tests.staff.factories import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    def _run():
        with django_capture_on_commit_callbacks(execute=True):
            return send_due_reminders()

    return _run


@pytest.fixture
def partly_answered(demo):
    """Leroy and Moreau answered for all their students; Martin for one child out of three."""
    submit(student_named("Inès"))
    submit(student_named("Lucas"), decision="decline")
    submit(student_named("Sophie"))
    submit(student_named("Léa"))
    WizardDraft.objects.create(student=student_named("Hugo"), campaign=demo, data={})
    mail.outbox.clear()
    return demo


def reminded_families() -> set[str]:
    return set(ReminderSent.objects.values_list("family__name", flat=True))


def test_only_families_who_have_not_finished_are_reminded(partly_answered, run):
    assert run() == 4
    assert reminded_families() == {"Martin", "Bernard", "Petit", "Durand"}
    assert len(mail.outbox) == 4
    martin = next(m for m in mail.outbox if "claire.martin@example.org" in m.to)
    assert set(martin.to) == {"claire.martin@example.org", "julien.martin@example.org"}
    assert martin.subject == "Réinscriptions 2025-2026 : nous attendons votre réponse"
    assert martin.body.startswith("Bonjour Claire Martin et Julien Martin,")
    assert "Hugo Martin (en cours)" in martin.body
    assert "Emma Martin (à faire)" in martin.body
    assert "Léa Martin" not in martin.body
    assert "/compte/" in martin.body  # the login page
    reminder = ReminderSent.objects.get(family__name="Martin")
    assert reminder.students == ["Emma Martin", "Hugo Martin"]
    assert reminder.email is not None and reminder.sent_by is None


def test_a_family_is_not_reminded_twice_within_the_interval(partly_answered, run):
    assert run() == 4
    assert run() == 0
    # Six days later: still within the 7 days.
    ReminderSent.objects.update(sent_at=timezone.now() - datetime.timedelta(days=6))
    assert run() == 0
    # The interval has passed: reminded again, each sending recorded.
    ReminderSent.objects.update(sent_at=timezone.now() - datetime.timedelta(days=7))
    assert run() == 4
    assert ReminderSent.objects.filter(family__name="Martin").count() == 2


def test_the_interval_is_counted_in_days(partly_answered, run):
    """Reminded last Monday at 9:00:05, reminded again by this Monday's 9:00 run."""
    run()
    ReminderSent.objects.update(
        sent_at=timezone.now() - datetime.timedelta(days=7) + datetime.timedelta(seconds=5)
    )
    assert run() == 4


def test_nothing_is_sent_once_the_campaign_is_closed(partly_answered, run):
    partly_answered.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    partly_answered.save()
    assert run() == 0
    assert not ReminderSent.objects.exists()
    assert mail.outbox == []


def test_nothing_is_sent_before_the_campaign_opens(partly_answered, run):
    partly_answered.opens_at = timezone.now() + datetime.timedelta(days=1)
    partly_answered.closes_at = timezone.now() + datetime.timedelta(days=30)
    partly_answered.save()
    assert run() == 0


def test_an_interval_of_zero_turns_reminders_off(partly_answered, run):
    partly_answered.reminder_interval_days = 0
    partly_answered.save()
    assert run() == 0


def test_a_family_without_email_is_skipped(partly_answered, run):
    Family.objects.get(name="Petit").responsibles.update(email="")
    assert run() == 3
    assert "Petit" not in reminded_families()


def test_staff_can_remind_selected_families_now(partly_answered, secretary, secretary_client, run):
    run()
    chloe = student_named("Chloé")
    response = secretary_client.post(
        reverse("admin:reinscription_campaignstudent_changelist"),
        {"action": "send_reminders", ACTION_CHECKBOX_NAME: [str(chloe.pk)]},
        follow=True,
    )
    assert "Relances envoyées : 1." in response.content.decode()
    latest = ReminderSent.objects.filter(family=chloe.family).latest("sent_at")
    assert latest.sent_by == secretary
    assert ReminderSent.objects.filter(family=chloe.family).count() == 2


def test_staff_send_the_accesses_of_the_selected_families(
    partly_answered, secretary_client, django_capture_on_commit_callbacks
):
    chloe = student_named("Chloé")
    with django_capture_on_commit_callbacks(execute=True):
        response = secretary_client.post(
            reverse("admin:reinscription_campaignstudent_changelist"),
            {"action": "send_accesses", ACTION_CHECKBOX_NAME: [str(chloe.pk)]},
            follow=True,
        )
    assert response.status_code == 200
    responsible = chloe.family.responsibles.get()
    responsible.refresh_from_db()
    assert responsible.access_sent_at is not None
    assert any(responsible.email in m.to for m in mail.outbox)
