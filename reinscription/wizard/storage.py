"""The wizard's formtools storage, kept in a :class:`WizardDraft` row rather than the session.

A family that logs out or changes device resumes where it left off; the row is
written only when the stored steps change, and deleted once they are emptied
(formtools empties them after validation).
"""

import json

from formtools.wizard.storage.base import BaseStorage

from ..models import WizardDraft

IGNORED_POST_KEYS = {"csrfmiddlewaretoken"}


class DraftStorage(BaseStorage):
    """formtools storage kept in a :class:`WizardDraft` row (JSON), saved after each request."""

    def __init__(self, prefix, request=None, file_storage=None, *, draft: WizardDraft):
        super().__init__(prefix, request, file_storage)
        self.draft = draft
        self.revision = 0  # bumped whenever the stored steps change
        self.data = draft.data or {}
        if not self.data:
            self.init_data()
        self._saved = json.dumps(self.data, sort_keys=True)

    def init_data(self):
        super().init_data()
        self.revision = getattr(self, "revision", 0) + 1

    def set_step_data(self, step, cleaned_data):
        super().set_step_data(step, cleaned_data)
        self.revision += 1
        for key in IGNORED_POST_KEYS:
            self.data[self.step_data_key][step].pop(key, None)

    def is_empty(self) -> bool:
        return not self.data[self.step_data_key]

    def update_response(self, response):
        super().update_response(response)
        self.save()

    def save(self):
        current = json.dumps(self.data, sort_keys=True)
        if current == self._saved:
            return
        if self.is_empty():
            if self.draft.pk:
                WizardDraft.objects.filter(pk=self.draft.pk).delete()
        else:
            self.draft.data = self.data
            self.draft.updated_by = self.request.user
            self.draft.save()
        self._saved = current
