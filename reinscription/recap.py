"""The recap PDF of a re-enrolment: one A4 document, for the family and for the staff.

``recap_pdf(reenrolment)`` renders ``reinscription/pdf/recap.html`` with
:func:`conservatoire.pdf.render_pdf`, whose URL fetcher reads nothing but the
portal's static files. What the family typed is escaped by the template engine,
so a ``<script>`` or an ``<img src="file:///…">`` is printed as text.

What the family validated comes from the latest :class:`ReenrolmentSnapshot`
(its ``data`` is the wizard's recap); what changed since (validation by the
conservatoire, documents reviewed, final amount) is read live.

A recap is rendered once per state and stored (:func:`stored_recap`; its name carries
what it depends on, :mod:`.recap_state`): the confirmation email, the family's
download, the admin link and the ZIPs reuse the stored file.
"""

from __future__ import annotations

import datetime
import shutil
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from accounts.models import SchoolLevel, Student
from billing import services as billing
from billing.models import PaymentMode
from conservatoire.email_building import portal_url
from conservatoire.models import Identity
from conservatoire.pdf import render_pdf
from documents import services as documents
from documents.rules import StudentFacts

from . import services
from .labels import (
    course_names,
    enrolment_course_names,
    family_status_label,
    formula_name,
    preference_items,
)
from .models import Reenrolment, ReenrolmentSnapshot
from .recap_state import recap_stamps
from .todo import what_is_left

TEMPLATE = "reinscription/pdf/recap.html"
PRIVATE_FOLDER = "recaps"
PDF_MIMETYPE = "application/pdf"
ZIP_CHUNK = 100
COPY_BLOCK = 64 * 1024


def recap_queryset():
    return Reenrolment.objects.select_related(
        "student__family",
        "campaign__school_year",
        "campaign__previous_year",
        "submitted_by",
        "validated_by",
    )


def latest_snapshot(reenrolment: Reenrolment) -> ReenrolmentSnapshot | None:
    return reenrolment.snapshots.order_by("-version").first()


# --- What the document shows ---------------------------------------------------------------


def recap_context(reenrolment: Reenrolment, snapshot: ReenrolmentSnapshot | None = None) -> dict:
    """Plain values for the template (no model is handed to it but the campaign)."""
    if snapshot is None:
        snapshot = latest_snapshot(reenrolment)
    data = snapshot.data if snapshot else {}
    student = reenrolment.student
    family = student.family
    campaign = reenrolment.campaign
    reenrol = reenrolment.decision == Reenrolment.Decision.REENROL
    details = data.get("details") or {}
    enrolment = services.current_enrolment(student, campaign)
    context = {
        "conservatoire": Identity.current(),
        "reference": reference(reenrolment),
        "year": campaign.school_year.label,
        "previous_year": campaign.previous_year.label,
        # "Changement de banque depuis …": the school year's reference month.
        "bank_change_since": campaign.school_year.bank_change_since,
        "generated_at": timezone.localtime(),
        "status": reenrolment.status,
        "status_label": family_status_label(reenrolment.status),
        "validated_at": _local(reenrolment.validated_at),
        "reenrol": reenrol,
        "decline_reason": reenrolment.decline_reason,
        "version": snapshot.version if snapshot else reenrolment.version,
        "submitted_at": _local(snapshot.created_at if snapshot else reenrolment.submitted_at),
        "submitted_by": data.get("submitted_by") or _user_name(reenrolment.submitted_by),
        "rules_version": snapshot.rules_version if snapshot else reenrolment.rules_version,
        "rules_accepted_at": _local(reenrolment.rules_accepted_at),
        "family": _family(family, details),
        "responsibles": _responsibles(family, details),
        "student": _student(student, details),
        "current_courses": enrolment_course_names(enrolment),
        "current_formula": enrolment.formula.name if enrolment and enrolment.formula else "",
        "next_formula": formula_name((reenrolment.preferences or {}).get("formula")),
        "preferences": _preferences(reenrolment, data) if reenrol else [],
        "comments": reenrolment.comments if reenrol else "",
        "authorisations": {
            "image_rights": reenrolment.image_rights,
            "outing_authorisation": reenrolment.outing_authorisation,
        },
    }
    if reenrol:
        payment = data.get("payment") or {}
        context["payment"] = {
            "mode": reenrolment.payment_mode,
            "label": _payment_label(reenrolment.payment_mode, campaign.school_year.instalments),
            "bank_changed": payment.get("bank_changed"),
            "iban": payment.get("iban", ""),
            "pass_culture_number": payment.get("pass_culture_number", ""),
        }
        context["amount"] = _amount(reenrolment, data)
        context["documents"] = _documents(reenrolment, enrolment, payment)
    # What the family still has to do, as the document is made (a short block).
    context["left"] = what_is_left(family, campaign, base_url=settings.PORTAL_URL)
    context["space_url"] = portal_url("reinscription:family_space")
    return context


