"""The seven steps of the guide, for each case it names (drafts: test_wizard_validation)."""

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from accounts.models import Student
from reinscription.models import CourseSlot, Reenrolment, ReenrolmentSnapshot, WizardDraft
from reinscription.rules import WEEKDAYS
from tests.reinscription.conftest import step_url, student_named

pytestmark = pytest.mark.django_db


def slot_of(code: str, school_year, start: str) -> CourseSlot:
    return CourseSlot.objects.get(course__code=code, school_year=school_year, starts_at=start)


def test_family_space_lists_every_child_with_its_status(demo, client, login):
    login("martin-julien")
    response = client.get(reverse("reinscription:family_space"))
    content = response.content.decode()
    assert response.status_code == 200
    assert "Réinscriptions" in content
    for name in ("Léa Martin", "Hugo Martin", "Emma Martin"):
        assert name in content
    assert content.count("À faire") == 3


def test_both_responsibles_see_the_whole_family(demo, client, login, wizard):
    login("martin-claire")
    wizard(student_named("Hugo")).post("choix", {"decision": "reenrol"})
    client.logout()
    login("martin-julien")
    content = client.get(reverse("reinscription:family_space")).content.decode()
    assert "En cours" in content
    assert "Reprendre" in content


def test_choice_step_uses_the_guide_words(demo, client, login):
    login("martin-claire")
    response = client.get(step_url(student_named("Léa"), "choix"))
    content = response.content.decode()
    assert "je souhaite réinscrire Léa" in content
    assert "je ne souhaite pas réinscrire Léa" in content
    assert "Passer à l’étape suivante" in content or "Passer à l'étape suivante" in content
    assert "Étape 1 sur 7" in content


def test_declining_skips_to_the_recap_and_frees_the_seat(demo, client, login, wizard):
    login("leroy-marc")
    lucas = student_named("Lucas")
    w = wizard(lucas)
    response = w.post("choix", {"decision": "decline", "decline_reason": "Déménagement"})
    assert response.url == step_url(lucas, "recapitulatif")
    response = w.post("recapitulatif", {"accept_rules": "on"})
    assert response.status_code == 302
    reenrolment = Reenrolment.objects.get(student=lucas)
    assert reenrolment.status == Reenrolment.Status.DECLINED
    assert reenrolment.decline_reason == "Déménagement"
    assert reenrolment.estimated_total is None


def test_full_reenrolment_with_one_payment(
    demo, client, login, wizard, django_capture_on_commit_callbacks
):
    login("martin-claire")
    lea = student_named("Léa")
    with django_capture_on_commit_callbacks(execute=True):
        response = wizard(lea).complete(courses={"day_fm1c2": "saturday", "ensemble": "orchestre"})
    assert response.status_code == 302
    assert response.url == reverse("reinscription:reenrolment_detail", args=[lea.pk])
    reenrolment = Reenrolment.objects.get(student=lea)
    assert reenrolment.status == Reenrolment.Status.REENROLLED
    assert reenrolment.payment_mode == "once"
    assert reenrolment.image_rights is True
    assert reenrolment.outing_authorisation is False
    assert reenrolment.preferences["courses"]["fm1c2"] == {
        "question": "day",
        "weekday": 5,
        "slot": slot_of("fm1c2", demo.school_year, "11:30").pk,
        "label": "Samedi 11h30–12h30",
    }
    assert reenrolment.preferences["ensemble"] == "orchestre"
    assert reenrolment.rules_version == demo.rules_version
    assert reenrolment.estimated_total > 0
    assert ReenrolmentSnapshot.objects.filter(reenrolment=reenrolment).count() == 1
    assert not WizardDraft.objects.filter(student=lea).exists()
    # One confirmation email, to both responsibles, with the recap.
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) == {"claire.martin@example.org", "julien.martin@example.org"}
    assert "Léa Martin" in mail.outbox[0].body
    ((filename, content, mimetype),) = mail.outbox[0].attachments
    assert filename.endswith(".pdf") and mimetype == "application/pdf"
    assert content.startswith(b"%PDF")
    assert "Prélèvement" not in mail.outbox[0].body


