"""The wizard's seven forms, in the guide's order.

Each form only validates what the family typed: ``clean()`` has no side
effects (``done()`` revalidates every step). Choices and labels follow the
guide's words; the payment text is shown by the template. Step 6's form, built
from the catalogue's questions, is in :mod:`.wizard.courses_form`.
"""

import datetime

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy

from accounts.forms import FrenchPhoneField
from accounts.models import SchoolLevel, french_mobile_validator, french_phone_validator
from billing.forms import AccountHolderField, BICField, IBANField, bic_for_iban
from billing.models import PaymentMode
from conservatoire.models import Identity, SchoolYear
from documents.forms import DocumentFilesForm

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


KEEP_STORED, KEEP_TYPED = "stored", "typed"


class DetailsForm(forms.Form):
    """Step 2: the responsibles and the student, prefilled and editable.

    ``conflicts`` (field name → ``{"stored": …, "typed": …}``) are the fields the
    family changed while someone else changed them too: each gets a required
    ``keep_<name>`` choice, shown just after it, between the value saved since and
    the family's entry (the value in the field). Choosing the saved value makes it
    the field's cleaned value.
    """

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
    emergency_contact_phone = FrenchPhoneField(
        label=_("Emergency phone"), max_length=20, validators=[french_phone_validator]
    )
    emergency_contact_relation = forms.CharField(
        label=_("Relation to the student"), max_length=50, required=False
    )

    def __init__(self, *args, responsibles, student, conflicts=None, **kwargs):
        super().__init__(*args, **kwargs)
        responsible_names = []
        for responsible in responsibles:
            prefix = f"responsible_{responsible.pk}_"
            who = responsible.get_full_name() or responsible.username
            self.fields[prefix + "email"] = forms.EmailField(
                label=_("Email of %(name)s") % {"name": who}, max_length=254
            )
            self.fields[prefix + "mobile"] = FrenchPhoneField(
                label=_("Mobile of %(name)s") % {"name": who},
                max_length=20,
                validators=[french_mobile_validator],
            )
            responsible_names.append((who, [prefix + "email", prefix + "mobile"]))
        if student.is_adult_learner:
            self.fields["school_level"].initial = SchoolLevel.ADULTE
        self.conflicts = {
            name: conflict for name, conflict in (conflicts or {}).items() if name in self.fields
        }
        for name, conflict in self.conflicts.items():
            self.fields[keep_field(name)] = forms.ChoiceField(
                label=_("%(field)s: changed elsewhere since you began. Which value should be kept?")
                % {"field": self.fields[name].label},
                choices=[
                    (KEEP_STORED, _("Value saved since: %(value)s") % _shown(conflict["stored"])),
                    (KEEP_TYPED, _("Your entry: %(value)s") % _shown(conflict["typed"])),
                ],
                widget=forms.RadioSelect,
                error_messages={"required": _("Choose the value to keep.")},
            )
        self.responsible_fields = [(who, self._bound(names)) for who, names in responsible_names]
        self.student_fields = self._bound(
            [
                "school_level",
                "school_name",
                "emergency_contact_name",
                "emergency_contact_phone",
                "emergency_contact_relation",
            ]
        )
        self.family_fields = self._bound(["address", "postal_code", "city"])
        add_autofill(self)

    def _bound(self, names):
        """The bound fields, each followed by its choice when it is in conflict."""
        fields = []
        for name in names:
            fields.append(self[name])
            if name in self.conflicts:
                fields.append(self[keep_field(name)])
        return fields

    def clean(self):
        data = super().clean()
        for name, conflict in self.conflicts.items():
            if data.get(keep_field(name)) != KEEP_STORED:
                continue
            try:
                data[name] = self.fields[name].clean(conflict["stored"])
            except forms.ValidationError as error:
                self.add_error(keep_field(name), error)
            else:
                self._errors.pop(name, None)  # the entry is set aside: its errors too
        return data


def keep_field(name: str) -> str:
    """The name of the choice between the saved value and the entry of field ``name``."""
    return f"keep_{name}"


def _shown(value: str) -> dict:
    return {"value": value or _("(empty)")}


