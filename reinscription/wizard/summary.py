"""What the recap step shows: a plain function of the steps' cleaned data.

:func:`build_summary` takes the answers (step name → ``cleaned_data``) and the
student and campaign, and recomputes everything from them, never from what the
client sent. The wizard calls it with its per-request :class:`SummaryFacts`;
anyone else (a test, a script) can call it with the answers alone.
"""

from collections.abc import Mapping
from decimal import Decimal
from functools import cached_property

from accounts.models import SchoolLevel, Student
from billing.models import PaymentMode
from billing.rules.sepa import mask_iban

from .. import services, submission
from ..models import Campaign
from ..rules import CatalogueCourse, StepQuestion, course_questions, next_formula
from .courses_form import CoursesForm, course_preferences

# The steps whose answers the summary reads.
SUMMARY_STEPS = ("choix", "coordonnees", "reglement", "autorisations", "cours")


class SummaryFacts:
    """What the summary needs besides the answers, each looked up once, on first use.

    The wizard keeps one per request and builds its forms from it too.
    """

    def __init__(self, student: Student, campaign: Campaign):
        self.student = student
        self.family = student.family
        self.campaign = campaign

    @cached_property
    def responsibles(self) -> list:
        return list(self.family.responsibles.filter(is_active=True).order_by("pk"))

    @cached_property
    def enrolment(self):
        return services.current_enrolment(self.student, self.campaign)

    @cached_property
    def catalogue(self) -> dict[str, CatalogueCourse]:
        """The courses with their slots in the campaign's year (loaded once)."""
        return services.course_catalogue(self.campaign.school_year)

    @cached_property
    def questions(self) -> list[StepQuestion]:
        return course_questions(
            services.student_courses(self.student, self.enrolment), self.catalogue
        )

    @cached_property
    def course_fields(self) -> dict:
        """Step 6's fields, for their labels and choices."""
        return CoursesForm(
            questions=self.questions, previous_year=self.campaign.previous_year.label
        ).fields


def build_summary(
    answers: Mapping[str, dict | None],
    *,
    student: Student,
    campaign: Campaign,
    facts: SummaryFacts | None = None,
) -> dict:
    """Everything the recap shows, from the answers of each step (a missing step is empty).

    The keys starting with ``_`` are for the server only (``_estimate``: the
    billing estimate object), never stored in a snapshot.
    """
    facts = facts or SummaryFacts(student, campaign)
    choice = answers.get("choix") or {}
    reenrol = choice.get("decision") == "reenrol"
    if reenrol:
        details = answers.get("coordonnees") or {}
        payment = answers.get("reglement") or {}
        authorisations = answers.get("autorisations") or {}
        courses = answers.get("cours") or {}
    else:
        details, payment, authorisations, courses = {}, {}, {}, {}
    enrolment = facts.enrolment
    current_formula = enrolment.formula.code if enrolment and enrolment.formula else None
    formula = next_formula(current_formula, administrative=bool(courses.get("administrative")))
    preferences = course_preferences(courses, facts.questions) if reenrol else {}
    if formula:
        preferences["formula"] = formula
    summary = {
        "preferences_display": preferences_display(courses, facts.course_fields) if reenrol else [],
        "student": student.full_name,
        "family": facts.family.name,
        "decision": choice.get("decision"),
        "decline_reason": choice.get("decline_reason", ""),
        "preferences": preferences,
    }
    if not reenrol:
        return summary
    result = services.estimate(
        facts.family,
        campaign,
        student=student,
        reenrol=True,
        formula_code=formula,
        payment_mode=payment.get("payment_mode") or PaymentMode.ONCE,
        wants_qf_tariff=bool(payment.get("wants_qf_tariff")),
        pass_culture=bool(payment.get("pass_culture_number")),
    )
    summary.update(
        {
            "details": {
                "address": details.get("address", ""),
                "postal_code": details.get("postal_code", ""),
                "city": details.get("city", ""),
                "responsibles": [
                    {
                        "name": r.get_full_name() or r.username,
                        "email": details.get(f"responsible_{r.pk}_email", ""),
                        "mobile": details.get(f"responsible_{r.pk}_mobile", ""),
                    }
                    for r in facts.responsibles
                ],
                "school_level": details.get("school_level", ""),
                "school_level_display": str(
                    SchoolLevel(details["school_level"]).label
                    if details.get("school_level")
                    else ""
                ),
                "school_name": details.get("school_name", ""),
                "emergency_contact_name": details.get("emergency_contact_name", ""),
                "emergency_contact_phone": details.get("emergency_contact_phone", ""),
                "emergency_contact_relation": details.get("emergency_contact_relation", ""),
            },
            "payment": {
                "mode": payment.get("payment_mode", ""),
                "bank_changed": payment.get("bank_changed"),
                "iban": mask_iban(payment.get("iban") or ""),
                "pass_culture_number": payment.get("pass_culture_number", ""),
                "wants_qf_tariff": bool(payment.get("wants_qf_tariff")),
            },
            "authorisations": {
                "image_rights": authorisations.get("image_rights"),
                "outing_authorisation": authorisations.get("outing_authorisation"),
            },
            "comments": courses.get("comments", ""),
            "estimate": submission.estimate_data(result),
        }
    )
    summary["_estimate"] = result
    return summary


def preferences_display(courses: dict, fields: Mapping) -> list[dict]:
    """The step 6 answers as the family read them: question label and chosen label."""
    items = []
    for name, field in fields.items():
        value = courses.get(name)
        if name == "comments" or value in ("", None, False):
            continue
        if value is True:
            items.append({"label": str(field.label), "value": ""})
        else:
            choices = dict(getattr(field, "choices", []))
            items.append({"label": str(field.label), "value": str(choices.get(value, value))})
    return items


def summary_total(summary: dict) -> Decimal | None:
    """The estimated total of a summary (``None`` when the student is not re-enrolled)."""
    estimate = summary.get("estimate")
    return Decimal(estimate["total"]) if estimate else None


def public_summary(summary: dict) -> dict:
    """The summary without its server-only keys: what a snapshot stores."""
    return {key: value for key, value in summary.items() if not key.startswith("_")}


class CleanedSteps(Mapping):
    """The wizard's steps as ``step -> cleaned_data``, each validated only when read.

    A declined re-enrolment's summary reads only the first step: the others are
    neither built nor revalidated.
    """

    def __init__(self, wizard):
        self.wizard = wizard

    def __getitem__(self, step):
        if step not in SUMMARY_STEPS:
            raise KeyError(step)
        return self.wizard.get_cleaned_data_for_step(step)

    def __iter__(self):
        return iter(SUMMARY_STEPS)

    def __len__(self):
        return len(SUMMARY_STEPS)
