"""On PostgreSQL: two siblings validated at the same instant both count in the family's estimate.

Each validation writes family-wide data (the estimate kept in ``FamilyBilling``);
it is decided under the family's lock, so the second one sees the first one's
child and, its total having changed, shows the new total before validating.
"""

import threading

import pytest
from django.db import connection
from django.test import Client

from billing.models import FamilyBilling
from conservatoire.models import OutboxEmail
from reinscription import services
from reinscription.demo import seed_demo
from reinscription.models import Campaign, Reenrolment
from tests.polling import wait_until
from tests.reinscription.conftest import WizardDriver, student_named

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]

COURSES = {
    "Léa": {"day_fm1c2": "saturday", "ensemble": "chorale"},
    "Hugo": {"day_eveil": "saturday"},
}


def signed_in(student, identifier):
    client = Client()
    client.force_login(
        student.family.responsibles.get(username=identifier),
        backend="accounts.backends.IdentifierBackend",
    )
    return client


def test_two_siblings_validated_at_once_both_count_in_the_family_estimate(celery_worker):
    assert connection.vendor == "postgresql"
    seed_demo()
    campaign = Campaign.objects.get()
    lea, hugo = student_named("Léa"), student_named("Hugo")
    drivers = [
        WizardDriver(signed_in(lea, "martin-claire"), lea),
        WizardDriver(signed_in(hugo, "martin-julien"), hugo),
    ]
    # Both recaps are shown before either child is validated: each total counts one child.
    totals = {}
    for driver in drivers:
        driver.complete(validate=False, courses=COURSES[driver.student.first_name])
        totals[driver.student.pk] = driver.recap_total()

    barrier = threading.Barrier(2)
    responses = {}

    def validate(driver):
        barrier.wait()
        try:
            responses[driver.student.pk] = driver.post(
                "recapitulatif",
                {"accept_rules": "on", "shown_total": totals[driver.student.pk]},
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=validate, args=(driver,)) for driver in drivers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    # The validation that came second saw its total change (the sibling now counts):
    # the family is shown the new total and validates again, as on the recap page.
    assert sorted(response.status_code for response in responses.values()) == [200, 302]
    for driver in drivers:
        response = responses[driver.student.pk]
        if response.status_code == 200:
            assert "a changé" in response.content.decode()
            new_total = response.context["form"]["shown_total"].value()
            assert str(new_total) != str(totals[driver.student.pk])
            again = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": new_total})
            assert again.status_code == 302

    reenrolments = Reenrolment.objects.filter(campaign=campaign, student__in=[lea, hugo])
    assert set(reenrolments.values_list("status", flat=True)) == {Reenrolment.Status.REENROLLED}
    assert reenrolments.count() == 2
    both = services.estimate(
        lea.family,
        campaign,
        student=hugo,
        reenrol=True,
        formula_code=reenrolments.get(student=hugo).preferences["formula"],
        payment_mode="once",
        wants_qf_tariff=False,
        pass_culture=False,
    )
    assert {line.label for line in both.lines} == {lea.full_name, hugo.full_name}
    billing = FamilyBilling.objects.get(family=lea.family, school_year=campaign.school_year)
    assert billing.estimated_total == both.total
    assert reenrolments.order_by("-submitted_at").first().estimated_total == both.total
    # The confirmations leave through the real worker; waiting for them also keeps the
    # worker from reading these tables while the test database is flushed.
    confirmations = OutboxEmail.objects.filter(kind="reenrolment_confirmation")
    wait_until(lambda: confirmations.filter(status=OutboxEmail.Status.SENT).count() >= 2, 30)
