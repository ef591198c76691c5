"""Shared models: the school year every app refers to, and the email outbox."""

import datetime

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class SchoolYear(models.Model):
    """A school year, September to August (``2025-2026``).

    It lives here, below every app, because billing (tariff grids) and
    documents (retention) need it and must not import ``reinscription``.
    """

    label = models.CharField(_("label"), max_length=9, unique=True, help_text="2025-2026")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))

    class Meta:
        verbose_name = _("school year")
        verbose_name_plural = _("school years")
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__gt=models.F("starts_on")),
                name="school_year_ends_after_start",
            ),
        ]

    def __str__(self):
        return self.label

    @classmethod
    def for_start_year(cls, year: int) -> "SchoolYear":
        """Get or create the school year starting in September of ``year``."""
        obj, _created = cls.objects.get_or_create(
            label=f"{year}-{year + 1}",
            defaults={
                "starts_on": datetime.date(year, 9, 1),
                "ends_on": datetime.date(year + 1, 8, 31),
            },
        )
        return obj


# A failed sending is tried again for this long after the email was queued (or sent
# again by the staff) before the row is marked failed and shown to the staff.
OUTBOX_RETRY_WINDOW = datetime.timedelta(hours=72)


def outbox_retry_deadline() -> datetime.datetime:
    """When a row queued now stops being retried (``OutboxEmail.retry_until``)."""
    return timezone.now() + OUTBOX_RETRY_WINDOW


class OutboxEmail(models.Model):
    """An email that must arrive: saved first, sent by a Celery task after commit.

    The task locks the row, sends, marks it sent. A failed sending is tried again
    with a growing delay (``next_attempt_at``) until ``retry_until``, 72 hours after
    queuing; only then is the row ``failed``, for the staff to look at and send
    again. A periodic task (``drain_outbox``) hands the due rows to the workers,
    and the rows the broker never delivered. See ``conservatoire.emails`` and
    ``conservatoire.tasks``.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    kind = models.CharField(_("kind"), max_length=50, db_index=True)
    to = models.JSONField(_("recipients"), default=list)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body_text = models.TextField(_("text body"), blank=True)
    body_html = models.TextField(_("HTML body"), blank=True)
    # Files attached at send time: [{"storage_name", "filename", "mimetype"}], or
    # [{"generator": "dotted.path", "pk": 1}] for a file made when sending
    # (the callable returns (filename, bytes, mimetype)).
    attachments = models.JSONField(_("attachments"), default=list, blank=True)
    # For emails rendered at send time (a secret that must not be stored),
    # the builder's name and the primary key it needs.
    builder = models.CharField(_("builder"), max_length=100, blank=True)
    builder_pk = models.BigIntegerField(_("builder object"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # After a failed attempt, when the drain hands the row to a worker again
    # (empty: never attempted, or no attempt planned).
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    retry_until = models.DateTimeField(
        _("retried until"),
        default=outbox_retry_deadline,
        help_text=_("A sending still failing after this is marked failed."),
    )

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "next_attempt_at"], name="outbox_status_next_attempt"),
        ]

    def __str__(self):
        return f"{self.kind} → {', '.join(self.to)}"
