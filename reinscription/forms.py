"""The wizard's seven forms, in the guide's order.

Each form only validates what the family typed: ``clean()`` has no side
effects (``done()`` revalidates every step). Choices and labels follow the
guide's words; the payment text is shown by the template.
"""

from django import forms
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.models import SchoolLevel, french_mobile_validator
from billing.forms import BICField, IBANField
from billing.models import PaymentMode

from .rules import Question

YES_NO = [("yes", _("Yes")), ("no", _("No"))]


def yes_no_field(label, help_text=""):
    """An explicit yes/no, nothing pre-ticked."""
    return forms.TypedChoiceField(
        label=label,
        help_text=help_text,
        choices=YES_NO,
        widget=forms.RadioSelect,
        coerce=lambda value: value == "yes",
        empty_value=None,
    )


class ChoiceForm(forms.Form):
    """Step 1: "je souhaite réinscrire …" or "je ne souhaite pas réinscrire …"."""

    decision = forms.ChoiceField(label=_("Your choice"), widget=forms.RadioSelect)
    decline_reason = forms.CharField(
        label=_("Reason (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        name = student.first_name
        self.fields["decision"].choices = [
            ("reenrol", pgettext_lazy("guide", "I wish to re-enrol %(name)s") % {"name": name}),
            (
                "decline",
                pgettext_lazy("guide", "I do not wish to re-enrol %(name)s") % {"name": name},
            ),
        ]


class DetailsForm(forms.Form):
    """Step 2: the responsibles and the student, prefilled and editable."""

    address = forms.CharField(label=_("Address"), max_length=255)
    postal_code = forms.RegexField(
        label=_("Postal code"),
        regex=r"^\d{5}$",
        max_length=5,
        error_messages={"invalid": _("Enter a 5-digit postal code.")},
    )
    city = forms.CharField(label=_("Town"), max_length=100)
    school_level = forms.ChoiceField(
        label=_("School level"), choices=[("", "—")] + list(SchoolLevel.choices)
    )
    school_name = forms.CharField(label=_("School establishment"), max_length=150, required=False)
    emergency_contact_name = forms.CharField(
        label=_("Person to contact in an emergency"), max_length=150
    )
    emergency_contact_phone = forms.CharField(
        label=_("Emergency phone"), max_length=20, validators=[french_mobile_validator]
    )
    emergency_contact_relation = forms.CharField(
        label=_("Relation to the student"), max_length=50, required=False
    )

    def __init__(self, *args, responsibles, student, **kwargs):
        super().__init__(*args, **kwargs)
        self.responsible_fields = []
        for responsible in responsibles:
            prefix = f"responsible_{responsible.pk}_"
            who = responsible.get_full_name() or responsible.username
            self.fields[prefix + "email"] = forms.EmailField(
                label=_("Email of %(name)s") % {"name": who}, max_length=254
            )
            self.fields[prefix + "mobile"] = forms.CharField(
                label=_("Mobile of %(name)s") % {"name": who},
                max_length=20,
                validators=[french_mobile_validator],
            )
            self.responsible_fields.append((who, [self[prefix + "email"], self[prefix + "mobile"]]))
        if student.is_adult_learner:
            self.fields["school_level"].initial = SchoolLevel.ADULTE
        self.student_fields = [
            self[name]
            for name in [
                "school_level",
                "school_name",
                "emergency_contact_name",
                "emergency_contact_phone",
                "emergency_contact_relation",
            ]
        ]
        self.family_fields = [self["address"], self["postal_code"], self["city"]]


class PaymentForm(forms.Form):
    """Step 3: the "mode de règlement souhaité"."""

    payment_mode = forms.ChoiceField(
        label=pgettext_lazy("guide", "Desired payment mode"),
        choices=PaymentMode.choices,
        widget=forms.RadioSelect,
    )
    bank_changed = yes_no_field(
        _("Has your bank changed since September 2024?"),
        _("If so, the signed SEPA mandate and a RIB are requested at the Documents step."),
    )
    iban = IBANField(label=_("IBAN"), required=False)
    bic = BICField(label=_("BIC"), required=False)
    account_holder = forms.CharField(label=_("Account holder"), max_length=140, required=False)
    wants_qf_tariff = forms.BooleanField(
        label=_("I am a resident of Limonest and provide my 2025 quotient familial (CAF)"),
        required=False,
    )
    pass_culture_number = forms.CharField(
        label=_("Pass'Culture de Limonest number (optional)"), max_length=30, required=False
    )

    def __init__(self, *args, is_resident, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["bank_changed"].required = False
        if not is_resident:
            del self.fields["wants_qf_tariff"]

    def clean(self):
        data = super().clean()
        if data.get("payment_mode") == PaymentMode.MONTHLY:
            if data.get("bank_changed") is None:
                self.add_error("bank_changed", _("Tell us whether your bank has changed."))
            elif data.get("bank_changed"):
                for name in ("iban", "bic", "account_holder"):
                    if not data.get(name):
                        self.add_error(name, _("Required for a new direct debit."))
        else:
            data["bank_changed"] = None
            data["iban"] = data["bic"] = data["account_holder"] = ""
        return data


class AuthorisationsForm(forms.Form):
    """Step 4: "droit à l'image" and "autorisation de sortie", explicit, nothing pre-ticked."""

    image_rights = yes_no_field(
        pgettext_lazy("guide", "Image rights"),
        _(
            "The conservatoire may publish photos or videos of the student taken during its "
            "activities (website, municipal bulletin)."
        ),
    )
    outing_authorisation = yes_no_field(
        pgettext_lazy("guide", "Outing authorisation"),
        _("The student may leave the conservatoire alone at the end of the lessons."),
    )

    def __init__(self, *args, student, **kwargs):
        super().__init__(*args, **kwargs)
        if student.is_adult_learner:
            del self.fields["outing_authorisation"]


class DocumentsForm(forms.Form):
    """Step 5: the documents are uploaded through the table on the page (now or later)."""


DAY_CHOICES = {
    Question.DISCOVERY_DAY: [("monday", _("Monday")), ("wednesday", _("Wednesday"))],
    Question.AWAKENING_DAY: [("wednesday", _("Wednesday")), ("saturday", _("Saturday"))],
    Question.FM_DAY: [("wednesday", _("Wednesday")), ("saturday", _("Saturday"))],
}


class CoursesForm(forms.Form):
    """Step 6: the course questions that apply to this student, and free text."""

    comments = forms.CharField(
        label=_("Complementary information"),
        help_text=_(
            "Any change to come or particular request about the music, dance or theatre lessons."
        ),
        required=False,
        max_length=3000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def __init__(self, *args, questions, instruments, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        fields = {}
        if Question.ADMINISTRATIVE in questions:
            fields["administrative"] = forms.BooleanField(
                label=pgettext_lazy("guide", "Administrative re-enrolment"),
                help_text=_(
                    "For pupils who did the Découverte instrumentale in 2024-2025: "
                    "the conservatoire will contact you to confirm."
                ),
                required=False,
            )
            fields["instrument"] = forms.ChoiceField(
                label=_("Instrument chosen by the pupil"),
                choices=[("", "—")] + instruments,
                required=False,
            )
            fields["fm1c1_day"] = forms.ChoiceField(
                label=_("Day for FM1C1 and the chorale Domin'ut"),
                choices=[("wednesday", _("Wednesday")), ("saturday", _("Saturday"))],
                widget=forms.RadioSelect,
                required=False,
            )
        if Question.DISCOVERY_DAY in questions:
            fields["discovery_day"] = forms.ChoiceField(
                label=_("Découverte instrumentale: preferred day"),
                choices=DAY_CHOICES[Question.DISCOVERY_DAY],
                widget=forms.RadioSelect,
                required=False,
            )
        if Question.AWAKENING_DAY in questions:
            fields["awakening_day"] = forms.ChoiceField(
                label=_("Éveil artistique: preferred day"),
                choices=DAY_CHOICES[Question.AWAKENING_DAY],
                widget=forms.RadioSelect,
            )
        if Question.FM_DAY in questions:
            fields["fm_day"] = forms.ChoiceField(
                label=_("Formation musicale: preferred day"),
                choices=DAY_CHOICES[Question.FM_DAY],
                widget=forms.RadioSelect,
            )
        if Question.FM1C4_TIME in questions:
            fields["fm1c4_time"] = forms.ChoiceField(
                label=_("FM1C4: preferred time"),
                choices=[
                    ("10h30", _("10:30 to 11:30, for those who sing in the chorale at 9:30")),
                    (
                        "9h30",
                        _(
                            "9:30 to 10:30, for those who play in the orchestra on "
                            "Wednesday afternoon"
                        ),
                    ),
                ],
                widget=forms.RadioSelect,
            )
        if Question.ENSEMBLE in questions:
            fields["ensemble"] = forms.ChoiceField(
                label=_("Compulsory collective practice: your preference"),
                choices=[("orchestre", _("Orchestra")), ("chorale", _("Chorale Domin'ut"))],
                widget=forms.RadioSelect,
            )
        # Questions first, free text last, as on the guide's page.
        comments = self.fields.pop("comments")
        self.fields.update(fields)
        self.fields["comments"] = comments

    def clean(self):
        data = super().clean()
        if Question.ADMINISTRATIVE in self.questions:
            if data.get("administrative"):
                if not data.get("instrument"):
                    self.add_error("instrument", _("Say which instrument the pupil chose."))
                if not data.get("fm1c1_day"):
                    self.add_error("fm1c1_day", _("Choose a day for FM1C1."))
            elif not data.get("discovery_day"):
                self.add_error(
                    "discovery_day",
                    _("Choose a day, or tick “Réinscription administrative”."),
                )
        return data


class RecapForm(forms.Form):
    """Step 7: acceptance of the internal rules; the total shown, to compare at validation."""

    accept_rules = forms.BooleanField(
        label=_("I have read and accept the internal rules"),
        error_messages={"required": _("You must accept the internal rules to validate.")},
    )
    shown_total = forms.DecimalField(
        required=False, max_digits=9, decimal_places=2, widget=forms.HiddenInput
    )
