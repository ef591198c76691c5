"""What a stored recap PDF depends on, as a short hash in its file name.

A recap is rendered once and stored (``reinscription.recap.stored_recap``); the
confirmation email, the family's download, the admin link and the ZIPs reuse the
file. Part of the document is read live (the status, the documents, the final
amount, what is left to do), so the stored name carries :func:`recap_stamps`: when
one of those changes, the name changes and the next reader renders the new state
once. Followed, for a few queries whatever the number of re-enrolments:

- the re-enrolment's own fields and its latest snapshot's version;
- at family level, since what is left to do covers the whole family: every
  re-enrolment, wizard draft and document of the family, its billing rows and its
  mandates;
- whether the campaign is open (the deadline is shown only while it is), the
  conservatoire's identity (name, address, logo) and the template and stylesheet.

Not followed (rare, and the retention purge renews the folder every year): edits of
a family's name or of its responsibles' contact details outside a validation, of the
document types and of the course catalogue.
"""

from __future__ import annotations

import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable

from django.contrib.staticfiles import finders
from django.db.models import Max
from django.template.loader import get_template

from billing.models import FamilyBilling, Mandate
from conservatoire.models import Identity
from documents.models import Document

from .models import Reenrolment, ReenrolmentSnapshot, WizardDraft

TEMPLATE = "reinscription/pdf/recap.html"
STYLESHEET = "reinscription/pdf/recap.css"
# The re-enrolment's fields the recap prints (the snapshot holds the rest).
REENROLMENT_FIELDS = (
    "status",
    "decision",
    "decline_reason",
    "payment_mode",
    "image_rights",
    "outing_authorisation",
    "preferences",
    "comments",
    "estimated_total",
    "rules_version",
    "rules_accepted_at",
    "version",
    "submitted_by_id",
    "submitted_at",
    "validated_by_id",
    "validated_at",
)


@functools.cache
def layout_stamp() -> str:
    """The template's and the stylesheet's sources (read once per process)."""
    digest = hashlib.sha256(get_template(TEMPLATE).template.source.encode())
    path = finders.find(STYLESHEET)
    if path:
        with open(path, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:12]


def recap_stamps(reenrolments: Iterable[Reenrolment]) -> dict[int, tuple[int, str]]:
    """``{pk: (snapshot version, stamp)}`` for re-enrolments loaded with their
    student and campaign (``recap.recap_queryset``): 6 queries for any number."""
    reenrolments = list(reenrolments)
    if not reenrolments:
        return {}
    ids = [r.pk for r in reenrolments]
    families = {r.student.family_id for r in reenrolments}
    versions = dict(
        ReenrolmentSnapshot.objects.filter(reenrolment_id__in=ids)
        .values("reenrolment_id")
        .annotate(latest=Max("version"))
        .values_list("reenrolment_id", "latest")
    )
    by_family: dict[int, list] = defaultdict(list)
    for row in (
        Reenrolment.objects.filter(student__family_id__in=families)
        .order_by("pk")
        .values_list("student__family_id", "pk", "campaign_id", *REENROLMENT_FIELDS)
    ):
        by_family[row[0]].append(row[1:])
    for row in (
        WizardDraft.objects.filter(student__family_id__in=families)
        .order_by("pk")
        .values_list("student__family_id", "pk", "campaign_id", "updated_at")
    ):
        by_family[row[0]].append(("draft", *row[1:]))
    for row in (
        Document.objects.filter(family_id__in=families)
        .order_by("pk")
        .values_list(
            "family_id", "pk", "type_id", "student_id", "status", "received_at", "reviewed_at"
        )
    ):
        by_family[row[0]].append(("document", *row[1:]))
    for row in FamilyBilling.objects.filter(family_id__in=families).order_by("pk").values():
        by_family[row["family_id"]].append(("billing", *sorted(row.items())))
    for row in (
        Mandate.objects.filter(family_id__in=families)
        .order_by("pk")
        .values_list("family_id", "pk", "signed_on", "amended_from_id")
    ):
        by_family[row[0]].append(("mandate", *row[1:]))
    family_digests = {
        family: hashlib.sha256(repr(rows).encode()).hexdigest()
        for family, rows in by_family.items()
    }
    identity = Identity.current()
    common = (layout_stamp(), identity.updated_at, identity.logo.name if identity.logo else "")
    stamps = {}
    for reenrolment in reenrolments:
        campaign = reenrolment.campaign
        state = (
            common,
            reenrolment.pk,
            family_digests.get(reenrolment.student.family_id, ""),
            campaign.pk,
            campaign.is_open(),
            campaign.closes_at,
        )
        version = versions.get(reenrolment.pk, 0)
        stamps[reenrolment.pk] = (
            version,
            hashlib.sha256(repr((version, state)).encode()).hexdigest()[:12],
        )
    return stamps
