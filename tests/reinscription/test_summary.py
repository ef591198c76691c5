"""The recap's summary, called directly: a plain function of the steps' cleaned data."""

from decimal import Decimal

import pytest

from billing.models import PaymentMode
from reinscription.models import CourseSlot, Weekday
from reinscription.wizard.summary import (
    SummaryFacts,
    build_summary,
    public_summary,
    summary_total,
)
from tests.reinscription.conftest import WizardDriver, step_url, student_named

pytestmark = pytest.mark.django_db

LEA_ANSWERS = {
    "choix": {"decision": "reenrol", "decline_reason": ""},
    "coordonnees": {
        "address": "12 chemin de la Sablière",
        "postal_code": "69760",
        "city": "Limonest",
        "school_level": "5e",
        "school_name": "Collège Jean-Giono",
        "emergency_contact_name": "Mamie Martin",
        "emergency_contact_phone": "06 11 22 33 44",
        "emergency_contact_relation": "grand-mère",
    },
    "reglement": {
        "payment_mode": PaymentMode.MONTHLY,
        "bank_changed": True,
        "iban": "FR7630006000011234567890189",
        "bic": "AGRIFRPP",
        "account_holder": "Claire Martin",
        "wants_qf_tariff": True,
        "pass_culture_number": "",
    },
    "autorisations": {"image_rights": True, "outing_authorisation": False},
    "cours": {"day_fm1c2": "saturday", "ensemble": "chorale", "comments": "Merci !"},
}


def test_a_reenrolment_is_summarised_from_the_answers_alone(demo):
    lea = student_named("Léa")
    summary = build_summary(LEA_ANSWERS, student=lea, campaign=demo)

    assert summary["student"] == "Léa Martin"
    assert summary["family"] == "Martin"
    assert summary["decision"] == "reenrol"
    # Her formula carries over; the "false-y" answers are not preferences.
    saturday = CourseSlot.objects.get(
        course__code="fm1c2", school_year=demo.school_year, weekday=Weekday.SATURDAY
    )
    assert summary["preferences"] == {
        "courses": {
            "fm1c2": {
                "question": "day",
                "weekday": Weekday.SATURDAY,
                "slot": saturday.pk,
                "label": "Samedi 11h30–12h30",
            }
        },
        "ensemble": "chorale",
        "formula": "cursus-musique",
    }
    assert summary["preferences_display"] == [
        {"label": "FM1C2 : jour de cours souhaité", "value": "Samedi 11h30–12h30"},
        {
            "label": "Pratique collective obligatoire : votre préférence",
            "value": "Chorale Domin'ut — Samedi 9h30–10h30",
        },
    ]
    details = summary["details"]
    assert [r["name"] for r in details["responsibles"]] == ["Claire Martin", "Julien Martin"]
    assert details["school_level_display"]
    assert summary["payment"]["iban"] == "FR76 **** **** **** **** ***0 189"
    assert summary["payment"]["wants_qf_tariff"] is True
    assert summary["authorisations"] == {"image_rights": True, "outing_authorisation": False}
    assert summary["comments"] == "Merci !"
    total = summary_total(summary)
    assert isinstance(total, Decimal) and total > 0
    assert "_estimate" in summary and "_estimate" not in public_summary(summary)


def test_a_declined_reenrolment_reads_only_the_choice(demo):
    lucas = student_named("Lucas")
    # The other steps' stale answers (a family that changed its mind) are ignored.
    answers = {
        "choix": {"decision": "decline", "decline_reason": "Déménagement"},
        "cours": {"comments": "ignored"},
    }
    facts = SummaryFacts(lucas, demo)
    summary = build_summary(answers, student=lucas, campaign=demo, facts=facts)
    # Neither the responsibles nor step 6's questions were looked up.
    assert not {"responsibles", "questions", "course_fields"} & set(vars(facts))
    assert summary["decision"] == "decline"
    assert summary["decline_reason"] == "Déménagement"
    assert summary["preferences_display"] == []
    assert summary["preferences"] == {"formula": "theatre"}
    assert "estimate" not in summary and summary_total(summary) is None


def test_a_discovery_pupil_ticking_administrative_moves_to_the_music_curriculum(demo):
    emma = student_named("Emma")
    answers = {
        "choix": {"decision": "reenrol"},
        "reglement": {"payment_mode": PaymentMode.ONCE},
        "cours": {
            "administrative": True,
            "instrument": "violon",
            "day_fm1c1": "wednesday",
            "day_decouverte": "",
        },
    }
    summary = build_summary(answers, student=emma, campaign=demo)
    assert summary["preferences"]["formula"] == "cursus-musique"
    assert summary["preferences"]["courses"]["fm1c1"]["weekday"] == Weekday.WEDNESDAY
    assert summary["preferences"]["instrument"] == "violon"
    displayed = {item["label"]: item["value"] for item in summary["preferences_display"]}
    assert "Violon" in displayed.values()
    assert "" in displayed.values()  # the ticked box shows its label only


def test_the_wizard_shows_what_the_function_computes(demo, client, login):
    login("martin-claire")
    lea = student_named("Léa")
    driver = WizardDriver(client, lea)
    driver.complete(courses={"day_fm1c2": "saturday", "ensemble": "chorale"}, validate=False)
    response = client.get(step_url(lea, "recapitulatif"))
    shown = response.context["summary"]

    answers = {
        "choix": {"decision": "reenrol", "decline_reason": ""},
        "coordonnees": response.context["view"].get_cleaned_data_for_step("coordonnees"),
        "reglement": response.context["view"].get_cleaned_data_for_step("reglement"),
        "autorisations": {"image_rights": True, "outing_authorisation": False},
        "cours": {"day_fm1c2": "saturday", "ensemble": "chorale", "comments": ""},
    }
    direct = build_summary(answers, student=lea, campaign=demo)
    assert public_summary(direct) == public_summary(shown)
    assert response.context["form"].initial["shown_total"] == summary_total(direct)