class PaymentForm(forms.Form):
    """Step 3: the "mode de règlement souhaité".

    The SEPA fields (bank changed, IBAN, BIC, holder) only count for the direct
    debit: for a single payment they are ignored, whatever was typed (the page
    hides them with a script; without it they show). The IBAN and the holder are
    asked only when the bank changed; the BIC is found from the IBAN and asked only
    when it cannot be (``ask_bic``). Each field gets one error at most. The
    sentences hold the school year's values (``school_year``: the campaign's) and
    the conservatoire's commune (``commune``); nothing is ticked in advance.
    """

    SEPA_FIELDS = ("bank_changed", "iban", "bic", "account_holder")
    NEW_BANK_FIELDS = ("iban", "bic", "account_holder")

    payment_mode = forms.ChoiceField(
        label=pgettext_lazy("guide", "Desired payment mode"),
        choices=PaymentMode.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a payment mode.")},
    )
    bank_changed = yes_no_field(
        _("Has your bank changed?"),
        _("If so, the signed SEPA mandate and a RIB are requested at the Documents step."),
    )
    iban = IBANField(label=_("IBAN"))
    bic = BICField(
        label=_("BIC"),
        required=False,
        help_text=_("We could not find it from the IBAN: it is written on your RIB."),
    )
    account_holder = AccountHolderField(label=_("Account holder"))
    wants_qf_tariff = forms.BooleanField(label=_("I provide my quotient familial"), required=False)
    pass_culture_number = forms.CharField(
        label=_("Pass'Culture number (optional)"), max_length=30, required=False
    )

    def __init__(self, *args, is_resident, school_year=None, commune=None, **kwargs):
        super().__init__(*args, **kwargs)
        year = school_year or default_school_year()
        commune = commune if commune is not None else Identity.current().commune
        fields = self.fields
        fields["payment_mode"].choices = [
            (PaymentMode.ONCE, pgettext("guide", "Payment in one instalment")),
            (
                PaymentMode.MONTHLY,
                pgettext("guide", "Automatic direct debit in %(number)s instalments")
                % {"number": year.instalments},
            ),
        ]
        fields["bank_changed"].label = _("Has your bank changed since %(month)s?") % {
            "month": date_format(year.bank_change_since, "F Y")
        }
        fields["bank_changed"].error_messages["required"] = _(
            "Tell us whether your bank has changed."
        )
        for name in ("iban", "account_holder"):
            fields[name].error_messages["required"] = _("Required for a new direct debit.")
        fields["wants_qf_tariff"].label = _(
            "I live in %(commune)s and provide my %(year)s quotient familial (CAF certificate)"
        ) % {"commune": commune, "year": year.qf_year}
        fields["pass_culture_number"].label = _("Pass'Culture de %(commune)s number (optional)") % {
            "commune": commune
        }
        if not is_resident:
            del fields["wants_qf_tariff"]
        if self.is_bound:
            self.ignore_what_does_not_apply()
        self.ask_bic = bool(self.is_bound and self.data.get(self.add_prefix("bic")))

    def raw(self, name: str) -> str:
        return self.data.get(self.add_prefix(name)) or ""

    @property
    def direct_debit(self) -> bool:
        return self.is_bound and self.raw("payment_mode") == PaymentMode.MONTHLY

    def ignore_what_does_not_apply(self) -> None:
        """Drop the SEPA fields of a single payment, and the new bank's of an unchanged
        bank, before validation: what they hold is neither checked nor kept."""
        ignored = ()
        if not self.direct_debit:
            ignored = self.SEPA_FIELDS
        elif self.raw("bank_changed") != "yes":
            ignored = self.NEW_BANK_FIELDS
        if not ignored:
            return
        self.data = self.data.copy()
        for name in ignored:
            self.data.pop(self.add_prefix(name), None)
            self.fields[name].required = False

    def full_clean(self):
        super().full_clean()
        # Shown again (after an error elsewhere), they are marked required where they apply.
        for name in ("bank_changed", "iban", "account_holder"):
            self.fields[name].required = True
        if self.is_bound and "bic" in self.errors:
            self.ask_bic = True
            self.fields["bic"].required = True

    def clean(self):
        data = super().clean()
        if not self.direct_debit:
            data["bank_changed"] = None
        if not data.get("bank_changed"):
            data["iban"] = data["bic"] = data["account_holder"] = ""
            return data
        if data.get("iban") and not data.get("bic"):
            data["bic"] = bic_for_iban(data["iban"])
            if not data["bic"] and "bic" not in self.errors:
                self.add_error(
                    "bic",
                    ValidationError(
                        _("We cannot find the BIC of this IBAN: enter it (it is on your RIB)."),
                        code="required",
                    ),
                )
        return data


def default_school_year() -> SchoolYear:
    """An unsaved school year beginning this September (or last), with its defaults."""
    today = timezone.localdate()
    start = today.year if today.month >= 9 else today.year - 1
    year = SchoolYear(
        label=f"{start}-{start + 1}",
        starts_on=datetime.date(start, 9, 1),
        ends_on=datetime.date(start + 1, 8, 31),
    )
    year.fill_calendar()
    return year


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


class DocumentsForm(DocumentFilesForm):
    """Step 5: the documents table, one file field per row (``rows``), in the step's form.

    « Passer à l’étape suivante » sends the files chosen: the wizard stores them at once
    through :meth:`DocumentFilesForm.save` (never in the draft) and moves on, or shows
    the step again with each refused file named by its row. Its stored data is empty.
    """


class RecapForm(forms.Form):
    """Step 7: acceptance of the internal rules; the total shown, to compare at validation.

    A family that declines (``declining``) only confirms: no rules to accept, no total.
    """

    accept_rules = forms.BooleanField(
        label=_("I have read and accept the internal rules"),
        error_messages={"required": _("You must accept the internal rules to validate.")},
    )
    shown_total = forms.DecimalField(
        required=False, max_digits=9, decimal_places=2, widget=forms.HiddenInput
    )

    def __init__(self, *args, declining=False, **kwargs):
        super().__init__(*args, **kwargs)
        if declining:
            del self.fields["accept_rules"]


# --- What the phone's keyboard and autofill know of step 2's fields -----------------------------

# By field name (the responsibles' fields end with it): the family's address, and each
# phone in its own autofill section, so that the browser never writes the family's own
# number for the other responsible or the person to contact in an emergency.
AUTOFILL = {
    "address": {"autocomplete": "address-line1"},
    "postal_code": {"autocomplete": "postal-code", "inputmode": "numeric"},
    "city": {"autocomplete": "address-level2"},
    "emergency_contact_phone": {"autocomplete": "section-emergency tel-national"},
}


def add_autofill(form: forms.Form) -> None:
    """Add ``autocomplete`` and ``inputmode`` to step 2's widgets (``type="tel"`` comes
    with :class:`accounts.forms.FrenchPhoneField`)."""
    for name, field in form.fields.items():
        attrs = AUTOFILL.get(name)
        if attrs is None and name.startswith("responsible_"):
            section = "section-" + name.rsplit("_", 1)[0].replace("_", "-")
            kind = "email" if name.endswith("_email") else "tel-national"
            attrs = {"autocomplete": f"{section} {kind}"}
        if attrs:
            field.widget.attrs.update(attrs)
