"""Requested documents and their uploads.

A :class:`DocumentType` is requested, for one school year (the campaign), from
the families or students its rule selects (``documents.rules``). A
:class:`Document` is one family's (or one student's) answer to a type: its
review status and the :class:`DocumentFile` uploads (front and back of a page…).
Files live in the private default storage under random names and are only
served by ``documents:download``.
"""

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Family, Student
from conservatoire.models import SchoolYear

from . import rules
from .validators import ALLOWED_TYPES

# The type whose row offers the "Télécharger le mandat SEPA" link.
SEPA_MANDATE_CODE = "mandat-sepa"


class Scope(models.TextChoices):
    FAMILY = "family", pgettext_lazy("document scope", "Family")
    STUDENT = "student", pgettext_lazy("document scope", "Each student")


class DocumentType(models.Model):
    """A piece requested for a school year: QF attestation, proof of address…"""

    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name=_("school year"),
        related_name="document_types",
        on_delete=models.PROTECT,
    )
    code = models.SlugField(
        _("code"),
        max_length=40,
        help_text=_('Stable key. The code "mandat-sepa" adds the SEPA mandate download link.'),
    )
    name = models.CharField(_("name"), max_length=150)
    help_text = models.TextField(
        _("explanation for families"),
        blank=True,
        help_text=_("Shown under the document's name in the families' table."),
    )
    scope = models.CharField(
        _("requested from"), max_length=10, choices=Scope.choices, default=Scope.FAMILY
    )
    rule = models.CharField(
        _("rule"),
        max_length=40,
        choices=rules.rule_choices,
        default="always",
        help_text=_("Who must provide this document."),
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("document type")
        verbose_name_plural = _("document types")
        ordering = ["school_year", "order", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "code"], name="document_type_unique_code_per_year"
            ),
        ]

    def __str__(self):
        return f"{self.name} ({self.school_year})"

    def clean(self):
        super().clean()
        rule = rules.RULES.get(self.rule)
        if rule is not None and rule.needs_student and self.scope != Scope.STUDENT:
            raise ValidationError(
                {"scope": _("This rule concerns students: request the document from each student.")}
            )

    @property
    def is_sepa_mandate(self) -> bool:
        return self.code == SEPA_MANDATE_CODE


class Document(models.Model):
    """A family's (or a student's) document for a type, and its review."""

    class Status(models.TextChoices):
        MISSING = "missing", pgettext_lazy("document status", "missing")
        RECEIVED = "received", pgettext_lazy("document status", "received")
        ACCEPTED = "accepted", pgettext_lazy("document status", "accepted")
        REFUSED = "refused", pgettext_lazy("document status", "refused")

    type = models.ForeignKey(
        DocumentType,
        verbose_name=_("document type"),
        related_name="documents",
        on_delete=models.PROTECT,
    )
    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="documents", on_delete=models.PROTECT
    )
    student = models.ForeignKey(
        Student,
        verbose_name=_("student"),
        related_name="documents",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MISSING, db_index=True
    )
    refusal_reason = models.TextField(_("reason for refusal"), blank=True)
    received_at = models.DateTimeField(_("last file received at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["received_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["type", "family"],
                condition=models.Q(student__isnull=True),
                name="document_unique_per_type_family",
            ),
            models.UniqueConstraint(
                fields=["type", "family", "student"],
                condition=models.Q(student__isnull=False),
                name="document_unique_per_type_family_student",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="refused") | ~models.Q(refusal_reason=""),
                name="document_refusal_has_reason",
            ),
        ]

    def __str__(self):
        if self.student_id:
            return f"{self.type.name} — {self.student}"
        return f"{self.type.name} — {self.family}"

    def clean(self):
        super().clean()
        if self.status == self.Status.REFUSED and not self.refusal_reason.strip():
            raise ValidationError({"refusal_reason": _("Give the reason for the refusal.")})
        if self.type_id is None or self.family_id is None:
            return
        if self.type.scope == Scope.STUDENT and self.student_id is None:
            raise ValidationError({"student": _("This document is requested for each student.")})
        if self.type.scope == Scope.FAMILY and self.student_id is not None:
            raise ValidationError({"student": _("This document concerns the whole family.")})
        if self.student_id is not None and self.student.family_id != self.family_id:
            raise ValidationError({"student": _("This student belongs to another family.")})


def document_upload_to(instance: "DocumentFile", filename: str) -> str:
    """A random name in the private ``documents/`` folder; the extension is the detected one."""
    extension = ALLOWED_TYPES.get(instance.content_type, "")
    return f"documents/{uuid.uuid4().hex}{extension}"


class DocumentFileQuerySet(models.QuerySet):
    def current(self):
        """Files still stored and not replaced by a later upload."""
        return self.filter(deleted_at__isnull=True, replaced_at__isnull=True)


class DocumentFile(models.Model):
    """One uploaded file of a document (a document may have several)."""

    document = models.ForeignKey(
        Document, verbose_name=_("document"), related_name="files", on_delete=models.PROTECT
    )
    file = models.FileField(_("stored file"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("original name"), max_length=120)
    size = models.PositiveIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("detected type"), max_length=40)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("uploaded by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    replaced_at = models.DateTimeField(
        _("replaced at"),
        null=True,
        blank=True,
        help_text=_("Set when the family sent new files after a refusal."),
    )
    deleted_at = models.DateTimeField(
        _("file deleted at"),
        null=True,
        blank=True,
        help_text=_("The stored file was deleted (retention); its record is kept."),
    )

    objects = DocumentFileQuerySet.as_manager()

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        ordering = ["uploaded_at", "pk"]

    def __str__(self):
        return self.original_name

    @property
    def is_available(self) -> bool:
        return self.deleted_at is None and bool(self.file.name)