def reference(reenrolment: Reenrolment) -> str:
    return f"R{reenrolment.campaign.school_year.label[:4]}-{reenrolment.pk:06d}"


def _local(value: datetime.datetime | None):
    return timezone.localtime(value) if value else None


def _user_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


def _family(family, details: dict) -> dict:
    return {
        "name": family.name,
        "address": details.get("address") or family.address,
        "postal_code": details.get("postal_code") or family.postal_code,
        "city": details.get("city") or family.city,
        "is_resident": family.is_resident,
    }


def _responsibles(family, details: dict) -> list[dict]:
    live = list(family.responsibles.filter(is_active=True).order_by("pk"))
    validated = {r.get("name"): r for r in details.get("responsibles") or []}
    rows = []
    for user in live:
        name = user.get_full_name() or user.username
        typed = validated.get(name, {})
        rows.append(
            {
                "name": name,
                "relation": user.relation,
                "email": typed.get("email") or user.email,
                "mobile": typed.get("mobile") or user.mobile,
            }
        )
    return rows


def _student(student: Student, details: dict) -> dict:
    level = details.get("school_level") or student.school_level
    return {
        "name": student.full_name,
        "birth_date": student.birth_date,
        "school_level": str(SchoolLevel(level).label) if level in SchoolLevel.values else level,
        "school_name": details.get("school_name") or student.school_name,
        "emergency_name": details.get("emergency_contact_name") or student.emergency_contact_name,
        "emergency_phone": details.get("emergency_contact_phone")
        or student.emergency_contact_phone,
        "emergency_relation": details.get("emergency_contact_relation")
        or student.emergency_contact_relation,
    }


def _payment_label(mode: str, instalments: int) -> str:
    if mode == PaymentMode.MONTHLY:
        return pgettext("guide", "Automatic direct debit in %(number)s instalments") % {
            "number": instalments
        }
    if mode in PaymentMode.values:
        return str(PaymentMode(mode).label)
    return mode


def _preferences(reenrolment: Reenrolment, data: dict) -> list[dict]:
    """The step 6 answers as the family read them (snapshot), else from the stored keys."""
    shown = data.get("preferences_display")
    if shown:
        return [{"label": item.get("label", ""), "value": item.get("value", "")} for item in shown]
    items = preference_items(reenrolment.preferences or {}, course_names())
    return [{"label": label, "value": value} for label, value in items]


def _amount(reenrolment: Reenrolment, data: dict) -> dict | None:
    """The final amount set by the secretariat, else the estimate the family validated."""
    family = reenrolment.student.family
    final = billing.final_bill(family, reenrolment.campaign.school_year)
    if final is not None:
        return {
            "is_final": True,
            "total": final.final_amount,
            "reason": final.final_reason,
            "lines": [],
            "bracket": "",
            "schedule": [
                {"due_on": item.due_on, "amount": item.amount} for item in final.schedule()
            ],
        }
    estimate = data.get("estimate")
    if estimate:
        return {
            "is_final": False,
            "total": Decimal(estimate["total"]),
            "reason": "",
            "bracket": estimate.get("bracket", ""),
            "lines": [
                {
                    "label": line.get("label", ""),
                    "formula": line.get("formula", ""),
                    "amount": Decimal(line["amount"]),
                }
                for line in estimate.get("lines", [])
            ],
            "schedule": [
                {
                    "due_on": datetime.date.fromisoformat(item["due_on"][:10]),
                    "amount": Decimal(item["amount"]),
                }
                for item in estimate.get("schedule", [])
            ],
        }
    if reenrolment.estimated_total is not None:
        return {
            "is_final": False,
            "total": reenrolment.estimated_total,
            "reason": "",
            "bracket": "",
            "lines": [],
            "schedule": [],
        }
    return None


