"""Billing forms of the family side: IBAN and BIC fields (checked with schwifty, used by
the wizard) and the tariff simulator. The staff forms are in :mod:`billing.backoffice.forms`."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext, pgettext_lazy
from schwifty import BIC, IBAN
from schwifty import exceptions as schwifty_errors

from .models import PaymentMode
from .rules.brackets import GridData
from .rules.schedule import last_start_date
from .rules.sepa import HOLDER_MAX_LENGTH, clean_holder, compact_code
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


def bic_for_iban(iban: str) -> str:
    """The BIC of a (valid) IBAN's bank, from schwifty's bank registry; empty when the
    registry does not know the bank."""
    try:
        bic = IBAN(iban).bic
    except schwifty_errors.SchwiftyException:
        return ""
    return str(bic) if bic else ""


class IBANField(forms.CharField):
    """An IBAN of the SEPA zone, returned compact and uppercase (``FR7630006…``).

    Typed on a phone: no autocorrection, capitals, the whole width of the screen."""

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
        attrs.update(
            {
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
                "size": "34",
                "class": "iban-input",
            }
        )
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return compact_code(value) if value else value

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

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.update({"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
        return attrs

    def to_python(self, value):
        value = super().to_python(value)
        return compact_code(value) if value else value

    def validate(self, value):
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            BIC(value)
        except schwifty_errors.SchwiftyException as exc:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from exc


class AccountHolderField(forms.CharField):
    """The account holder's name, at most 70 characters (the SEPA limit for the debtor's
    name), spaces tidied as :func:`billing.services.record_mandate` stores it."""

    default_error_messages = {
        "max_length": _(
            "The account holder's name can have at most %(limit_value)d characters "
            "(the limit of SEPA direct debits; it has %(show_value)d): abbreviate a first "
            "name if needed."
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", HOLDER_MAX_LENGTH)
        kwargs.setdefault("label", _("Account holder"))
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        return clean_holder(value) if value else value


# --- The public simulator --------------------------------------------------------------------


class SimulatorForm(forms.Form):
    qf = forms.IntegerField(
        label=pgettext_lazy("guide", "Family quotient"),
        required=False,
        min_value=0,
        max_value=99999,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),  # digits keypad on phones
        help_text=_(
            "Your quotient familial (CAF). Leave empty if you will not provide it: "
            "the highest line of the grid then applies."
        ),
        error_messages={
            "invalid": _("Enter the quotient familial as a whole number, for example 850."),
            "min_value": _("The quotient familial cannot be negative."),
            "max_value": _("This quotient familial is too high."),
        },
    )
    resident = forms.BooleanField(label=pgettext_lazy("guide", "Resident"), required=False)
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

    def __init__(self, *args, grid: GridData, qf_year: int | None = None, commune="", **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid
        self.fields["payment_mode"].choices = [
            (PaymentMode.ONCE, pgettext("guide", "Payment in one instalment")),
            (
                PaymentMode.MONTHLY,
                pgettext("guide", "Automatic direct debit in %(number)s instalments")
                % {"number": grid.payment_calendar.instalments},
            ),
        ]
        if qf_year:
            self.fields["qf"].help_text = _(
                "Your %(year)s quotient familial (CAF). Leave empty if you will not provide it: "
                "the highest line of the grid then applies."
            ) % {"year": qf_year}
        if commune:
            self.fields["resident"].label = pgettext("guide", "Resident of %(commune)s") % {
                "commune": commune
            }
        self.fields["formula"].choices = [("", "—")] + [
            (code, grid.formula_names[code]) for code in grid.formula_codes()
        ]

    def clean_starts_on(self):
        starts_on = self.cleaned_data.get("starts_on")
        if starts_on is None:
            return None
        first, last = self.grid.year_start, last_start_date(self.grid.payment_calendar)
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
