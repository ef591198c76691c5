"""Re-enrolments as the wizard writes them, through ``submission.submit_reenrolment``."""

from __future__ import annotations

from accounts.models import Student, User
from billing.models import PaymentMode
from reinscription import services, submission
from reinscription.labels import preference_items
from reinscription.models import Campaign, Course, Reenrolment
from reinscription.wizard.courses_form import course_preferences
from reinscription.wizard.summary import SummaryFacts


def chosen(student: Student, campaign: Campaign | None = None, **fields) -> dict:
    """Step 6's answer as the wizard stores it, from the form's fields
    (``chosen(lea, day_fm1c2="saturday", ensemble="orchestre")``)."""
    facts = SummaryFacts(student, campaign or Campaign.objects.get())
    return course_preferences(fields, facts.questions)


def submit(
    student: Student,
    campaign: Campaign | None = None,
    *,
    user: User | None = None,
    decision: str = "reenrol",
    payment_mode: str = PaymentMode.ONCE,
    preferences: dict | None = None,
    comments: str = "",
    image_rights: bool = True,
    outing_authorisation: bool | None = False,
) -> Reenrolment:
    """Validate ``student``'s re-enrolment as a responsible would at the wizard's last step."""
    campaign = campaign or Campaign.objects.get()
    family = student.family
    user = user or family.responsibles.order_by("pk").first()
    enrolment = services.current_enrolment(student, campaign)
    formula = enrolment.formula.code if enrolment and enrolment.formula else None
    reenrol = decision == "reenrol"
    names = dict(Course.objects.values_list("code", "name"))
    preferences = dict(preferences or {})
    if formula:
        preferences.setdefault("formula", formula)
    details = {
        "address": family.address,
        "postal_code": family.postal_code,
        "city": family.city,
        "school_level": student.school_level,
        "school_name": student.school_name or "École des Sources",
        "emergency_contact_name": "Mamie Martin",
        "emergency_contact_phone": "06 11 22 33 44",
        "emergency_contact_relation": "grand-mère",
    }
    responsibles = list(family.responsibles.order_by("pk"))
    for responsible in responsibles:
        details[f"responsible_{responsible.pk}_email"] = responsible.email
        details[f"responsible_{responsible.pk}_mobile"] = (
            f"{responsible.mobile}" or "06 12 34 56 78"
        )
    answers = {
        "choix": {"decision": decision, "decline_reason": "" if reenrol else "Déménagement"},
        "coordonnees": details,
        "reglement": {"payment_mode": payment_mode, "bank_changed": False},
        "autorisations": {
            "image_rights": image_rights,
            "outing_authorisation": outing_authorisation,
        },
        "cours": {**{k: v for k, v in preferences.items() if k != "formula"}, "comments": comments},
    }
    summary = {
        "student": student.full_name,
        "family": family.name,
        "decision": decision,
        "decline_reason": answers["choix"]["decline_reason"],
        "preferences": preferences,
        "preferences_display": [
            {"label": label, "value": value}
            for label, value in preference_items(preferences, names)
        ]
        if reenrol
        else [],
    }
    if reenrol:
        result = services.estimate(
            family,
            campaign,
            student=student,
            reenrol=True,
            formula_code=formula,
            payment_mode=payment_mode,
            wants_qf_tariff=False,
            pass_culture=False,
        )
        summary.update(
            {
                "details": {
                    **{k: v for k, v in details.items() if not k.startswith("responsible_")},
                    "responsibles": [
                        {
                            "name": r.get_full_name() or r.username,
                            "email": r.email,
                            "mobile": str(r.mobile),
                        }
                        for r in responsibles
                    ],
                },
                "payment": {
                    "mode": payment_mode,
                    "bank_changed": False,
                    "iban": "",
                    "pass_culture_number": "",
                    "wants_qf_tariff": False,
                },
                "authorisations": answers["autorisations"],
                "comments": comments,
                "estimate": submission.estimate_data(result),
            }
        )
    existing = Reenrolment.objects.filter(student=student, campaign=campaign).first()
    result = submission.submit_reenrolment(
        student=student,
        campaign=campaign,
        user=user,
        answers=answers,
        base_version=existing.version if existing else 0,
        summary=summary,
    )
    assert result.reenrolment is not None and not result.conflict, result
    return result.reenrolment
