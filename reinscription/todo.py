"""What is left for a family to do in a campaign: one answer, said everywhere.

The family space, a re-enrolment's page (where the wizard lands after validating),
the confirmation email and the recap PDF list the same things: the documents still
to send (missing, or refused and to send again), the SEPA mandate to sign, the
children not answered yet, and until when the campaign is open.

:func:`what_is_left` asks the database a fixed number of queries whatever the
number of children; its links are paths, or absolute addresses given ``base_url``
(emails, PDFs). It never imports :mod:`.services` (which imports it for the email):
the documents' facts come from ``documents`` (``DOCUMENTS_FACTS_PROVIDER``, the
same facts as the "Mes documents" page, so each link lands on its row).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef
from django.urls import reverse

from accounts.models import Family, Student
from billing import services as billing
from documents import services as documents
from documents.models import Document

from .models import Campaign, WizardDraft
from .public import deadline_text

TO_SEND = (Document.Status.MISSING, Document.Status.REFUSED)


@dataclass(frozen=True)
class DocumentToSend:
    name: str
    student: str  # the student's full name; "" for a family document
    refused: bool
    reason: str  # the conservatoire's reason, for a refused document
    url: str  # its row on "Mes documents"


@dataclass(frozen=True)
class MandateToSign:
    download_url: str  # the family's mandate, prefilled (PDF)
    upload_url: str  # its row on "Mes documents", or "" when none is requested


@dataclass(frozen=True)
class ChildToAnswer:
    name: str
    started: bool  # a draft exists: "Reprendre" rather than "Commencer"
    url: str  # the wizard


@dataclass(frozen=True)
class WhatIsLeft:
    """Empty (false) when nothing is left; ``closes_at`` only while the campaign is open."""

    documents: tuple[DocumentToSend, ...] = ()
    mandate: MandateToSign | None = None
    children: tuple[ChildToAnswer, ...] = ()
    closes_at: datetime.datetime | None = None

    def __bool__(self) -> bool:
        return bool(self.documents or self.mandate or self.children)

    @property
    def deadline(self) -> str:
        """« 30 juin 2025 »: the last day, as the family space says it."""
        return deadline_text(self.closes_at)


def what_is_left(family: Family, campaign: Campaign, *, base_url: str = "") -> WhatIsLeft:
    """What ``family`` still has to do for ``campaign``, as it stands now.

    * each document requested and missing or refused, with its row's link
      (``/documents/#document-<type>-<student>``);
    * the SEPA mandate, when the family pays by direct debit and its current
      mandate is not signed, unless it already sent the signed mandate as a document
      (the conservatoire checks it): then the mandate's row is not listed twice;
    * while the campaign is open, each child of its basis not answered yet (a draft
      at most), with the wizard's link, and the closing moment.
    """
    base = base_url.rstrip("/")
    documents_url = base + reverse("documents:list")
    family_facts, students = documents.family_facts(family, campaign.school_year)
    rows = documents.requested_documents(family, campaign.school_year, family_facts, students)

    mandate = None
    mandate_row = next((row for row in rows if row.is_sepa_mandate), None)
    if family_facts.pays_by_direct_debit and not billing.has_signed_mandate(family):
        if mandate_row is None or mandate_row.status in TO_SEND:
            mandate = MandateToSign(
                download_url=base + reverse("billing:mandate_pdf"),
                upload_url=f"{documents_url}#document-{mandate_row.key}" if mandate_row else "",
            )
    to_send = tuple(
        DocumentToSend(
            name=row.type.name,
            student=row.student.full_name if row.student else "",
            refused=row.status == Document.Status.REFUSED,
            reason=row.refusal_reason,
            url=f"{documents_url}#document-{row.key}",
        )
        for row in rows
        if row.status in TO_SEND and not (mandate and row is mandate_row)
    )

    is_open = campaign.is_open()
    children = ()
    if is_open:
        children = tuple(
            ChildToAnswer(
                name=student.full_name,
                started=student.started,
                url=base + reverse("reinscription:wizard", args=[student.pk]),
            )
            for student in _not_answered(family, campaign)
        )
    return WhatIsLeft(
        documents=to_send,
        mandate=mandate,
        children=children,
        closes_at=campaign.closes_at if is_open else None,
    )


def _not_answered(family: Family, campaign: Campaign):
    """The family's students in the campaign's basis (a course in its previous year)
    with no answer recorded; ``started`` when a draft exists. One query."""
    drafts = WizardDraft.objects.filter(student=OuterRef("pk"), campaign=campaign)
    return (
        Student.objects.filter(family=family, enrolments__school_year=campaign.previous_year_id)
        .exclude(reenrolments__campaign=campaign)
        .annotate(started=Exists(drafts))
        .distinct()
    )
