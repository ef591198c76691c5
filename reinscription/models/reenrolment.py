"""A family's answer for a student in a campaign, its immutable versions, the wizard's draft."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Student
from conservatoire.fields import EncryptedJSONField

from .campaign import Campaign


class Reenrolment(models.Model):
    """A family's answer for one student in one campaign (one row, a constraint says so).

    Each validation (and each later modification) writes an immutable
    :class:`ReenrolmentSnapshot`; this row holds the latest state.
    """

    class Status(models.TextChoices):
        REENROLLED = "reenrolled", _("re-enrolled")
        DECLINED = "declined", _("not re-enrolled")
        VALIDATED = "validated", _("validated by the conservatoire")

    class Decision(models.TextChoices):
        REENROL = "reenrol", _("re-enrol")
        DECLINE = "decline", _("do not re-enrol")

    student = models.ForeignKey(
        Student, verbose_name=_("student"), related_name="reenrolments", on_delete=models.PROTECT
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="reenrolments", on_delete=models.PROTECT
    )
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, db_index=True)
    decision = models.CharField(_("decision"), max_length=10, choices=Decision.choices)
    decline_reason = models.TextField(_("reason for not re-enrolling"), blank=True)
    payment_mode = models.CharField(_("payment mode"), max_length=10, blank=True)
    image_rights = models.BooleanField(_("image rights"), null=True)
    outing_authorisation = models.BooleanField(_("outing authorisation"), null=True)
    preferences = models.JSONField(_("course preferences"), default=dict, blank=True)
    comments = models.TextField(_("complementary information"), blank=True)
    estimated_total = models.DecimalField(
        _("estimated total"), max_digits=9, decimal_places=2, null=True, blank=True
    )
    rules_version = models.CharField(_("version of the rules accepted"), max_length=30)
    rules_accepted_at = models.DateTimeField(_("rules accepted at"))
    version = models.PositiveIntegerField(_("version"), default=1)
    submitted_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("submitted by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    submitted_at = models.DateTimeField(_("submitted at"))
    validated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("validated by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    validated_at = models.DateTimeField(_("validated at"), null=True, blank=True)
    internal_note = models.TextField(
        _("internal note"), blank=True, help_text=_("Never shown to the family.")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("re-enrolment")
        verbose_name_plural = _("re-enrolments")
        ordering = ["-submitted_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["student", "campaign"], name="reenrolment_unique_per_student_campaign"
            ),
        ]

    def __str__(self):
        return f"{self.student} — {self.campaign}"

    @property
    def can_be_modified(self) -> bool:
        return self.status != self.Status.VALIDATED and self.campaign.is_open()


class ReenrolmentSnapshot(models.Model):
    """What the family validated, as it was: by whom, when, under which rules. Never updated."""

    reenrolment = models.ForeignKey(
        Reenrolment,
        verbose_name=_("re-enrolment"),
        related_name="snapshots",
        on_delete=models.PROTECT,
    )
    version = models.PositiveIntegerField(_("version"))
    data = models.JSONField(_("data"))
    rules_version = models.CharField(_("version of the rules accepted"), max_length=30)
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    created_at = models.DateTimeField(_("at"), default=timezone.now)

    class Meta:
        verbose_name = _("re-enrolment snapshot")
        verbose_name_plural = _("re-enrolment snapshots")
        ordering = ["reenrolment", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["reenrolment", "version"], name="snapshot_unique_version"
            ),
        ]

    def __str__(self):
        return f"{self.reenrolment} v{self.version}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("A snapshot is immutable.")
        super().save(*args, **kwargs)


class WizardDraft(models.Model):
    """The wizard's steps saved server-side, so a family resumes on any device.

    ``data`` is formtools' storage, less the steps holding bank details (step 3's
    IBAN): those are in ``sealed_steps``, encrypted at rest
    (``reinscription.wizard.storage`` splits and joins them). Drafts are deleted at
    validation, and 30 days after their campaign closed (``reinscription.tasks``).
    """

    student = models.ForeignKey(
        Student, verbose_name=_("student"), related_name="drafts", on_delete=models.CASCADE
    )
    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), related_name="drafts", on_delete=models.CASCADE
    )
    data = models.JSONField(_("data"), default=dict)
    sealed_steps = EncryptedJSONField(
        _("steps with bank details (encrypted)"), default=dict, blank=True, editable=False
    )
    updated_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("wizard draft")
        verbose_name_plural = _("wizard drafts")
        constraints = [
            models.UniqueConstraint(fields=["student", "campaign"], name="draft_unique"),
        ]

    def __str__(self):
        return f"{self.student} — {self.campaign}"
