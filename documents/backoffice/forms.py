"""Staff forms: the reason for refusing documents, which the family reads."""

from django import forms
from django.utils.translation import gettext_lazy as _


class RefusalForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for refusal (sent to the family)"),
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
        max_length=1000,
        help_text=_("For example: the attestation is not from 2025, the page is unreadable…"),
    )
