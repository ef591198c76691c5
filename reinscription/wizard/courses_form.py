"""Step 6's form: the questions of the student's courses, and how its answer is stored.

:class:`CoursesForm` builds one field per question of :func:`..rules.course_questions`;
:func:`course_preferences` turns its cleaned data into ``Reenrolment.preferences`` and
:func:`course_initial` back. What the page shows around the fields is in :mod:`.courses`.
"""

from collections.abc import Iterable, Mapping

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from ..labels import COURSES, course_question_label, option_label
from ..rules import WEEKDAYS, Option, Question, StepQuestion, When, field_name


class CoursesForm(forms.Form):
    """Step 6: the questions of the courses the student follows, and free text.

    ``questions`` come from :func:`..rules.course_questions` (the catalogue's
    configuration and slots); each makes one field named after it (``day_fm1c3``,
    ``time_fm1c4``, ``ensemble``, ``administrative``, ``instrument``), whose choices
    are the question's options. ``previous_year`` is the campaign's previous year's
    label, for the Découverte's text. :func:`course_preferences` turns the cleaned
    data into the stored answer.
    """

    comments = forms.CharField(
        label=_("Complementary information"),
        help_text=_(
            "Any change to come or particular request about the music, dance or theatre lessons."
        ),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, questions, previous_year="", **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = {question.field: question for question in questions}
        fields = {
            name: _course_field(question, previous_year)
            for name, question in self.questions.items()
        }
        # Questions first, free text last, as on the guide's page.
        comments = self.fields.pop("comments")
        self.fields.update(fields)
        self.fields["comments"] = comments

    def clean(self):
        data = super().clean()
        ticked = bool(data.get("administrative"))
        for name, question in self.questions.items():
            if question.when == When.ALWAYS:
                continue
            if ticked != (question.when == When.IF_ADMINISTRATIVE):
                data[name] = ""  # the branch the family did not take
                self._errors.pop(name, None)
            elif not data.get(name) and name not in self._errors:
                self.add_error(name, _missing(question))
        return data


def _course_field(question: StepQuestion, previous_year: str) -> forms.Field:
    if question.kind == Question.ADMINISTRATIVE:
        return forms.BooleanField(
            label=pgettext_lazy("guide", "Administrative re-enrolment"),
            help_text=_(
                "For pupils who did the %(course)s in %(year)s: the conservatoire will "
                "contact you to confirm."
            )
            % {"course": question.course.name, "year": previous_year},
            required=False,
        )
    choices = [(option.value, option_label(option)) for option in question.options]
    if question.kind == Question.INSTRUMENT:
        return forms.ChoiceField(
            label=_("Instrument chosen by the pupil"),
            choices=[("", "—")] + choices,
            required=False,
        )
    if question.kind == Question.ENSEMBLE:
        label = _("Compulsory collective practice: your preference")
    else:
        label = course_question_label(question.kind, question.course.name)
    help_text = {
        When.IF_ADMINISTRATIVE: _("With the administrative re-enrolment."),
        When.UNLESS_ADMINISTRATIVE: _("Without the administrative re-enrolment."),
    }.get(question.when, "")
    return forms.ChoiceField(
        label=label,
        help_text=help_text,
        choices=choices,
        widget=forms.RadioSelect,
        required=question.when == When.ALWAYS,
    )


def _missing(question: StepQuestion) -> str:
    if question.kind == Question.INSTRUMENT:
        return _("Say which instrument the pupil chose.")
    if question.when == When.IF_ADMINISTRATIVE:
        return _("Choose a day for %(course)s.") % {"course": question.course.name}
    return _("Choose a day, or tick “Réinscription administrative”.")


def course_preferences(cleaned: Mapping, questions: Iterable[StepQuestion]) -> dict:
    """Step 6's cleaned data as stored in ``Reenrolment.preferences`` (see
    :mod:`..labels`): the days and times under ``courses`` by course code, each with
    its weekday, its slot (when one) and its label; the other answers by their field."""
    answers, others = {}, {}
    for question in questions:
        value = cleaned.get(question.field)
        if value in ("", None, False):
            continue
        if question.kind in (Question.DAY, Question.TIME):
            option = next((o for o in question.options if o.value == value), None)
            if option is not None:
                answers[question.course.code] = course_answer(question, option)
        elif question.kind == Question.ADMINISTRATIVE:
            others["administrative"] = True
        else:
            others[question.field] = value  # a course code: the ensemble, the instrument
    return {COURSES: answers, **others} if answers else others


def course_answer(question: StepQuestion, option: Option) -> dict:
    """One day or time answer as stored: ``{"question", "weekday", "slot", "label"}``."""
    return {
        "question": str(question.kind),
        "weekday": option.weekday,
        "slot": option.slot_id,
        "label": option_label(option),
    }


def course_initial(preferences: Mapping) -> dict:
    """Step 6's initial data from a stored answer (the inverse of :func:`course_preferences`)."""
    initial = {
        key: preferences[key]
        for key in ("ensemble", "administrative", "instrument")
        if key in preferences
    }
    for code, answer in (preferences.get(COURSES) or {}).items():
        kind = answer.get("question")
        if kind == Question.DAY and answer.get("weekday") is not None:
            initial[field_name(Question.DAY, code)] = WEEKDAYS[answer["weekday"]]
        elif kind == Question.TIME and answer.get("slot") is not None:
            initial[field_name(Question.TIME, code)] = str(answer["slot"])
    return initial
