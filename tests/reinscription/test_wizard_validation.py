"""The wizard's drafts, modifications and validation: resuming, history, double submits,
a changed total, the rules, a closing campaign."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from reinscription.models import Reenrolment, ReenrolmentSnapshot, WizardDraft
from tests.reinscription.conftest import WizardDriver, step_url, student_named

pytestmark = pytest.mark.django_db


def test_draft_survives_logout_and_resumes_where_it_stopped(demo, client, login, wizard):
    login("martin-claire")
    hugo = student_named("Hugo")
    w = wizard(hugo)
    w.post("choix", {"decision": "reenrol"})
    w.post("coordonnees", w.details())
    client.logout()
    other_device = Client()
    other_device.force_login(
        hugo.family.responsibles.get(username="martin-julien"),
        backend="accounts.backends.IdentifierBackend",
    )
    response = other_device.get(step_url(hugo))
    assert response.status_code == 302
    assert response.url == step_url(hugo, "reglement")
    content = other_device.get(step_url(hugo, "coordonnees")).content.decode()
    assert "Mamie Martin" in content


def test_two_children_have_separate_drafts(demo, client, login, wizard):
    login("martin-claire")
    wizard(student_named("Hugo")).post("choix", {"decision": "decline"})
    wizard(student_named("Emma")).post("choix", {"decision": "reenrol"})
    assert client.get(step_url(student_named("Hugo"))).url.endswith("/recapitulatif/")
    assert client.get(step_url(student_named("Emma"))).url.endswith("/coordonnees/")


def test_modifying_after_validation_keeps_history(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    wizard(ines).complete(authorisations={"image_rights": "no", "outing_authorisation": "no"})
    reenrolment = Reenrolment.objects.get(student=ines)
    assert reenrolment.version == 2
    assert reenrolment.image_rights is False
    assert list(reenrolment.snapshots.values_list("version", flat=True)) == [2, 1]
    assert reenrolment.snapshots.get(version=1).data["authorisations"]["image_rights"] is True


def test_a_modification_that_keeps_the_details_adds_no_history_to_them(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    family, responsibles = ines.family, list(ines.family.responsibles.all())

    def history_counts():
        return (
            family.history.count(),
            ines.history.count(),
            [responsible.history.count() for responsible in responsibles],
        )

    before = history_counts()
    wizard(ines).complete(authorisations={"image_rights": "no", "outing_authorisation": "no"})
    assert history_counts() == before

    driver = wizard(ines)
    driver.details = lambda student=None: {**WizardDriver.details(driver), "city": "Lyon"}
    driver.complete()
    family.refresh_from_db()
    assert family.city == "Lyon"
    assert history_counts() == (before[0] + 1, before[1], before[2])


def test_validated_by_staff_cannot_be_modified(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    Reenrolment.objects.filter(student=ines).update(status=Reenrolment.Status.VALIDATED)
    response = client.get(step_url(ines, "choix"))
    assert response.status_code == 302
    assert response.url == reverse("reinscription:reenrolment_detail", args=[ines.pk])
    content = client.get(response.url).content.decode()
    assert "Réinscription validée par le conservatoire" in content
    assert "Modifier" not in content


def test_double_submit_gives_one_record_and_a_message(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.complete(validate=False)
    total = w.recap_total()
    first = w.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    second = w.post("recapitulatif", {"accept_rules": "on", "shown_total": total}, follow=True)
    assert first.status_code == 302
    assert Reenrolment.objects.filter(student=ines).count() == 1
    assert ReenrolmentSnapshot.objects.filter(reenrolment__student=ines).count() == 1
    assert "Cette réinscription est déjà enregistrée." in second.content.decode()


def test_another_responsible_validating_meanwhile_gives_a_clear_message(demo, login, wizard):
    hugo = student_named("Hugo")
    claire, julien = Client(), Client()
    for client, who in ((claire, "martin-claire"), (julien, "martin-julien")):
        client.force_login(
            hugo.family.responsibles.get(username=who),
            backend="accounts.backends.IdentifierBackend",
        )
    from tests.reinscription.conftest import WizardDriver

    hugo_courses = {"day_eveil": "saturday"}
    WizardDriver(claire, hugo).complete(validate=False, courses=hugo_courses)
    total = WizardDriver(claire, hugo).recap_total()
    # Both look at the recap; Julien validates first, then Claire.
    first = WizardDriver(julien, hugo).post(
        "recapitulatif", {"accept_rules": "on", "shown_total": total}
    )
    second = WizardDriver(claire, hugo).post(
        "recapitulatif", {"accept_rules": "on", "shown_total": total}, follow=True
    )
    assert first.status_code == 302
    assert Reenrolment.objects.filter(student=hugo).count() == 1
    assert ReenrolmentSnapshot.objects.filter(reenrolment__student=hugo).count() == 1
    assert "Cette réinscription est déjà enregistrée." in second.content.decode()


def test_a_changed_total_is_shown_again_before_validation(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.complete(validate=False)
    total = w.recap_total()
    response = w.post("recapitulatif", {"accept_rules": "on", "shown_total": total + 1})
    assert response.status_code == 200
    assert "a changé" in response.content.decode()
    assert not Reenrolment.objects.filter(student=ines).exists()
    assert WizardDraft.objects.filter(student=ines).exists()
    response = w.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 302
    assert Reenrolment.objects.filter(student=ines).exists()


def test_rules_must_be_accepted(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.complete(validate=False)
    response = w.post("recapitulatif", {"shown_total": w.recap_total()})
    assert response.status_code == 200
    assert "accept_rules" in response.context["form"].errors
    assert not Reenrolment.objects.exists()


def test_closed_campaign_accepts_nothing(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    demo.closes_at = timezone.now() - datetime.timedelta(minutes=1)
    demo.save()
    response = client.get(step_url(ines, "choix"))
    assert response.status_code == 403
    assert "close" in response.content.decode()
    response = wizard(ines).post("choix", {"decision": "reenrol"})
    assert response.status_code == 403
    assert not WizardDraft.objects.exists()


def test_campaign_closing_before_validation_refuses_and_keeps_the_draft(
    demo, client, login, wizard
):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.complete(validate=False)
    total = w.recap_total()
    demo.closes_at = timezone.now() - datetime.timedelta(seconds=1)
    demo.save()
    response = w.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 403
    assert not Reenrolment.objects.exists()
