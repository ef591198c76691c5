"""The back office's own records: export jobs, reminders sent, the students' follow-up list."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.models import Family, Student


class ExportJob(models.Model):
    """A ZIP of recap PDFs built by a Celery task; staff follow its progress."""

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting")
        RUNNING = "running", _("in progress")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reenrolment_ids = models.JSONField(_("re-enrolments"), default=list)
    total = models.PositiveIntegerField(_("number of recaps"), default=0)
    done = models.PositiveIntegerField(_("recaps done"), default=0)
    file_name = models.CharField(_("stored file"), max_length=200, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
    )
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("recap export")
        verbose_name_plural = _("recap exports")
        ordering = ["-created_at", "-pk"]

    def __str__(self):
        return _("Recap export no. %(pk)s") % {"pk": self.pk}

    @property
    def percent(self) -> int:
        return int(100 * self.done / self.total) if self.total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


class ReminderSent(models.Model):
    """One reminder emailed to a family that had not finished its re-enrolments."""

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="reminders", on_delete=models.CASCADE
    )
    campaign = models.ForeignKey(
        "reinscription.Campaign",
        verbose_name=_("campaign"),
        related_name="reminders",
        on_delete=models.CASCADE,
    )
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)
    recipients = models.JSONField(_("recipients"), default=list)
    students = models.JSONField(
        _("students without an answer"), default=list, help_text=_("Their names, as sent.")
    )
    email = models.ForeignKey(
        "conservatoire.OutboxEmail",
        verbose_name=_("email"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        help_text=_("Empty for the automatic reminders."),
    )

    class Meta:
        verbose_name = _("reminder sent")
        verbose_name_plural = _("reminders sent")
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["campaign", "family", "sent_at"])]

    def __str__(self):
        return f"{self.family} — {self.sent_at:%d/%m/%Y %H:%M}"


class CampaignStudent(Student):
    """The students as the secretariat follows them through a campaign (admin list)."""

    class Meta:
        proxy = True
        verbose_name = _("student follow-up")
        verbose_name_plural = _("students follow-up")
