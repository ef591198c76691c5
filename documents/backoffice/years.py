"""A school year's document types, copied to another year with their wording brought up to date.

A type's name and explanation may speak of the year: "Attestation de quotient
familial 2025 (CAF)", "changé de banque depuis septembre 2024", "2025-2026". A copy
says the same of the new year, from the new :class:`SchoolYear`'s own data (its
label, the year of the quotient familial asked for, the date a bank change counts
from), so staff only adjust what really changed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction

from conservatoire.models import SchoolYear
from documents.models import DocumentType

FRENCH_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
BANK_CHANGE_MONTH = 9  # of the year before the school year, when the year does not say


@dataclass(frozen=True)
class YearWording:
    """What a document's text may say of its school year."""

    label: str  # 2025-2026
    previous_label: str  # 2024-2025
    qf_year: int  # "quotient familial 2025"
    bank_change_since: datetime.date  # "changé de banque depuis septembre 2024"

    @classmethod
    def of(cls, year: SchoolYear) -> YearWording:
        """From the year's fields; those it lacks are derived from its first day."""
        start = year.starts_on.year
        return cls(
            label=year.label,
            previous_label=f"{start - 1}-{start}",
            qf_year=getattr(year, "qf_year", None) or start,
            bank_change_since=getattr(year, "bank_change_since", None)
            or datetime.date(start - 1, BANK_CHANGE_MONTH, 1),
        )

    @property
    def bank_change_month(self) -> str:
        """``septembre 2024``"""
        since = self.bank_change_since
        return f"{FRENCH_MONTHS[since.month - 1]} {since.year}"


def reword(text: str, source: YearWording, target: YearWording) -> str:
    """``text`` written for the ``source`` year, said of the ``target`` year.

    Replaced in one pass (a replaced year is never replaced again): the year's label
    and the previous one's, the month of the bank change ("septembre 2024", any case),
    and the year of the quotient familial standing alone ("QF 2025", not in 12025).
    """
    if not text:
        return text
    table = {
        source.label: target.label,
        source.previous_label: target.previous_label,
        source.bank_change_month: target.bank_change_month,
    }
    alternatives = [re.escape(old) for old in sorted(table, key=len, reverse=True)]
    alternatives.append(rf"(?<!\d){source.qf_year}(?!\d)")
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)

    def replace(match: re.Match) -> str:
        found = match.group(0)
        new = table.get(found.lower(), str(target.qf_year))
        return new[:1].upper() + new[1:] if found[:1].isupper() else new

    return pattern.sub(replace, text)


@transaction.atomic
def copy_document_types(types: Iterable[DocumentType], target: SchoolYear) -> tuple[int, int]:
    """Copy ``types`` to ``target`` (a code already there is left as it is).

    Returns ``(created, already_there)``.
    """
    created = existing = 0
    target_wording = YearWording.of(target)
    for document_type in types:
        source = YearWording.of(document_type.school_year)
        _copy, made = DocumentType.objects.get_or_create(
            school_year=target,
            code=document_type.code,
            defaults={
                "name": reword(document_type.name, source, target_wording),
                "help_text": reword(document_type.help_text, source, target_wording),
                "scope": document_type.scope,
                "rule": document_type.rule,
                "order": document_type.order,
                "active": document_type.active,
            },
        )
        created += made
        existing += not made
    return created, existing


def copy_year(source: SchoolYear, target: SchoolYear) -> tuple[int, int]:
    """Copy every document type of ``source`` to ``target``; see :func:`copy_document_types`."""
    types = DocumentType.objects.filter(school_year=source).select_related("school_year")
    return copy_document_types(types.order_by("order", "pk"), target)
