"""The upload form of the documents table (the staff's refusal form is in
:mod:`documents.backoffice.forms`)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .validators import ACCEPT_ATTRIBUTE


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """A file field taking several files (``<input type=file multiple>``)."""

    widget = MultipleFileInput

    def clean(self, data, initial=None):
        # Each file is checked by documents.validators.check_upload, which names it
        # in its French message (Django's own "empty file" error would not).
        items = data if isinstance(data, list | tuple) else [data]
        return [item for item in items if item]


class UploadForm(forms.Form):
    """What the documents table posts: the row (type, student), the files, where to go back."""

    document_type = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    student = forms.IntegerField(min_value=1, required=False, widget=forms.HiddenInput)
    next = forms.CharField(required=False, max_length=2000, widget=forms.HiddenInput)
    files = MultipleFileField(
        label=_("Files"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
    )