def _documents(reenrolment: Reenrolment, enrolment, payment: dict) -> list[dict]:
    """The documents requested for this student and their family, with their status."""
    student = reenrolment.student
    facts = services.family_facts(
        student.family,
        {
            "payment_mode": reenrolment.payment_mode,
            "bank_changed": payment.get("bank_changed"),
            "wants_qf_tariff": payment.get("wants_qf_tariff"),
        },
    )
    student_facts = StudentFacts(
        disciplines=services.student_disciplines(enrolment),
        is_adult=student.is_adult_learner,
    )
    rows = documents.requested_documents(
        student.family,
        reenrolment.campaign.school_year,
        facts,
        [(student, student_facts)],
        include_existing=True,
    )
    return [
        {
            "name": row.type.name,
            "concerns": row.student.full_name if row.student else _("the family"),
            "status": row.status,
            "status_label": row.status_label,
            "files": len(row.files),
        }
        for row in rows
        if row.student is None or row.student.pk == student.pk
    ]


# --- The PDF ----------------------------------------------------------------------------------


def recap_pdf(reenrolment: Reenrolment, snapshot: ReenrolmentSnapshot | None = None) -> bytes:
    """The recap of ``reenrolment`` as a one-A4 PDF (French)."""
    return render_pdf(TEMPLATE, recap_context(reenrolment, snapshot))


def recap_filename(reenrolment: Reenrolment) -> str:
    student = reenrolment.student
    name = slugify(f"{student.last_name} {student.first_name}") or str(student.pk)
    return f"recapitulatif-{reenrolment.campaign.school_year.label}-{name}.pdf"


def stored_name(reenrolment: Reenrolment, version: int, stamp: str) -> str:
    """Where the recap of ``reenrolment`` is stored, for a snapshot version and a state
    (:func:`reinscription.recap_state.recap_stamps`): a new state, a new name."""
    return (
        f"{PRIVATE_FOLDER}/{reenrolment.campaign.school_year.label}/"
        f"recap-{reenrolment.pk}-v{version}-{stamp}.pdf"
    )


def stored_recap(
    reenrolment: Reenrolment,
    snapshot: ReenrolmentSnapshot | None = None,
    *,
    state: tuple[int, str] | None = None,
) -> str:
    """The storage name of the recap as it stands now, rendered and stored first if it
    is not yet: every reader (email, family, admin, ZIP) gets the same file, rendered once.

    ``snapshot`` defaults to the latest; ``state``, ``(version, stamp)`` when the caller
    computed it for many re-enrolments at once, saves the queries.
    """
    version, stamp = state or recap_stamps([reenrolment])[reenrolment.pk]
    if snapshot is not None:
        version = snapshot.version
    name = stored_name(reenrolment, version, stamp)
    if default_storage.exists(name):
        return name
    return default_storage.save(name, ContentFile(recap_pdf(reenrolment, snapshot)))


def store_recap_pdf(snapshot: ReenrolmentSnapshot, reenrolment: Reenrolment | None = None) -> str:
    """The stored recap of ``snapshot`` (rendered if needed); return its storage name.

    Calling again returns the stored file while nothing it shows has changed.
    ``reenrolment``, when the caller has it from :func:`recap_queryset`, saves a query.
    """
    if reenrolment is None:
        reenrolment = recap_queryset().get(pk=snapshot.reenrolment_id)
    return stored_recap(reenrolment, snapshot)


def recap_attachment(snapshot: ReenrolmentSnapshot) -> dict:
    """The ``attachments`` entry of :func:`conservatoire.emails.queue_email` for the recap."""
    reenrolment = recap_queryset().get(pk=snapshot.reenrolment_id)
    return {
        "storage_name": store_recap_pdf(snapshot, reenrolment),
        "filename": recap_filename(reenrolment),
        "mimetype": PDF_MIMETYPE,
    }


