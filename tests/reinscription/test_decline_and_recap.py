"""A decline is its own short path; the recap links each section to its step, names the
QF line only when a quotient counts, writes the instalments' dates the French way, and
"Modifier" after a validation says first what becomes of the recorded version."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from accounts.models import Family
from billing.templatetags.billing_tags import long_date
from reinscription.models import Reenrolment, ReenrolmentSnapshot
from tests.reinscription.conftest import step_url, student_named

pytestmark = pytest.mark.django_db

REPLACED = (
    "sera remplacée par la nouvelle version quand vous la validerez ; tant que vous ne "
    "validez pas, la version actuelle reste celle que le conservatoire voit."
)


def recorded_on(reenrolment: Reenrolment) -> str:
    with translation.override("fr"):
        return long_date(timezone.localdate(reenrolment.submitted_at))


# --- 4. A decline is a decline ------------------------------------------------------------


def test_the_reason_shows_only_with_the_decline_on_step_1(demo, client, login):
    login("leroy-marc")
    page = client.get(step_url(student_named("Lucas"), "choix")).content.decode()
    assert 'data-show-when="choix-decision=decline"' in page
    assert "Motif (facultatif)" in page


def test_declining_leads_to_a_confirmation_in_two_steps(demo, client, login, wizard):
    login("leroy-marc")
    lucas = student_named("Lucas")
    response = wizard(lucas).post(
        "choix", {"decision": "decline", "decline_reason": "Déménagement à Lyon"}
    )
    assert response.url == step_url(lucas, "recapitulatif")
    page = client.get(response.url).content.decode()
    assert "Étape 2 sur 2 — Confirmation de la non-réinscription" in page
    assert "Vous ne souhaitez pas réinscrire Lucas Leroy pour l’année scolaire 2025-2026." in page
    assert "Déménagement à Lyon" in page
    assert ">Confirmer la non-réinscription</button>" in page
    assert "sur 7" not in page
    assert "accept_rules" not in page
    assert "Règlement intérieur" not in page
    assert "Valider la réinscription" not in page
    assert "Modifier" not in page  # no recap sections to modify
    # Back on step 1, the path is still the decline's.
    assert "Étape 1 sur 2" in client.get(step_url(lucas, "choix")).content.decode()


def test_a_decline_without_a_reason_says_so(demo, client, login, wizard):
    login("leroy-marc")
    lucas = student_named("Lucas")
    wizard(lucas).post("choix", {"decision": "decline"})
    page = client.get(step_url(lucas, "recapitulatif")).content.decode()
    assert "Aucun motif indiqué" in page


def test_confirming_a_decline_needs_no_rules_and_the_email_repeats_the_reason(
    demo, client, login, wizard, django_capture_on_commit_callbacks
):
    login("leroy-marc")
    lucas = student_named("Lucas")
    driver = wizard(lucas)
    driver.post("choix", {"decision": "decline", "decline_reason": "Déménagement à Lyon"})
    with django_capture_on_commit_callbacks(execute=True):
        response = driver.post("recapitulatif", {}, follow=True)
    assert "Votre réponse est enregistrée" in response.content.decode()
    reenrolment = Reenrolment.objects.get(student=lucas)
    assert reenrolment.status == Reenrolment.Status.DECLINED
    assert reenrolment.decline_reason == "Déménagement à Lyon"
    assert reenrolment.snapshots.get().data["decline_reason"] == "Déménagement à Lyon"
    [email] = mail.outbox
    assert email.subject == "Pas de réinscription pour Lucas Leroy : confirmation"
    assert "Motif : Déménagement à Lyon" in email.body
    html = email.alternatives[0][0]
    assert "Déménagement à Lyon" in html
    for text in (email.body, html):
        assert "Règlement intérieur accepté" not in text  # none was shown, none accepted
    detail = client.get(reverse("reinscription:reenrolment_detail", args=[lucas.pk]))
    assert "règlement intérieur" not in detail.content.decode()


# --- 7. The recap ------------------------------------------------------------------------

SECTIONS = {
    "coordonnees": "Modifier les coordonnées",
    "reglement": "Modifier le mode de règlement",
    "autorisations": "Modifier les autorisations",
    "documents": "Modifier les documents",
    "cours": "Modifier les cours",
}


def test_each_recap_section_links_to_its_step(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete(validate=False)
    page = client.get(step_url(ines, "recapitulatif")).content.decode()
    for step, name in SECTIONS.items():
        url = f"{step_url(ines, step)}?retour=recapitulatif"
        assert f'href="{url}" aria-label="{name}">Modifier</a>' in page, step
    assert '<h3 class="h5">Documents</h3>' in page


def test_a_step_opened_from_the_recap_leads_back_to_it_once_saved(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    driver = wizard(ines)
    driver.complete(validate=False)
    url = step_url(ines, "autorisations") + "?retour=recapitulatif"
    page = client.get(url).content.decode()
    assert ">Enregistrer et revenir au récapitulatif</button>" in page
    assert f'href="{step_url(ines, "recapitulatif")}"' in page  # back without saving
    response = client.post(
        url,
        {
            f"reenrolment_{ines.pk}-current_step": "autorisations",
            "autorisations-image_rights": "no",
            "autorisations-outing_authorisation": "no",
        },
    )
    assert response.url == step_url(ines, "recapitulatif")
    summary = client.get(response.url).context["summary"]
    assert summary["authorisations"]["image_rights"] is False
    # Without the parameter, the wizard goes on to the next step as before.
    response = driver.post("autorisations", {"image_rights": "yes", "outing_authorisation": "no"})
    assert response.url == step_url(ines, "documents")


def recap_page(client, wizard, student, payment) -> str:
    wizard(student).complete(payment=payment, validate=False)
    return client.get(step_url(student, "recapitulatif")).content.decode()


def test_the_qf_line_shows_when_the_family_gives_its_quotient(demo, client, login, wizard):
    login("leroy-marc")  # resident, QF 1300 on file
    page = recap_page(
        client, wizard, student_named("Inès"), {"payment_mode": "once", "wants_qf_tariff": "on"}
    )
    assert "Ligne de la grille : QF de 1101 à 1500." in page


def test_the_qf_line_says_where_the_quotient_comes_from_when_none_was_typed(
    demo, client, login, wizard
):
    login("leroy-marc")
    page = recap_page(client, wizard, student_named("Inès"), {"payment_mode": "once"})
    assert (
        "Ligne de la grille : QF de 1101 à 1500, d’après le quotient familial dont le "
        "conservatoire dispose déjà." in page
    )


def test_no_qf_line_without_a_quotient(demo, client, login, wizard):
    login("leroy-marc")
    Family.objects.filter(name="Leroy").update(qf_value=None, qf_proven=False)
    ines = student_named("Inès")
    page = recap_page(client, wizard, ines, {"payment_mode": "once"})
    assert "Ligne de la grille" not in page and "QF " not in page
    assert "Aucun quotient familial indiqué" in page
    # Ticked, but the conservatoire does not know the quotient yet: still no QF line.
    page = recap_page(client, wizard, ines, {"payment_mode": "once", "wants_qf_tariff": "on"})
    assert "Ligne de la grille" not in page and "QF " not in page
    assert "Votre quotient familial n’est pas encore connu" in page


def test_the_instalments_are_dated_with_the_french_ordinal(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    page = recap_page(client, wizard, ines, {"payment_mode": "monthly", "bank_changed": "no"})
    assert "<td>1er novembre 2025</td>" in page
    assert not re.search(r">1 (janvier|février|mars|avril|mai|juin|novembre|décembre)", page)


# --- 7. "Modifier" after a validation -------------------------------------------------------


def test_modifying_a_validated_re_enrolment_says_first_what_happens(demo, client, login, wizard):
    login("leroy-marc")
    ines = student_named("Inès")
    wizard(ines).complete()
    reenrolment = Reenrolment.objects.get(student=ines)
    space = client.get(reverse("reinscription:family_space")).content.decode()
    assert f'href="{step_url(ines)}">Modifier' in space
    page = client.get(client.get(step_url(ines)).url).content.decode()  # opens step 1
    assert "Étape 1 sur 7" in page
    assert f"Votre réinscription validée le {recorded_on(reenrolment)} {REPLACED}" in page
    assert "Vos réponses précédentes sont préremplies" in page

    # What it says is what happens: until the new version is validated, nothing changes…
    driver = wizard(ines)
    driver.complete(
        authorisations={"image_rights": "no", "outing_authorisation": "no"}, validate=False
    )
    reenrolment.refresh_from_db()
    assert (reenrolment.version, reenrolment.image_rights) == (1, True)
    recap = client.get(step_url(ines, "recapitulatif")).content.decode()
    assert REPLACED in recap  # said again where it is validated
    # …then the new version replaces it, the former staying in the history.
    total = driver.recap_total()
    driver.post("recapitulatif", {"accept_rules": "on", "shown_total": total})
    reenrolment.refresh_from_db()
    assert (reenrolment.version, reenrolment.image_rights) == (2, False)
    assert list(
        ReenrolmentSnapshot.objects.filter(reenrolment=reenrolment).values_list(
            "version", flat=True
        )
    ) == [2, 1]


def test_modifying_a_recorded_decline_says_what_happens(demo, client, login, wizard):
    login("leroy-marc")
    lucas = student_named("Lucas")
    driver = wizard(lucas)
    driver.post("choix", {"decision": "decline"})
    driver.post("recapitulatif", {})
    reenrolment = Reenrolment.objects.get(student=lucas)
    page = client.get(step_url(lucas, "choix")).content.decode()
    assert (
        f"Votre réponse du {recorded_on(reenrolment)} (ne pas réinscrire Lucas) sera remplacée"
        in page
    )
