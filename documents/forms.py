"""The documents table as one form (the staff's refusal form is in
:mod:`documents.backoffice.forms`).

The family chooses files on any rows of the table, then sends them all with the
page's one button (« Envoyer les fichiers choisis » on "Mes documents", « Passer à
l’étape suivante » at the wizard's step 5): no file chosen is dropped because another
button was pressed.
"""

from collections.abc import Iterable, Sequence

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .services import RequestedDocument, save_upload
from .uploads import Oversized
from .validators import ACCEPT_ATTRIBUTE, clean_original_name, not_sent, too_large_message


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


def row_field_name(key: str) -> str:
    """The file field of the table's row ``key`` (:attr:`RequestedDocument.key`)."""
    return f"files_{key}"


def row_label(row: RequestedDocument) -> str:
    return f"{row.type.name} — {row.student.full_name}" if row.student else str(row.type.name)


class DocumentFilesForm(forms.Form):
    """One file field per row of the table that can still receive files.

    ``rows`` are :func:`documents.services.requested_documents`' rows as the page shows
    them. Validating the form checks nothing but its shape; :meth:`save` stores the
    chosen files (sniffed and checked by :func:`documents.services.save_upload`) and
    turns each refusal into an error of its row's field, naming the file. A file
    sent under a row the page no longer shows is refused too (a non-field error).
    """

    def __init__(self, *args, rows: Sequence[RequestedDocument] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.rows = {row.key: row for row in rows if row.can_upload}
        for key, row in self.rows.items():
            self.fields[row_field_name(key)] = MultipleFileField(
                label=row_label(row),
                required=False,
                widget=MultipleFileInput(attrs={"accept": ACCEPT_ATTRIBUTE}),
            )
        self.received: dict[str, int] = {}

    def chosen_count(self, oversized: Iterable[Oversized] = ()) -> int:
        """How many files were chosen, those stopped for their size included."""
        files = self.files or {}
        return sum(len([f for f in files.getlist(name) if f]) for name in files) + len(
            list(oversized)
        )

    def save(self, family, user, oversized: Iterable[Oversized] = ()) -> int:
        """Store every chosen file; return how many were stored.

        Call once the form is valid. Each refused file (too large, not a PDF, JPEG or
        PNG, a document already accepted…) becomes an error of its row; the files
        accepted beside it stay stored. ``oversized`` are the files the upload handler
        stopped (:class:`documents.uploads.SizeLimitUploadHandler`).
        """
        by_html_name = {self.add_prefix(name): name for name in self.fields}
        for skipped in oversized:
            self.add_error(by_html_name.get(skipped.field_name), too_large_message(skipped.name))
        for html_name in self.files or {}:
            uploads = [f for f in self.files.getlist(html_name) if f]
            name = by_html_name.get(html_name)
            if name is None:
                for upload in uploads:
                    self.add_error(None, _no_longer_requested(upload.name))
                continue
            row = self.rows[name.removeprefix("files_")]
            for upload in uploads:
                try:
                    save_upload(row.type, family, row.student, upload, user)
                except ValidationError as error:
                    for message in error.messages:
                        self.add_error(name, message)
                else:
                    self.received[row.key] = self.received.get(row.key, 0) + 1
        return sum(self.received.values())

    def received_messages(self) -> list[str]:
        """« Merci : 2 fichiers ont été reçus pour « … ». », one per row that received files."""
        return [
            ngettext(
                "Thank you: %(count)d file was received for “%(document)s”.",
                "Thank you: %(count)d files were received for “%(document)s”.",
                count,
            )
            % {"count": count, "document": row_label(self.rows[key])}
            for key, count in self.received.items()
        ]


def _no_longer_requested(name: str) -> str:
    return not_sent(
        clean_original_name(name),
        _("this document is no longer requested from you (the table below is up to date)."),
        code="not_requested",
    ).messages[0]


def nothing_chosen_message() -> str:
    return gettext("Choose at least one file (PDF, JPEG or PNG) before sending.")