def snapshot_attachment(snapshot_id: int) -> tuple[str, bytes, str]:
    """The confirmation email's attachment, made in the worker when the email leaves."""
    snapshot = ReenrolmentSnapshot.objects.get(pk=snapshot_id)
    entry = recap_attachment(snapshot)
    with default_storage.open(entry["storage_name"], "rb") as handle:
        return entry["filename"], handle.read(), entry["mimetype"]


def pdf_response(reenrolment: Reenrolment) -> HttpResponse:
    """The stored recap as a download (the family's and the admin's link)."""
    with default_storage.open(stored_recap(reenrolment), "rb") as handle:
        response = HttpResponse(handle.read(), content_type=PDF_MIMETYPE)
    response["Content-Disposition"] = f'attachment; filename="{recap_filename(reenrolment)}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def family_recap_response(request, student_id: int) -> HttpResponse:
    """The family's download of a student's recap (its latest re-enrolment); 404 for others."""
    family_id = getattr(request.user, "family_id", None)
    if not family_id:
        raise Http404
    student = get_object_or_404(Student, pk=student_id, family_id=family_id)
    reenrolment = recap_queryset().filter(student=student).order_by("-campaign__opens_at").first()
    if reenrolment is None:
        raise Http404
    return pdf_response(reenrolment)


# --- Several recaps in a ZIP --------------------------------------------------------------------


def iter_recaps(ids: Iterable[int]) -> Iterator[tuple[Reenrolment, tuple[int, str]]]:
    """The re-enrolments of ``ids`` in that order with their stored state, loaded
    ``ZIP_CHUNK`` at a time (a few queries per chunk)."""
    ids = list(ids)
    for start in range(0, len(ids), ZIP_CHUNK):
        chunk = ids[start : start + ZIP_CHUNK]
        loaded = recap_queryset().in_bulk(chunk)
        states = recap_stamps(loaded.values())
        for pk in chunk:
            if pk in loaded:
                yield loaded[pk], states[pk]


def store_recaps(ids: Iterable[int]) -> int:
    """Render and store the recaps of ``ids`` that are not stored yet (a ZIP's chunk,
    rendered by a worker); return how many were rendered."""
    rendered = 0
    for reenrolment, (version, stamp) in iter_recaps(ids):
        name = stored_name(reenrolment, version, stamp)
        if not default_storage.exists(name):
            default_storage.save(name, ContentFile(recap_pdf(reenrolment)))
            rendered += 1
    return rendered


def write_recaps_zip(
    ids: Iterable[int], fileobj, progress: Callable[[int], None] | None = None
) -> int:
    """Write one PDF per re-enrolment into a ZIP on ``fileobj`` (a file on disk).

    Each stored recap is copied from the storage into the archive in blocks (a recap
    not stored yet is rendered and stored first), and the archive is written to
    ``fileobj``: memory stays flat however many recaps are exported. The PDFs are
    compressed already, so they are stored as they are (deflating them again would
    cost time for 3 %). Return the count.
    """
    count = 0
    seen: set[str] = set()
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_STORED) as archive:
        for reenrolment, state in iter_recaps(ids):
            name = base = recap_filename(reenrolment)
            suffix = 1
            while name in seen:  # two students with the same name
                suffix += 1
                name = base.replace(".pdf", f"-{suffix}.pdf")
            seen.add(name)
            try:
                source = default_storage.open(stored_name(reenrolment, *state), "rb")
            except FileNotFoundError:
                source = default_storage.open(stored_recap(reenrolment, state=state), "rb")
            with source, archive.open(name, "w") as target:
                shutil.copyfileobj(source, target, COPY_BLOCK)
            count += 1
            if progress is not None:
                progress(count)
    return count


def zip_filename(campaign_label: str = "") -> str:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    return (
        f"recapitulatifs-{campaign_label}-{stamp}.zip"
        if campaign_label
        else (f"recapitulatifs-{stamp}.zip")
    )
