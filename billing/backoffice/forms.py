"""Staff forms: the final amount (with its reason), a mandate and its amendment, the
exports, a rejected debit, the grid import."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from conservatoire.models import SchoolYear

from ..forms import AccountHolderField, BICField, IBANField
from ..models import FamilyBilling, Mandate, RejectionReason, RejectionResolution
from ..rules.schedule import PaymentCalendar, debit_dates
from ..templatetags.billing_tags import de_month


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
        calendar = PaymentCalendar.of(self.cleaned_data["school_year"])
        if self.cleaned_data["month"] not in debit_dates(calendar):
            self.add_error(
                "month",
                _("Debits run from %(de_first)s to %(last)s of the school year.")
                % {
                    "de_first": de_month(calendar.first_debit_on, "F"),
                    "last": date_format(calendar.last_debit_on, "F"),
                },
            )
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
    """Family and IBAN are set once: a recorded mandate keeps them (a new account is a
    new mandate or an amendment); a reserved mandate (no IBAN yet) gets its IBAN."""

    iban = IBANField(required=False)
    bic = BICField(required=False)
    holder = AccountHolderField(required=False)

    class Meta:
        model = Mandate
        fields = ["family", "rum", "holder", "iban", "bic", "signed_on"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields.pop("family", None)
            if self.instance.iban:
                self.fields.pop("iban", None)


class AmendmentForm(forms.Form):
    """The family's new account, recorded as an amendment of its mandate."""

    iban = IBANField(label=_("New IBAN"))
    bic = BICField(required=False)
    holder = AccountHolderField()

    def __init__(self, *args, mandate: Mandate, **kwargs):
        kwargs.setdefault("initial", {"holder": mandate.holder})
        super().__init__(*args, **kwargs)
        self.mandate = mandate

    def clean_iban(self):
        iban = self.cleaned_data["iban"]
        if iban == self.mandate.iban:
            raise ValidationError(_("This is the mandate's current IBAN."))
        return iban


class RejectionForm(forms.Form):
    """The R-transaction the bank reported for a debit, and what to do with the amount."""

    reason = forms.ChoiceField(label=_("Reason code"), choices=RejectionReason.choices)
    rejected_on = forms.DateField(
        label=_("Rejected on"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        help_text=_("The date of the bank's reject or return notice."),
    )
    resolution = forms.ChoiceField(
        label=_("Follow-up"),
        choices=RejectionResolution.choices,
        initial=RejectionResolution.REPRESENT,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, line, **kwargs):
        """A debit already rejected: only its follow-up may change."""
        if line.rejected_on is not None:
            kwargs.setdefault(
                "initial",
                {
                    "reason": line.rejection_reason,
                    "rejected_on": line.rejected_on,
                    "resolution": line.resolution,
                },
            )
        super().__init__(*args, **kwargs)
        self.line = line
        if line.rejected_on is not None:
            self.fields["reason"].disabled = True
            self.fields["rejected_on"].disabled = True

    def clean_rejected_on(self):
        rejected_on = self.cleaned_data["rejected_on"]
        exported_on = timezone.localtime(self.line.batch.created_at).date()
        if rejected_on < exported_on:
            raise ValidationError(_("The debit was exported after this date."))
        if rejected_on > timezone.localdate():
            raise ValidationError(_("This date is in the future."))
        return rejected_on
