"""What the portal calls things: statuses, the step 6 answers, course and formula names.

Shared by the family side (the recap PDF) and the back office (dashboard, admin,
exports), so it lives on the family side: ``reinscription.backoffice`` imports
it, never the other way round.

Course preferences are stored by code (``{"instrument": "piano", "formula":
"cursus-musique"}``); :func:`code_names`, :func:`course_name` and
:func:`formula_name` are the one place that turns those codes into names.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from billing.models import Formula

from .models import Course
from .rules import DisplayStatus

STATUS_LABELS = {
    DisplayStatus.TODO: _("to do"),
    DisplayStatus.IN_PROGRESS: _("in progress"),
    DisplayStatus.REENROLLED: _("re-enrolled"),
    DisplayStatus.DECLINED: _("not re-enrolled"),
    DisplayStatus.VALIDATED: _("validated by the conservatoire"),
}

# The step 6 answers stored in Reenrolment.preferences: key -> (label, {value: label}).
DAYS = {
    "monday": _("Monday"),
    "wednesday": _("Wednesday"),
    "saturday": _("Saturday"),
}
PREFERENCES: dict[str, tuple] = {
    "fm_day": (_("Formation musicale: preferred day"), DAYS),
    "fm1c1_day": (_("Day for FM1C1 and the chorale Domin'ut"), DAYS),
    "awakening_day": (_("Éveil artistique: preferred day"), DAYS),
    "discovery_day": (_("Découverte instrumentale: preferred day"), DAYS),
    "fm1c4_time": (
        _("FM1C4: preferred time"),
        {"9h30": _("9:30 to 10:30"), "10h30": _("10:30 to 11:30")},
    ),
    "ensemble": (
        _("Compulsory collective practice"),
        {"orchestre": _("Orchestra"), "chorale": _("Chorale Domin'ut")},
    ),
    "administrative": (
        pgettext_lazy("guide", "Administrative re-enrolment"),
        {True: _("yes"), "True": _("yes")},
    ),
    "instrument": (_("Instrument chosen by the pupil"), {}),
    "formula": (_("Formula"), {}),
}


def preference_label(key: str) -> str:
    return str(PREFERENCES[key][0]) if key in PREFERENCES else key


def preference_value_label(key: str, value, names: Mapping[str, str] | None = None) -> str:
    """The French label of a stored answer (course and formula codes through ``names``)."""
    choices = PREFERENCES.get(key, (None, {}))[1]
    if value in choices:
        return str(choices[value])
    if names and value in names:
        return names[value]
    return str(value)


# --- Course and formula names ------------------------------------------------------------------


def course_names() -> dict[str, str]:
    """The name of every course, by code (1 query)."""
    return dict(Course.objects.values_list("code", "name"))


def code_names() -> dict[str, str]:
    """The name of every course and formula, by code (2 queries).

    A formula wins over a course of the same code (``eveil`` is both).
    """
    names = course_names()
    names.update(Formula.objects.values_list("code", "name"))
    return names


def formula_name(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A formula's name: "" without a code, the code itself when no formula has it.

    ``names`` (from :func:`code_names`) saves the query when naming many.
    """
    if not code:
        return ""
    if names is None:
        names = dict(Formula.objects.filter(code=code).values_list("code", "name"))
    return names.get(code, code)


def course_name(code: str | None, names: Mapping[str, str] | None = None) -> str:
    """A course's name: "" without a code, the code itself when no course has it.

    ``names`` (from :func:`course_names` or :func:`code_names`) saves the query.
    """
    if not code:
        return ""
    if names is None:
        names = dict(Course.objects.filter(code=code).values_list("code", "name"))
    return names.get(code, code)
