"""What a re-import would overwrite that was changed here since the last import.

Each family, responsible and student keeps ``imported_values``: what the last
import's file said of it, as comparable text. A stored value that differs from
it was changed here since (by the family on the portal, or by the secretariat).
When the file says yet something else, the field is a :class:`Conflict`: the
stored value stays, unless staff tick "take the file's value" for it on the
preview. The snapshot records the file's value even when the stored one is
kept, so the next import of the same file finds the same conflict again.

An object imported before the snapshot existed (or a field no file gave yet)
compares with its first history record: its creation, by the import as a rule.

This module decides; :mod:`.resource` writes.
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass

from django.db import models
from django.utils.formats import date_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from accounts.models import french_number

# The history rows written by an import carry this reason.
IMPORT_REASON = "import"


def comparable(name: str, value) -> str:
    """A value as text that compares equal whatever its writing (``06 12…`` or ``+336…``,
    an email's case, a date or its ISO text)."""
    if value is None:
        return ""
    if isinstance(value, datetime.date):
        return value.isoformat()
    text = str(value).strip()
    if name == "mobile" and text:
        number = french_number(text)
        return number.as_e164 if number is not None else text
    if name == "email":
        return text.lower()
    return text


def shown(name: str, value) -> str:
    """A value as the preview shows it (French)."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, datetime.date):
        return date_format(value, "d/m/Y")
    if name == "mobile":
        number = french_number(str(value))
        return number.as_national if number is not None else str(value)
    return str(value)


@dataclass(frozen=True)
class Conflict:
    """A field changed here since the last import, which the file contradicts."""

    line: int
    kind: str  # "family", "responsible", "student"
    key: str  # the family's or student's legacy id, the responsible's pk
    owner: str
    field: str
    label: str
    current: str
    incoming: str
    changed_by: str
    changed_at: datetime.datetime | None
    digest: str

    @property
    def token(self) -> str:
        """What the preview's checkbox sends. It names the stored value too: if the family
        changes it again between the preview and the confirmation, the tick no longer
        applies and the new value is kept."""
        return f"{self.kind}:{self.key}:{self.field}:{self.digest}"


class Baseline:
    """What the last import said of ``obj`` (its ``imported_values``), else its first
    history record; read lazily, at most one query."""

    def __init__(self, obj: models.Model):
        self.obj = obj
        self._first = None
        self._first_loaded = obj.pk is None

    def value(self, name: str) -> str | None:
        """The field's text at the last import, or ``None`` if unknown."""
        snapshot = self.obj.imported_values or {}
        if name in snapshot:
            return snapshot[name]
        if not self._first_loaded:
            self._first = self.obj.history.order_by("history_date", "history_id").first()
            self._first_loaded = True
        if self._first is None or not hasattr(self._first, name):
            return None
        return comparable(name, getattr(self._first, name))

    def changed_here(self, name: str) -> bool:
        """Whether the stored value differs from what the last import said."""
        if self.obj.pk is None:
            return False
        known = self.value(name)
        return known is not None and known != comparable(name, getattr(self.obj, name))


def last_change(obj: models.Model) -> tuple[str, datetime.datetime | None]:
    """Who changed ``obj`` last, other than an import, and when."""
    record = (
        obj.history.exclude(history_change_reason=IMPORT_REASON)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )
    if record is None:
        return "", None
    user = record.history_user
    name = (user.get_full_name() or user.username) if user is not None else ""
    return name, record.history_date


def conflict(line: int, kind: str, key: str, owner: str, obj, name: str, value) -> Conflict:
    current = getattr(obj, name)
    changed_by, changed_at = last_change(obj)
    return Conflict(
        line=line,
        kind=kind,
        key=key,
        owner=owner,
        field=name,
        label=capfirst(obj._meta.get_field(name).verbose_name),
        current=shown(name, current),
        incoming=shown(name, value),
        changed_by=changed_by,
        changed_at=changed_at,
        digest=hashlib.sha256(comparable(name, current).encode()).hexdigest()[:12],
    )
