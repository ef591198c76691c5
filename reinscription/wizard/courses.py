"""What step 6 shows around its fields: the student's courses and formula, in words.

The fields themselves come from the catalogue (:func:`..rules.course_questions`,
built into :class:`.courses_form.CoursesForm`); this gives the page the courses followed
this year and the formula next year by name, and the texts of the guide that go
with the questions asked.
"""

from django.utils.text import get_text_list
from django.utils.translation import gettext as _

from ..labels import enrolment_course_names, formula_name
from ..rules import Question, next_formula
from .summary import SummaryFacts


def courses_context(facts: SummaryFacts) -> dict:
    """Plain values for ``steps/cours.html``, from the request's facts (no catalogue query
    beyond the one the form already made; one formula name for a Découverte pupil)."""
    enrolment = facts.enrolment
    formula = enrolment.formula if enrolment else None
    kinds = {question.kind: question for question in facts.questions}
    administrative = kinds.get(Question.ADMINISTRATIVE)
    context = {
        "current_courses": enrolment_course_names(enrolment),
        "next_formula": formula.name if formula else "",
        "asks_day": Question.DAY in kinds,
        "asks_time": Question.TIME in kinds,
        "administrative": None,
        "ensembles": "",
    }
    if administrative is not None:
        following = facts.catalogue.get(administrative.course.next_course)
        moved_to = next_formula(formula.code if formula else None, administrative=True)
        context["administrative"] = {
            "course": administrative.course.name,
            "next_course": following.name if following else "",
            "formula": formula_name(moved_to) if formula and moved_to != formula.code else "",
        }
    if Question.ENSEMBLE in kinds:
        names = [option.course.name for option in kinds[Question.ENSEMBLE].options]
        context["ensembles"] = get_text_list(names, _("and"))
    return context
