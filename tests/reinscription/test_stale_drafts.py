"""A draft's step 2 never reverts what was saved elsewhere since it began.

A draft may be days old: meanwhile the other responsible, the account page or a
staff import may change the family's details. Validation writes back only what
the family changed in the wizard; a field changed on both sides is shown with
both values for the family to choose.
"""

import pytest
from django.core import mail
from django.test import Client

from accounts.models import Family, Student, User
from conservatoire.models import OutboxEmail
from reinscription import services, submission
from reinscription.models import Campaign, Reenrolment, WizardDraft
from tests.reinscription.conftest import WizardDriver, step_url, student_named

pytestmark = pytest.mark.django_db


def shown_details(client, student) -> dict:
    """Step 2's values as the page shows them (what a family that changes nothing posts)."""
    form = client.get(step_url(student, "coordonnees")).context["form"]
    return {
        name: "" if form[name].value() is None else str(form[name].value())
        for name in form.fields
        if not name.startswith("keep_")
    }


def begin(client, student, **changes) -> WizardDriver:
    """Answer steps 1 and 2 (step 2 as shown, with ``changes``)."""
    driver = WizardDriver(client, student)
    driver.post("choix", {"decision": "reenrol"})
    response = driver.post("coordonnees", {**shown_details(client, student), **changes})
    assert response.status_code == 302, response.context["form"].errors
    return driver


def finish(driver: WizardDriver, **extra):
    """Answer steps 3 to 6, then validate with the total the recap shows."""
    for step, data in (
        ("reglement", {"payment_mode": "once"}),
        ("autorisations", {"image_rights": "yes", "outing_authorisation": "no"}),
        ("documents", {}),
        ("cours", {"day_fm1c2": "saturday", "ensemble": "chorale"}),
    ):
        assert driver.post(step, data).status_code == 302
    return validate(driver, **extra)


def validate(driver: WizardDriver, **extra):
    """Open the recap and validate the total it shows (none if it sends back to a step)."""
    recap = driver.client.get(step_url(driver.student, "recapitulatif"))
    total = recap.context["form"].initial.get("shown_total") if recap.status_code == 200 else ""
    return driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total}, **extra)


@pytest.fixture
def claire(demo, client, login):
    # Step 2 asks for an emergency contact, which the demo's students lack.
    Student.objects.filter(family__name="Martin").update(
        emergency_contact_name="Mamie Martin", emergency_contact_phone="06 11 22 33 44"
    )
    login("martin-claire")
    return client


@pytest.fixture
def julien():
    return User.objects.get(username="martin-julien")


def test_a_detail_left_as_shown_keeps_the_value_saved_since(claire, julien):
    lea = student_named("Léa")
    driver = begin(claire, lea)
    # Days later, a staff import changes the address and Julien his mobile.
    Family.objects.filter(pk=lea.family_id).update(address="3 rue des Tilleuls")
    julien.mobile = "06 55 44 33 22"
    julien.save()

    # Step 2, reopened, shows the newer values...
    content = claire.get(step_url(lea, "coordonnees")).content.decode()
    assert "3 rue des Tilleuls" in content
    assert "12 chemin de la Sablière" not in content
    assert "06 55 44 33 22" in content
    # ...and validating keeps them.
    assert finish(driver).status_code == 302
    assert Reenrolment.objects.filter(student=lea).exists()
    lea.family.refresh_from_db()
    julien.refresh_from_db()
    assert lea.family.address == "3 rue des Tilleuls"
    assert julien.mobile == "06 55 44 33 22"
    snapshot = Reenrolment.objects.get(student=lea).snapshots.get()
    assert snapshot.data["details"]["address"] == "3 rue des Tilleuls"


def test_a_detail_left_as_shown_is_not_reverted_even_without_reopening_step_2(claire, julien):
    lea = student_named("Léa")
    driver = begin(claire, lea)
    for step, data in (
        ("reglement", {"payment_mode": "once"}),
        ("autorisations", {"image_rights": "yes", "outing_authorisation": "no"}),
        ("documents", {}),
        ("cours", {"day_fm1c2": "saturday", "ensemble": "chorale"}),
    ):
        driver.post(step, data)
    total = driver.recap_total()
    # While the recap is open, Julien changes his email on the account page.
    julien.email = "julien@example.net"
    julien.save()
    response = driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    assert response.status_code == 302
    julien.refresh_from_db()
    assert julien.email == "julien@example.net"


