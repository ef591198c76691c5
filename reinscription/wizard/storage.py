"""The wizard's formtools storage, kept in a :class:`WizardDraft` row rather than the session.

A family that logs out or changes device resumes where it left off; the row is
written only when the stored steps change, and deleted once they are emptied
(formtools empties them after validation).

The steps in :data:`SEALED_STEPS` (step 3: IBAN, BIC, account holder) are kept apart,
in ``WizardDraft.sealed_steps``, encrypted at rest; the storage joins them back in
memory, so the wizard sees one storage.
"""

import json

from formtools.wizard.storage.base import BaseStorage

from ..models import WizardDraft

IGNORED_POST_KEYS = {"csrfmiddlewaretoken"}
# Steps whose answers hold bank details: stored encrypted (``WizardDraft.sealed_steps``).
SEALED_STEPS = frozenset({"reglement"})
STEP_DATA_KEY = BaseStorage.step_data_key


def joined_data(draft: WizardDraft) -> dict:
    """The draft's formtools storage, its sealed steps joined back (decrypted)."""
    data = dict(draft.data or {})
    if draft.sealed_steps:
        data[STEP_DATA_KEY] = {**(data.get(STEP_DATA_KEY) or {}), **draft.sealed_steps}
    return data


def split_data(data: dict) -> tuple[dict, dict]:
    """The storage as saved: the clear part (``data``) and the sealed steps."""
    steps = data.get(STEP_DATA_KEY) or {}
    clear = {**data, STEP_DATA_KEY: {k: v for k, v in steps.items() if k not in SEALED_STEPS}}
    return clear, {k: v for k, v in steps.items() if k in SEALED_STEPS}


def typed_iban(draft: WizardDraft) -> str:
    """The IBAN typed at step 3 of ``draft`` (as typed), or ``""``."""
    values = (draft.sealed_steps or {}).get("reglement", {}).get("reglement-iban") or [""]
    return values[-1]


class DraftStorage(BaseStorage):
    """formtools storage kept in a :class:`WizardDraft` row (JSON), saved after each request."""

    def __init__(self, prefix, request=None, file_storage=None, *, draft: WizardDraft):
        super().__init__(prefix, request, file_storage)
        self.draft = draft
        self.revision = 0  # bumped whenever the stored steps change
        self.data = joined_data(draft)
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
            self.draft.data, self.draft.sealed_steps = split_data(self.data)
            self.draft.updated_by = self.request.user
            self.draft.save()
        self._saved = current
