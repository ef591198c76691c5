"""Staff forms: the final amount (with its reason), a mandate, the exports, the grid import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from conservatoire.models import SchoolYear

from ..forms import BICField, IBANField
from ..models import FamilyBilling, Mandate
from ..rules.schedule import debit_dates


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
        if self.cleaned_data["month"] not in debit_dates(year.starts_on):
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


class MandateAdminForm(forms.ModelForm):
    iban = IBANField(required=False)
    bic = BICField(required=False)

    class Meta:
        model = Mandate
        fields = ["family", "rum", "holder", "iban", "bic", "signed_on"]
