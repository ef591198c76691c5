"""Billing forms: IBAN and BIC fields (checked with schwifty), the tariff simulator,
staff forms (final amount, exports, grid import)."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

from conservatoire.models import SchoolYear

from . import rules
from .models import FamilyBilling, PaymentMode
from .templatetags.billing_tags import long_date

IBAN_MESSAGES = {
    schwifty_errors.InvalidCountryCode: _(
        "This IBAN does not start with a known country code (FR76… for a French account)."
    ),
    schwifty_errors.InvalidLength: _(
        "This IBAN does not have the right number of characters (27 for a French account)."
    ),
    schwifty_errors.InvalidChecksumDigits: _(
        "This IBAN is not valid: check every character (the control key does not match)."
    ),
    schwifty_errors.InvalidBBANChecksum: _(
        "This IBAN is not valid: check every character (the RIB key does not match)."
    ),
    schwifty_errors.InvalidStructure: _(
        "This IBAN contains characters that are not allowed for its country."
    ),
}


class IBANField(forms.CharField):
    """An IBAN of the SEPA zone, returned compact and uppercase (``FR7630006…``)."""

    default_error_messages = {
        "invalid": _(
            "This is not a valid IBAN: it starts with 2 letters and 2 digits, for example FR76…"
        ),
        "not_sepa": _("This account is outside the SEPA zone: a direct debit is not possible."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 42)  # 34 characters plus spaces
        kwargs.setdefault("label", _("IBAN"))
        kwargs.setdefault("help_text", _("As written on your RIB, for example FR76 3000 6000 …"))
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "spellcheck": "false", "inputmode": "text"})
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return rules.compact_code(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        if not re.fullmatch(r"[A-Z]{2}[0-9]{2}[A-Z0-9]+", value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        try:
            iban = IBAN(value)
        except schwifty_errors.SchwiftyException as exc:
            for error_type, message in IBAN_MESSAGES.items():
                if isinstance(exc, error_type):
                    raise ValidationError(message, code="invalid") from exc
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc
        if not iban.in_sepa_zone:
            raise ValidationError(self.error_messages["not_sepa"], code="not_sepa")


class BICField(forms.CharField):
    """A BIC (8 or 11 characters), returned uppercase without spaces."""

    default_error_messages = {
        "invalid": _("This is not a valid BIC: 8 or 11 letters and digits, for example BNPAFRPP."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 14)
        kwargs.setdefault("label", _("BIC"))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return rules.compact_code(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            BIC(value)
        except schwifty_errors.SchwiftyException as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


def check_bic_matches_iban(iban: str, bic: str) -> str | None:
    """A French message when the BIC's country differs from the IBAN's, else None."""
    if iban and bic and iban[:2] != bic[4:6]:
        return str(_("The BIC does not belong to the same country as the IBAN."))
    return None


class MandateForm(forms.Form):
    """A family's bank account for a SEPA mandate."""

    holder = forms.CharField(label=_("Account holder"), max_length=70)
    iban = IBANField()
    bic = BICField(required=False)

    def clean(self):
        cleaned = super().clean()
        message = check_bic_matches_iban(cleaned.get("iban", ""), cleaned.get("bic", ""))
        if message:
            self.add_error("bic", message)
        return cleaned


# --- The public simulator --------------------------------------------------------------------


class SimulatorForm(forms.Form):
    qf = forms.IntegerField(
        label=pgettext_lazy("guide", "Family quotient"),
        required=False,
        min_value=0,
        max_value=99999,
        help_text=_(
            "Your 2025 quotient familial (CAF). Leave empty if you will not provide it: "
            "the highest line of the grid then applies."
        ),
        error_messages={
            "invalid": _("Enter the quotient familial as a whole number, for example 850."),
            "min_value": _("The quotient familial cannot be negative."),
            "max_value": _("This quotient familial is too high."),
        },
    )
    resident = forms.BooleanField(
        label=pgettext_lazy("guide", "Resident of Limonest"), required=False
    )
    formula = forms.ChoiceField(
        label=pgettext_lazy("guide", "Formula"),
        error_messages={
            "required": _("Choose a formula."),
            "invalid_choice": _("Choose a formula."),
        },
    )
    starts_on = forms.DateField(
        label=pgettext_lazy("guide", "Start date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("Leave empty for a start in September."),
        error_messages={"invalid": _("Enter a date, for example 05/01/2026.")},
    )
    payment_mode = forms.ChoiceField(
        label=pgettext_lazy("guide", "Payment mode"),
        choices=PaymentMode.choices,
        initial=PaymentMode.ONCE,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a payment mode.")},
    )

    def __init__(self, *args, grid: rules.GridData, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.fields["formula"].choices = [("", "—")] + [
            (code, grid.formula_names[code]) for code in grid.formula_codes()
        ]

    def clean_starts_on(self):
        starts_on = self.cleaned_data.get("starts_on")
        if starts_on is None:
            return None
        first, last = self.grid.year_start, rules.last_start_date(self.grid.year_start)
        if not first <= starts_on <= last:
            raise ValidationError(
                _("The start date must be between %(first)s and %(last)s."),
                code="out_of_year",
                params={
                    "first": long_date(first),
                    "last": long_date(last),
                },
            )
        return starts_on


# --- Staff ------------------------------------------------------------------------------


class FamilyBillingAdminForm(forms.ModelForm):
    """The final amount needs a reason, which the family will read."""

    class Meta:
        model = FamilyBilling
        fields = [
            "family",
            "school_year",
            "payment_mode",
            "bank_changed",
            "pass_culture_number",
            "starts_on",
            "final_amount",
            "final_reason",
        ]

    def clean(self):
        cleaned = super().clean()
        amount = cleaned.get("final_amount")
        reason = (cleaned.get("final_reason") or "").strip()
        if amount is not None and not reason:
            self.add_error(
                "final_reason",
                _("Give the reason for the final amount: the family will read it."),
            )
        if amount is None and reason and "final_amount" in self.changed_data:
            self.add_error("final_amount", _("Enter the final amount or clear the reason."))
        return cleaned


class ExportForm(forms.Form):
    school_year = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.all(), empty_label=None
    )
    month = forms.DateField(
        label=_("Debit month"),
        required=False,
        widget=forms.DateInput(attrs={"type": "month"}, format="%Y-%m"),
        input_formats=["%Y-%m", "%Y-%m-%d", "%m/%Y"],
        help_text=_("For the debits: the month of the instalment (November to July)."),
    )
    collection_date = forms.DateField(
        label=_("Collection date"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_(
            "The date the bank debits every family of the file; empty: the 1st of the month."
        ),
    )

    def clean(self):
        cleaned = super().clean()
        month = cleaned.get("month")
        if month:
            cleaned["month"] = month.replace(day=1)
            if cleaned.get("collection_date") is None:
                cleaned["collection_date"] = cleaned["month"]
        return cleaned

    def require_month(self) -> bool:
        if not self.is_valid():
            return False
        if not self.cleaned_data.get("month"):
            self.add_error("month", _("Choose the month of the debits."))
            return False
        year = self.cleaned_data["school_year"]
        if self.cleaned_data["month"] not in rules.debit_dates(year.starts_on):
            self.add_error("month", _("Debits run from November to July of the school year."))
            return False
        return True


class GridImportForm(forms.Form):
    school_year = forms.ModelChoiceField(
        label=_("School year"), queryset=SchoolYear.objects.all(), empty_label=None
    )
    file = forms.FileField(label=_("CSV file"))

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > 1024 * 1024:
            raise ValidationError(_("The file is too large (1 MB at most)."))
        return upload
