"""Documents' business operations: what is requested, uploads, review, retention.

Views, the admin and the re-enrolment wizard call these functions and stay thin.
The wizard hands plain facts (``documents.rules``); the family's documents page
gets them from the pluggable provider named by ``settings.DOCUMENTS_FACTS_PROVIDER``
(default :func:`facts_from_accounts`), so this app never imports ``reinscription``.
"""

import datetime
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext_lazy as _

from accounts.emails import family_recipients
from accounts.models import Family, Student, User
from conservatoire.email_building import portal_url
from conservatoire.emails import queue_email
from conservatoire.models import SchoolYear

from .models import Document, DocumentFile, DocumentType, Scope
from .rules import FamilyFacts, StudentFacts, is_requested
from .validators import check_upload, not_sent

logger = logging.getLogger(__name__)

# Dotted path of the default facts provider; settings.DOCUMENTS_FACTS_PROVIDER overrides it.
FACTS_PROVIDER = "documents.services.facts_from_accounts"
DEFAULT_RETENTION_MONTHS = 12

StudentsFacts = list[tuple[Student, StudentFacts]]


@dataclass
class RequestedDocument:
    """One row of the documents table: a type, for the family or one student."""

    type: DocumentType
    student: Student | None
    document: Document | None
    status: str
    files: list[DocumentFile] = field(default_factory=list)

    @property
    def key(self) -> str:
        """Stable row identifier (HTML ids, upload errors)."""
        return f"{self.type.pk}-{self.student.pk if self.student else 0}"

    @property
    def status_label(self) -> str:
        return Document.Status(self.status).label

    @property
    def refusal_reason(self) -> str:
        if self.document and self.status == Document.Status.REFUSED:
            return self.document.refusal_reason
        return ""

    @property
    def can_upload(self) -> bool:
        return self.status != Document.Status.ACCEPTED

    @property
    def is_sepa_mandate(self) -> bool:
        return self.type.is_sepa_mandate


# --- What is requested -----------------------------------------------------------------


def requested_documents(
    family: Family,
    school_year: SchoolYear,
    family_facts: FamilyFacts,
    students: StudentsFacts,
    *,
    include_existing: bool = False,
) -> list[RequestedDocument]:
    """The documents requested from ``family`` for ``school_year``, with their state.

    Three queries whatever the number of students and types: the active types,
    the family's documents of the year, their files. With ``include_existing``,
    documents already sent but no longer requested by the facts (the family
    page's facts may be coarser than the wizard's) are listed too.
    """
    types = list(
        DocumentType.objects.filter(school_year=school_year, active=True).order_by("order", "name")
    )
    if not types:
        return []
    documents = (
        Document.objects.filter(family=family, type__in=types)
        .select_related("student")
        .prefetch_related(
            Prefetch(
                "files",
                queryset=DocumentFile.objects.current().order_by("uploaded_at", "pk"),
                to_attr="current_files",
            )
        )
    )
    by_key = {(document.type_id, document.student_id): document for document in documents}

    rows: list[RequestedDocument] = []
    seen: set[tuple[int, int | None]] = set()

    def add(document_type: DocumentType, student: Student | None) -> None:
        key = (document_type.pk, student.pk if student else None)
        if key in seen:
            return
        seen.add(key)
        document = by_key.get(key)
        rows.append(
            RequestedDocument(
                type=document_type,
                student=student,
                document=document,
                status=document.status if document else Document.Status.MISSING,
                files=list(document.current_files) if document else [],
            )
        )

    for document_type in types:
        if document_type.scope == Scope.FAMILY:
            if is_requested(document_type.rule, family_facts, None):
                add(document_type, None)
        else:
            for student, student_facts in students:
                if is_requested(document_type.rule, family_facts, student_facts):
                    add(document_type, student)
        if include_existing:
            for (type_id, _student_id), document in by_key.items():
                if type_id == document_type.pk and document.status != Document.Status.MISSING:
                    add(document_type, document.student)
    return rows


def facts_from_accounts(
    family: Family, school_year: SchoolYear
) -> tuple[FamilyFacts, StudentsFacts]:
    """Default facts provider: what the accounts models alone tell.

    Residence and QF come from the family; the payment mode and the students'
    disciplines are not known here (they belong to the re-enrolment), so
    direct-debit and discipline rules are not met: the family page still lists
    the documents already sent for them (``include_existing``). The
    reinscription app plugs a richer provider through DOCUMENTS_FACTS_PROVIDER.
    """
    family_facts = FamilyFacts(
        is_resident=family.is_resident,
        wants_qf_tariff=family.is_resident and family.qf_value is not None,
        pays_by_direct_debit=False,
        bank_changed=False,
    )
    students = [
        (student, StudentFacts(disciplines=frozenset(), is_adult=_is_adult(student, school_year)))
        for student in family.students.all()
    ]
    return family_facts, students