def test_a_detail_changed_on_both_sides_stops_validation_on_step_2_with_both_values(claire, julien):
    lea = student_named("Léa")
    driver = begin(claire, lea, **{f"responsible_{julien.pk}_email": "julien.m@example.com"})
    # Meanwhile, Julien changes his own email on the account page.
    julien.email = "julien@example.net"
    julien.save()

    response = finish(driver, follow=True)
    assert response.redirect_chain[-1][0] == step_url(lea, "coordonnees")
    content = response.content.decode()
    assert "choisissez la valeur à garder" in content.lower()
    assert "Valeur enregistrée depuis : julien@example.net" in content
    assert "Votre saisie : julien.m@example.com" in content
    # Nothing was written, nothing reverted, the draft is kept.
    assert not Reenrolment.objects.filter(student=lea).exists()
    julien.refresh_from_db()
    assert julien.email == "julien@example.net"
    assert WizardDraft.objects.filter(student=lea).exists()
    # The recap sends back to step 2 until the family chooses.
    assert claire.get(step_url(lea, "recapitulatif")).url == step_url(lea, "coordonnees")

    form = response.context["form"]
    assert not form.errors  # a question, not yet an error
    data = {name: str(form[name].value() or "") for name in form.fields}
    data[f"keep_responsible_{julien.pk}_email"] = "typed"
    assert driver.post("coordonnees", data).status_code == 302
    assert validate(driver).status_code == 302
    julien.refresh_from_db()
    assert julien.email == "julien.m@example.com"


def test_choosing_the_value_saved_since_keeps_it(claire):
    lea = student_named("Léa")
    driver = begin(claire, lea, city="Lyon", school_name="Collège Jean-Moulin")
    Family.objects.filter(pk=lea.family_id).update(city="Dardilly")
    Student.objects.filter(pk=lea.pk).update(school_name="Collège Jean-Giono (Limonest)")

    response = finish(driver, follow=True)
    content = response.content.decode()
    assert "Valeur enregistrée depuis : Dardilly" in content
    assert "Votre saisie : Lyon" in content
    assert "Valeur enregistrée depuis : Collège Jean-Giono (Limonest)" in content
    form = response.context["form"]
    data = {name: str(form[name].value() or "") for name in form.fields}
    data["keep_city"] = "stored"
    response = driver.post("coordonnees", data)
    assert response.status_code == 200  # the other conflict still needs an answer
    assert "keep_school_name" in response.context["form"].errors
    data["keep_school_name"] = "typed"
    assert driver.post("coordonnees", data).status_code == 302
    # Step 2 now shows the value kept.
    assert 'value="Dardilly"' in claire.get(step_url(lea, "coordonnees")).content.decode()
    assert validate(driver).status_code == 302
    lea.refresh_from_db()
    lea.family.refresh_from_db()
    assert lea.family.city == "Dardilly"
    assert lea.school_name == "Collège Jean-Moulin"


def test_a_change_made_elsewhere_after_the_choice_is_asked_about_again(claire):
    lea = student_named("Léa")
    driver = begin(claire, lea, city="Lyon")
    Family.objects.filter(pk=lea.family_id).update(city="Dardilly")
    form = finish(driver, follow=True).context["form"]
    data = {name: str(form[name].value() or "") for name in form.fields}
    data["keep_city"] = "typed"
    assert driver.post("coordonnees", data).status_code == 302
    Family.objects.filter(pk=lea.family_id).update(city="Champagne-au-Mont-d'Or")
    response = validate(driver, follow=True)
    assert "Valeur enregistrée depuis : Champagne-au-Mont-d&#x27;Or" in response.content.decode()
    assert not Reenrolment.objects.filter(student=lea).exists()


def test_a_detail_changed_only_by_the_family_is_written(claire):
    lea = student_named("Léa")
    assert finish(begin(claire, lea, city="Lyon")).status_code == 302
    lea.family.refresh_from_db()
    assert lea.family.city == "Lyon"


# --- The same decision, under the family's lock ---------------------------------


def submit(student, details, initial, **extra):
    campaign = Campaign.objects.get()
    return submission.submit_reenrolment(
        student=student,
        campaign=campaign,
        user=student.family.responsibles.order_by("pk").first(),
        answers={
            "choix": {"decision": "reenrol"},
            "coordonnees": details,
            "reglement": {"payment_mode": "once"},
            "autorisations": {"image_rights": True, "outing_authorisation": False},
            "cours": {"comments": ""},
        },
        base_version=0,
        summary={"preferences": {"formula": "cursus-musique"}},
        details_initial=initial,
        **extra,
    )