def test_direct_debit_without_bank_change_requests_no_mandate(demo, client, login, wizard):
    login("petit-karim")
    nathan = student_named("Nathan")
    w = wizard(nathan)
    w.complete(
        payment={"payment_mode": "monthly", "bank_changed": "no"},
        courses={"day_fm1c3": "wednesday", "ensemble": "chorale"},
        validate=False,
    )
    content = client.get(step_url(nathan, "documents")).content.decode()
    assert "mandat SEPA" not in content.lower().replace("télécharger le mandat sepa", "")
    reenrolment_total = w.recap_total()
    assert reenrolment_total is not None


def test_direct_debit_with_bank_change_needs_iban_and_requests_mandate(demo, client, login, wizard):
    login("petit-karim")
    nathan = student_named("Nathan")
    w = wizard(nathan)
    w.post("choix", {"decision": "reenrol"})
    w.post("coordonnees", w.details())
    response = w.post("reglement", {"payment_mode": "monthly", "bank_changed": "yes"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert set(errors) >= {"iban", "account_holder"}
    assert "bic" not in errors  # found from the IBAN (asked only when it cannot be)
    response = w.post(
        "reglement",
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": "FR14 2004 1010 0505 0001 3M02 606",
            "bic": "PSSTFRPPLYO",
            "account_holder": "Karim Petit",
        },
    )
    assert response.status_code == 302
    w.post("autorisations", {"image_rights": "no", "outing_authorisation": "yes"})
    content = client.get(step_url(nathan, "documents")).content.decode().lower()
    assert "mandat sepa" in content
    assert "rib" in content


def test_an_invalid_iban_gets_a_french_message_and_keeps_the_rest(demo, client, login, wizard):
    login("petit-karim")
    nathan = student_named("Nathan")
    w = wizard(nathan)
    w.post("choix", {"decision": "reenrol"})
    w.post("coordonnees", w.details())
    response = w.post(
        "reglement",
        {
            "payment_mode": "monthly",
            "bank_changed": "yes",
            "iban": "FR00 1234",
            "bic": "PSSTFRPPLYO",
            "account_holder": "Karim Petit",
            "pass_culture_number": "PC-123",
        },
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "IBAN" in content
    assert 'value="Karim Petit"' in content
    assert 'value="PC-123"' in content
    assert "Merci de corriger" in content


@pytest.mark.parametrize(
    ("first_name", "expected_fields", "answers"),
    [
        (
            "Emma",
            {"administrative", "instrument", "day_fm1c1", "day_decouverte"},
            {"administrative": "on", "instrument": "violon", "day_fm1c1": "saturday"},
        ),
        ("Hugo", {"day_eveil"}, {"day_eveil": "wednesday"}),
        ("Chloé", {"day_fm1c1"}, {"day_fm1c1": "wednesday"}),
        ("Léa", {"day_fm1c2", "ensemble"}, {"day_fm1c2": "saturday", "ensemble": "chorale"}),
        ("Nathan", {"day_fm1c3", "ensemble"}, {"day_fm1c3": "wednesday", "ensemble": "orchestre"}),
        ("Manon", {"time_fm1c4", "ensemble"}, {"time_fm1c4": "09:30", "ensemble": "orchestre"}),
        ("Inès", set(), {}),
        ("Sophie", set(), {"comments": "Je souhaite passer en cours de 45 minutes."}),
    ],
)
def test_courses_step_asks_what_the_guide_asks_for_each_case(
    demo, client, login, wizard, first_name, expected_fields, answers
):
    student = student_named(first_name)
    login(student.family.responsibles.first().username)
    w = wizard(student)
    w.post("choix", {"decision": "reenrol"})
    w.post("coordonnees", w.details())
    w.post("reglement", {"payment_mode": "once"})
    authorisations = {"image_rights": "yes"}
    if not student.is_adult_learner:
        authorisations["outing_authorisation"] = "yes"
    w.post("autorisations", authorisations)
    w.post("documents", {})
    form = client.get(step_url(student, "cours")).context["form"]
    assert set(form.fields) - {"comments"} == expected_fields
    assert "comments" in form.fields
    year, answers = demo.school_year, dict(answers)
    if "time_fm1c4" in answers:  # a time is answered by its slot
        answers["time_fm1c4"] = str(slot_of("fm1c4", year, answers["time_fm1c4"]).pk)
    response = w.post("cours", answers)
    assert response.status_code == 302, response.context["form"].errors
    w.post("recapitulatif", {"accept_rules": "on", "shown_total": w.recap_total()})
    reenrolment = Reenrolment.objects.get(student=student)
    for key, value in answers.items():
        if key == "comments":
            assert reenrolment.comments == value
        elif key.startswith("day_"):
            answer = reenrolment.preferences["courses"][key.removeprefix("day_")]
            assert (answer["question"], answer["weekday"]) == ("day", WEEKDAYS.index(value))
        elif key.startswith("time_"):
            answer = reenrolment.preferences["courses"][key.removeprefix("time_")]
            assert (answer["question"], answer["slot"]) == ("time", int(value))
        else:
            assert reenrolment.preferences[key] == (True if value == "on" else value)


def test_discovery_pupil_must_choose_a_day_or_administrative(demo, client, login, wizard):
    login("martin-claire")
    emma = student_named("Emma")
    w = wizard(emma)
    w.complete(validate=False, courses={"day_decouverte": "monday"})
    response = w.post("cours", {"administrative": "on"})
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert "instrument" in errors and "day_fm1c1" in errors
    response = w.post("cours", {})
    assert "day_decouverte" in response.context["form"].errors


def test_administrative_reenrolment_moves_discovery_pupil_to_music_curriculum(
    demo, client, login, wizard
):
    login("martin-claire")
    emma = student_named("Emma")
    wizard(emma).complete(
        courses={"administrative": "on", "instrument": "violon", "day_fm1c1": "wednesday"}
    )
    reenrolment = Reenrolment.objects.get(student=emma)
    assert reenrolment.preferences["formula"] == "cursus-musique"
    snapshot = reenrolment.snapshots.get()
    assert snapshot.data["estimate"]["lines"][0]["formula"].startswith("Cursus musique")


def test_authorisations_are_explicit_with_nothing_preticked(demo, client, login, wizard):
    login("martin-claire")
    hugo = student_named("Hugo")
    w = wizard(hugo)
    w.complete(validate=False, courses={"day_eveil": "wednesday"})
    response = client.get(step_url(hugo, "autorisations"))
    content = response.content.decode()
    assert "droit à l’image" in content.lower() or "droit à l'image" in content.lower()
    assert "autorisation de sortie" in content.lower()
    w2 = wizard(student_named("Léa"))
    w2.post("choix", {"decision": "reenrol"})
    w2.post("coordonnees", w2.details(student_named("Léa")))
    w2.post("reglement", {"payment_mode": "once"})
    fresh = client.get(step_url(student_named("Léa"), "autorisations")).content.decode()
    assert "checked" not in fresh
    response = w2.post("autorisations", {"image_rights": "yes"})
    assert "outing_authorisation" in response.context["form"].errors


def test_details_step_validates_french_mobile_and_keeps_other_fields(demo, client, login, wizard):
    login("bernard-sarah")
    chloe = student_named("Chloé")
    w = wizard(chloe)
    w.post("choix", {"decision": "reenrol"})
    data = w.details()
    responsible = chloe.family.responsibles.get()
    data[f"responsible_{responsible.pk}_mobile"] = "12345"
    data["school_name"] = "École du Bourg modifiée"
    response = w.post("coordonnees", data)
    assert response.status_code == 200
    content = response.content.decode()
    assert "06 12 34 56 78" in content  # the help text of the French number
    assert 'value="École du Bourg modifiée"' in content
    assert f"responsible_{responsible.pk}_mobile" in response.context["form"].errors


def test_details_are_prefilled(demo, client, login, wizard):
    login("martin-claire")
    lea = student_named("Léa")
    wizard(lea).post("choix", {"decision": "reenrol"})
    content = client.get(step_url(lea, "coordonnees")).content.decode()
    assert "12 chemin de la Sablière" in content
    assert "claire.martin@example.org" in content
    assert "Collège Jean-Giono" in content


# --- Security -------------------------------------------------------------------


def test_another_familys_student_gives_404(demo, client, login):
    login("bernard-sarah")
    lea = student_named("Léa")
    assert client.get(step_url(lea, "choix")).status_code == 404
    assert client.get(step_url(lea)).status_code == 404
    assert client.get(reverse("reinscription:reenrolment_detail", args=[lea.pk])).status_code == 404


def test_staff_without_family_get_404_on_family_pages(demo, client, login):
    login("secretariat")
    assert client.get(reverse("reinscription:family_space")).status_code == 404
    assert client.get(step_url(Student.objects.first(), "choix")).status_code == 404


def test_anonymous_users_are_sent_to_login(demo, client):
    response = client.get(step_url(student_named("Léa"), "choix"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_a_step_reached_out_of_order_is_refused(demo, client, login, wizard):
    login("martin-claire")
    lea = student_named("Léa")
    response = client.get(step_url(lea, "recapitulatif"))
    assert response.status_code == 302
    assert response.url == step_url(lea, "choix")
    response = wizard(lea).post("reglement", {"payment_mode": "once"})
    assert response.status_code == 400
    assert not WizardDraft.objects.exists()


def test_a_tampered_step_name_is_refused(demo, client, login, wizard):
    login("martin-claire")
    lea = student_named("Léa")
    assert client.get(step_url(lea, "inconnue")).status_code == 404
    payload = {f"reenrolment_{lea.pk}-current_step": "inconnue", "inconnue-x": "1"}
    assert client.post(step_url(lea, "choix"), payload).status_code == 400
    assert (
        client.post(step_url(lea, "choix"), {"wizard_goto_step": "recapitulatif"}).status_code
        == 400
    )
    assert client.post(step_url(lea, "choix"), {}).status_code == 400


def test_done_never_runs_on_a_get(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete(validate=False)
    response = client.get(step_url(ines, "fin"))
    assert response.status_code == 302
    assert not Reenrolment.objects.exists()


def test_post_without_csrf_token_fails(demo, wizard):
    lea = student_named("Léa")
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        lea.family.responsibles.first(), backend="accounts.backends.IdentifierBackend"
    )
    response = wizard(lea).__class__(client, lea).post("choix", {"decision": "reenrol"})
    assert response.status_code == 403
    assert not WizardDraft.objects.exists()


def test_extra_post_fields_are_ignored(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    w = wizard(ines)
    w.complete(validate=False)
    total = w.recap_total()
    w.post(
        "recapitulatif",
        {"accept_rules": "on", "shown_total": total, "status": "validated", "estimated_total": "1"},
    )
    reenrolment = Reenrolment.objects.get(student=ines)
    assert reenrolment.status == Reenrolment.Status.REENROLLED
    assert reenrolment.estimated_total == total


def test_family_sees_the_final_amount_and_the_difference(demo, client, login, wizard):
    from decimal import Decimal

    from billing.models import FamilyBilling
    from billing.services import set_final_amount

    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    bill = FamilyBilling.objects.get(family=ines.family, school_year=demo.school_year)
    estimated = bill.estimated_total
    assert estimated == Reenrolment.objects.get(student=ines).estimated_total
    staff = ines.family.responsibles.model.objects.get(username="secretariat")
    set_final_amount(
        bill, amount=estimated - Decimal("20.00"), reason="Remise exceptionnelle", by=staff
    )
    detail = reverse("reinscription:reenrolment_detail", args=[ines.pk])
    content = client.get(detail).content.decode()
    assert "Remise exceptionnelle" in content
    assert "20,00" in content


def test_the_recap_sends_back_to_a_step_that_no_longer_validates(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete(validate=False)
    draft = WizardDraft.objects.get(student=ines)
    draft.data["step_data"]["coordonnees"]["coordonnees-emergency_contact_phone"] = ["abc"]
    draft.save()
    # Later steps stay reachable (only validated data is ever stored)...
    assert client.get(step_url(ines, "cours")).status_code == 200
    # ...but the recap, which needs every answer, sends the family back to it.
    response = client.get(step_url(ines, "recapitulatif"), follow=True)
    assert response.redirect_chain[-1][0] == step_url(ines, "coordonnees")
    assert "Merci de vérifier à nouveau cette étape." in response.content.decode()
    assert not Reenrolment.objects.exists()