def _is_adult(student: Student, school_year: SchoolYear) -> bool:
    if student.is_adult_learner:
        return True
    if student.birth_date is None:
        return False
    start = school_year.starts_on
    born = student.birth_date
    age = start.year - born.year - ((start.month, start.day) < (born.month, born.day))
    return age >= 18


def family_facts(family: Family, school_year: SchoolYear) -> tuple[FamilyFacts, StudentsFacts]:
    """Facts from the provider configured in ``settings.DOCUMENTS_FACTS_PROVIDER``.

    A provider is ``callable(family, school_year) -> (FamilyFacts, [(Student, StudentFacts)])``.
    """
    provider = import_string(getattr(settings, "DOCUMENTS_FACTS_PROVIDER", FACTS_PROVIDER))
    return provider(family, school_year)


def current_school_year() -> SchoolYear | None:
    """The year whose documents families are asked for: the year families see, if
    ``settings.FAMILY_SCHOOL_YEAR_PROVIDER`` names one (``reinscription`` gives the
    year of the published campaign), else :func:`latest_year_with_types`."""
    provider = getattr(settings, "FAMILY_SCHOOL_YEAR_PROVIDER", "")
    return (import_string(provider)() if provider else None) or latest_year_with_types()


def latest_year_with_types() -> SchoolYear | None:
    """The latest school year that has active document types."""
    return (
        SchoolYear.objects.filter(document_types__active=True)
        .distinct()
        .order_by("-starts_on")
        .first()
    )


# --- Uploads ---------------------------------------------------------------------------


def save_upload(
    document_type: DocumentType,
    family: Family,
    student: Student | None,
    uploaded_file,
    user: User | None,
) -> DocumentFile:
    """Check and store one file for the family's (or student's) document.

    Raises ``ValidationError`` (French message) when the file is refused, or
    when the document cannot receive files (already accepted, wrong scope).
    Sending a file to a refused document replaces its earlier files.
    """
    if document_type.scope == Scope.STUDENT:
        if student is None or student.family_id != family.pk:
            raise ValueError("A per-student document needs a student of this family.")
    elif student is not None:
        raise ValueError("A family document takes no student.")
    checked = check_upload(uploaded_file)

    now = timezone.now()
    with transaction.atomic():
        document, _created = Document.objects.select_for_update().get_or_create(
            type=document_type, family=family, student=student
        )
        if document.status == Document.Status.ACCEPTED:
            raise not_sent(
                checked.original_name,
                _("“%(document)s” has already been accepted: there is nothing more to send."),
                code="already_accepted",
                params={"document": document_type.name},
            )
        if document.status == Document.Status.REFUSED:
            document.files.current().update(replaced_at=now)
        document_file = DocumentFile(
            document=document,
            original_name=checked.original_name,
            size=checked.size,
            content_type=checked.content_type,
            uploaded_by=user if user and user.is_authenticated else None,
        )
        uploaded_file.seek(0)
        # Saves the file under a random name (upload_to), then the row.
        document_file.file.save(f"upload{checked.extension}", uploaded_file, save=False)
        try:
            document_file.save()
            document.status = Document.Status.RECEIVED
            document.received_at = now
            document.save(update_fields=["status", "received_at"])
        except Exception:
            document_file.file.delete(save=False)
            raise
    return document_file


# --- Review ----------------------------------------------------------------------------


class DocumentChanged(Exception):
    """The document changed since the reviewer loaded it (another review, a new file):
    nothing was done; the reviewer looks at it again."""


def review_version(document: Document) -> str:
    """What a reviewer saw of ``document``: its status, when its last file came and when
    it was last reviewed. A review page carries it and hands it back to :func:`accept`
    or :func:`refuse`; any review or upload since changes it (the same status with a
    new file too)."""
    stamps = (document.received_at, document.reviewed_at)
    return "|".join([document.status, *(stamp.isoformat() if stamp else "-" for stamp in stamps)])


def _lock_for_review(document: Document, expected_version: str | None) -> None:
    """Lock the document's row and read its review state again, in ``document``.

    With ``expected_version`` (:func:`review_version` of what the reviewer loaded),
    raise :class:`DocumentChanged` if it is no longer the row's. Call in a transaction.
    """
    current = Document.objects.select_for_update().get(pk=document.pk)
    if expected_version is not None and review_version(current) != expected_version:
        raise DocumentChanged(document.pk)
    for name in ("status", "refusal_reason", "received_at", "reviewed_by_id", "reviewed_at"):
        setattr(document, name, getattr(current, name))