def test_validation_decides_on_the_values_stored_when_it_holds_the_lock(demo):
    lea = student_named("Léa")
    family = lea.family
    responsibles = list(family.responsibles.order_by("pk"))
    initial = services.current_details(family, responsibles, lea)
    typed = {**initial, "city": "Lyon", "school_name": "Collège Jean-Moulin"}
    # Between the recap and the lock, the city is changed elsewhere.
    Family.objects.filter(pk=family.pk).update(city="Dardilly", address="3 rue des Tilleuls")
    result = submit(lea, typed, initial)
    assert result.reenrolment is None
    assert result.details_conflicts == {"city": {"stored": "Dardilly", "typed": "Lyon"}}
    assert not Reenrolment.objects.exists()
    lea.refresh_from_db()
    assert lea.school_name == "Collège Jean-Giono"  # nothing written

    # Without the conflict: the family's change is written, the other one kept.
    result = submit(lea, {**typed, "city": "Dardilly"}, initial)
    assert result.reenrolment is not None
    family.refresh_from_db()
    lea.refresh_from_db()
    assert (family.address, family.city) == ("3 rue des Tilleuls", "Dardilly")
    assert lea.school_name == "Collège Jean-Moulin"


def test_a_phone_number_typed_otherwise_is_no_change(demo):
    lea = student_named("Léa")
    claire = lea.family.responsibles.get(username="martin-claire")
    initial = services.current_details(lea.family, [claire], lea)
    typed = {**initial, f"responsible_{claire.pk}_mobile": "+33 6 12 34 56 78"}
    Family.objects.filter(pk=lea.family_id).update(city="Dardilly")
    User.objects.filter(pk=claire.pk).update(mobile="+33612345678")
    outcome = services.reconcile_details(
        typed,
        initial,
        services.current_details(Family.objects.get(pk=lea.family_id), [claire], lea),
    )
    assert outcome.changes == {} and outcome.conflicts == {}
    assert outcome.refreshed == {"city": "Dardilly"}


# --- A responsible's email changed in the wizard -----------------------------------------


def test_changing_a_co_parents_email_in_the_wizard_tells_the_former_address(
    claire, julien, django_capture_on_commit_callbacks
):
    lea = student_named("Léa")
    driver = begin(claire, lea, **{f"responsible_{julien.pk}_email": "julien@example.net"})
    with django_capture_on_commit_callbacks(execute=True):
        assert finish(driver).status_code == 302
    julien.refresh_from_db()
    assert julien.email == "julien@example.net"
    [notice] = [m for m in mail.outbox if m.to == ["julien.martin@example.org"]]
    assert notice.subject.startswith("Votre adresse e-mail a été modifiée")
    assert "martin-julien" in notice.body
    assert OutboxEmail.objects.filter(kind="accounts.email_changed").count() == 1


def test_keeping_the_emails_tells_nobody(claire, django_capture_on_commit_callbacks):
    lea = student_named("Léa")
    with django_capture_on_commit_callbacks(execute=True):
        assert finish(begin(claire, lea)).status_code == 302
    assert not OutboxEmail.objects.filter(kind="accounts.email_changed").exists()
    assert [m.subject for m in mail.outbox if "modifiée" in m.subject] == []


def test_an_email_changed_only_in_case_is_written_but_tells_nobody(claire, julien):
    lea = student_named("Léa")
    upper = {f"responsible_{julien.pk}_email": "Julien.Martin@example.org"}
    assert finish(begin(claire, lea, **upper)).status_code == 302
    julien.refresh_from_db()
    assert julien.email == "Julien.Martin@example.org"
    assert not OutboxEmail.objects.filter(kind="accounts.email_changed").exists()


def test_another_device_sees_the_same_draft(claire, julien):
    """The recorded values live in the draft, not in the session."""
    lea = student_named("Léa")
    begin(claire, lea, city="Lyon")
    Family.objects.filter(pk=lea.family_id).update(city="Dardilly")
    other = Client()
    other.force_login(julien, backend="accounts.backends.IdentifierBackend")
    content = other.get(step_url(lea, "coordonnees")).content.decode()
    assert "Valeur enregistrée depuis : Dardilly" in content