@transaction.atomic
def accept(document: Document, reviewer: User, *, expected_version: str | None = None) -> bool:
    """Accept a received (or previously refused) document. Returns whether it changed.

    ``expected_version`` is :func:`review_version` of the document the reviewer loaded
    (``None``: no page was loaded, a script); if the row changed since, nothing is done
    and :class:`DocumentChanged` is raised. Decided on the locked row.
    """
    _lock_for_review(document, expected_version)
    if document.status not in (Document.Status.RECEIVED, Document.Status.REFUSED):
        return False
    if not document.files.current().exists():
        return False
    document.status = Document.Status.ACCEPTED
    document.refusal_reason = ""
    document.reviewed_by = reviewer
    document.reviewed_at = timezone.now()
    document.save(update_fields=["status", "refusal_reason", "reviewed_by", "reviewed_at"])
    return True


@transaction.atomic
def refuse(
    document: Document, reason: str, reviewer: User, *, expected_version: str | None = None
) -> bool:
    """Refuse a received or accepted document and email the family the reason.

    ``expected_version`` as for :func:`accept`: a document changed since the reviewer
    loaded it is left as it is (:class:`DocumentChanged`), and no email leaves.
    """
    reason = reason.strip()
    if not reason:
        raise ValueError("A refusal needs a reason.")
    _lock_for_review(document, expected_version)
    if document.status not in (Document.Status.RECEIVED, Document.Status.ACCEPTED):
        return False
    document.status = Document.Status.REFUSED
    document.refusal_reason = reason
    document.reviewed_by = reviewer
    document.reviewed_at = timezone.now()
    document.save(update_fields=["status", "refusal_reason", "reviewed_by", "reviewed_at"])
    send_refusal_email(document)
    return True


def send_refusal_email(document: Document) -> None:
    recipients, greeting = family_recipients(document.family)
    if not recipients:
        logger.warning(
            "Document %s refused but family %s has no email.", document.pk, document.family_id
        )
        return
    queue_email(
        "document_refused",
        recipients,
        "documents/emails/refused",
        {
            "family_name": document.family.name,
            "document_name": document.type.name,
            "student_name": document.student.full_name if document.student_id else "",
            "school_year": document.type.school_year.label,
            "reason": document.refusal_reason,
            "documents_url": portal_url("documents:list"),
            **greeting,
        },
    )


# --- Retention -------------------------------------------------------------------------


def retention_months() -> int:
    return int(getattr(settings, "DOCUMENTS_RETENTION_MONTHS", DEFAULT_RETENTION_MONTHS))


def subtract_months(day: datetime.date, months: int) -> datetime.date:
    total = day.year * 12 + (day.month - 1) - months
    year, month = divmod(total, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def expired_files(today: datetime.date | None = None, months: int | None = None):
    """Files whose school year ended at least ``months`` months before ``today``."""
    today = today or timezone.localdate()
    months = retention_months() if months is None else months
    cutoff = subtract_months(today, months)
    return DocumentFile.objects.filter(
        deleted_at__isnull=True, document__type__school_year__ends_on__lte=cutoff
    )


def purge_expired_files(
    today: datetime.date | None = None, months: int | None = None, dry_run: bool = False
) -> int:
    """Delete the stored files past retention; keep the records. Returns how many."""
    count = 0
    for document_file in expired_files(today, months).iterator():
        if dry_run:
            count += 1
            continue
        try:
            if document_file.file.name:
                document_file.file.storage.delete(document_file.file.name)
        except Exception:
            logger.exception("Could not delete stored file %s", document_file.pk)
            continue
        DocumentFile.objects.filter(pk=document_file.pk).update(deleted_at=timezone.now(), file="")
        count += 1
    return count


# --- Who sees which files ----------------------------------------------------------------

# What lets a staff member open every family's files: held by the "Secrétariat" group
# (reinscription/management/commands/setup_groups.py). Being ``is_staff`` is not enough.
FILES_PERMISSION = "documents.view_documentfile"


def sees_every_familys_files(user: User) -> bool:
    """A superuser, or a staff member holding ``FILES_PERMISSION`` (the Secrétariat)."""
    if not user.is_active:
        return False
    return user.is_superuser or (user.is_staff and user.has_perm(FILES_PERMISSION))


def is_staff_refused_files(user: User) -> bool:
    """Staff outside the Secrétariat: the admin lets them in, families' files do not (403)."""
    return user.is_staff and not sees_every_familys_files(user)


def visible_files_q(user: User) -> Q:
    """Files a user may download: their own family's; every family's for the Secrétariat.

    Any other staff account sees none but their own family's (if they are a parent too).
    """
    if sees_every_familys_files(user):
        return Q()
    family_id = getattr(user, "family_id", None)
    return Q(document__family_id=family_id) if family_id else Q(pk__in=[])
