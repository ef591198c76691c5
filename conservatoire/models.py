"""Shared models: the school year every app refers to (with its billing calendar), the
conservatoire's identity (one record staff edit), and the email outbox."""

import datetime
import logging
import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import (
    FileExtensionValidator,
    MaxValueValidator,
    MinValueValidator,
    RegexValidator,
)
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

# The calendar of a school year starting in September of year Y (the family guide's
# 2025-2026 values: "à partir du 25 octobre 2025", 9 debits from November, QF 2025,
# "changement de banque depuis septembre 2024").
SINGLE_PAYMENT_MONTH_DAY = (10, 25)
FIRST_DEBIT_MONTH = 11
DEFAULT_INSTALMENTS = 9
BANK_CHANGE_MONTH = 9  # of the year before


class SchoolYear(models.Model):
    """A school year, September to August (``2025-2026``).

    It lives here, below every app, because billing (tariff grids) and
    documents (retention) need it and must not import ``reinscription``.
    """

    label = models.CharField(_("label"), max_length=9, unique=True, help_text="2025-2026")
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    # What the family pages, the emails and the billing say of this year: left empty in
    # the admin, each takes the default derived from the first year (calendar_defaults).
    single_payment_on = models.DateField(
        _("single payment invoiced from"),
        blank=True,
        help_text=_(
            "“Payment in one instalment from …”: the date of the invoice. "
            "Empty: 25 October of the first year."
        ),
    )
    first_debit_on = models.DateField(
        _("first direct debit"),
        blank=True,
        help_text=_(
            "The month of the first direct debit (debits are on the 1st of each month). "
            "Empty: November of the first year."
        ),
    )
    instalments = models.PositiveSmallIntegerField(
        _("number of direct debits"),
        default=DEFAULT_INSTALMENTS,
        validators=[MinValueValidator(1), MaxValueValidator(12)],
        help_text=_("One a month from the first; also the basis of the proration of a late start."),
    )
    qf_year = models.PositiveSmallIntegerField(
        _("year of the quotient familial"),
        blank=True,
        help_text=_("The year of the CAF certificate asked for. Empty: the first year."),
    )
    bank_change_since = models.DateField(
        _("bank change reference date"),
        blank=True,
        help_text=_(
            "“Has your bank changed since …?”: a new SEPA mandate and RIB are asked only "
            "after a change since this month. Empty: September of the year before."
        ),
    )

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

    def save(self, *args, **kwargs):
        self.fill_calendar()
        super().save(*args, **kwargs)

    @classmethod
    def calendar_defaults(cls, start_year: int) -> dict:
        """The calendar of the school year starting in September of ``start_year``:
        2025 gives 25 October 2025, debits from 1 November 2025 (9), QF 2025 and a bank
        change since 1 September 2024."""
        month, day = SINGLE_PAYMENT_MONTH_DAY
        return {
            "single_payment_on": datetime.date(start_year, month, day),
            "first_debit_on": datetime.date(start_year, FIRST_DEBIT_MONTH, 1),
            "instalments": DEFAULT_INSTALMENTS,
            "qf_year": start_year,
            "bank_change_since": datetime.date(start_year - 1, BANK_CHANGE_MONTH, 1),
        }

    @classmethod
    def for_start_year(cls, year: int) -> "SchoolYear":
        """Get or create the school year starting in September of ``year``."""
        obj, _created = cls.objects.get_or_create(
            label=f"{year}-{year + 1}",
            defaults={
                "starts_on": datetime.date(year, 9, 1),
                "ends_on": datetime.date(year + 1, 8, 31),
                **cls.calendar_defaults(year),
            },
        )
        return obj

    def fill_calendar(self) -> None:
        """Give each empty calendar field its default; debits fall on the 1st of a month."""
        for name in ("starts_on", "ends_on", "first_debit_on"):  # "2026-09-01" given as text
            value = getattr(self, name)
            if isinstance(value, str) and value:
                setattr(self, name, self._meta.get_field(name).to_python(value))
        if self.starts_on:
            for name, value in self.calendar_defaults(self.starts_on.year).items():
                if getattr(self, name) in (None, ""):
                    setattr(self, name, value)
        if self.first_debit_on:
            self.first_debit_on = self.first_debit_on.replace(day=1)

    def calendar_summary(self) -> str:
        """One line for the staff: what the families are told of this year."""
        return _(
            "single payment invoiced from %(single)s; %(number)s direct debits, the first in "
            "%(first)s; quotient familial %(qf)s; bank change since %(since)s"
        ) % {
            "single": date_format(self.single_payment_on, "j F Y"),
            "number": self.instalments,
            "first": date_format(self.first_debit_on, "F Y"),
            "qf": self.qf_year,
            "since": date_format(self.bank_change_since, "F Y"),
        }

    @property
    def last_debit_on(self) -> datetime.date:
        """The 1st of the month of the last direct debit."""
        index = self.first_debit_on.month - 1 + self.instalments - 1
        return datetime.date(self.first_debit_on.year + index // 12, index % 12 + 1, 1)

    def clean(self):
        super().clean()
        if not (self.starts_on and self.ends_on) or self.ends_on <= self.starts_on:
            return
        self.fill_calendar()
        errors = {}
        if not self.starts_on <= self.single_payment_on <= self.ends_on:
            errors["single_payment_on"] = _("Choose a date within the school year.")
        if not self.starts_on <= self.first_debit_on <= self.ends_on:
            errors["first_debit_on"] = _("Choose a month within the school year.")
        elif self.instalments and self.last_debit_on > self.ends_on:
            errors["instalments"] = _(
                "The last direct debit would fall after the end of the school year."
            )
        if errors:
            raise ValidationError(errors)


# The address of the identity's logo in a PDF: the one file outside the static files
# conservatoire.pdf's URL fetcher serves.
PDF_LOGO_URL = "file:///conservatoire-identity-logo"

# The identity is read on every page: kept in each process this long (a change made in
# another process shows within it; the process that saves sees it at once).
IDENTITY_CACHE_SECONDS = 60
_identity_shared: dict = {}


class Identity(models.Model):
    """The conservatoire's identity: one record (``pk`` 1) staff edit in the admin.

    Every page, email and PDF reads it through :meth:`current` (cached per process);
    ``settings.CONSERVATOIRE`` and ``settings.BILLING_CREDITOR["ics"]`` only seed it
    the first time it is read.
    """

    SINGLETON_PK = 1

    name = models.CharField(_("name"), max_length=150)
    commune = models.CharField(
        _("commune"),
        max_length=100,
        help_text=_("The commune whose residents pay by quotient familial (“Resident of …”)."),
    )
    address = models.CharField(
        _("address"),
        max_length=255,
        help_text=_("Lines separated by commas: the street, then the postal code and the town."),
    )
    email = models.EmailField(_("email"))
    phone = models.CharField(_("phone"), max_length=30, blank=True)
    website = models.URLField(_("website"), blank=True)
    planning_url = models.URLField(
        _("planning page"),
        blank=True,
        help_text=_("The page of the provisional course plannings, linked from the wizard."),
    )
    ics = models.CharField(
        _("SEPA creditor identifier (ICS)"),
        max_length=35,
        validators=[
            RegexValidator(
                r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{3}[A-Z0-9]{1,28}$",
                _("An ICS looks like FR12ZZZ123456 (capital letters and digits, no space)."),
            )
        ],
    )
    logo = models.ImageField(
        _("logo for the PDFs"),
        upload_to="identity/",
        blank=True,
        validators=[FileExtensionValidator(["png", "jpg", "jpeg"])],
        help_text=_("PNG or JPEG, shown at the top of the recap and of the SEPA mandate."),
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("conservatoire identity")
        verbose_name_plural = _("conservatoire identity")
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="identity_is_a_singleton"),
        ]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.pk = self.SINGLETON_PK
        super().save(*args, **kwargs)

    @classmethod
    def seed_values(cls) -> dict:
        """The first values, from the settings (``CONSERVATOIRE``, the creditor's ICS)."""
        seed = getattr(settings, "CONSERVATOIRE", None) or {}
        creditor = getattr(settings, "BILLING_CREDITOR", None) or {}
        return {
            "name": seed.get("name", "Conservatoire"),
            "commune": seed.get("commune", ""),
            "address": seed.get("address", ""),
            "email": seed.get("email", ""),
            "phone": seed.get("phone", ""),
            "website": seed.get("website", ""),
            "planning_url": seed.get("planning_url", ""),
            "ics": seed.get("ics") or creditor.get("ics", ""),
        }

    @classmethod
    def current(cls) -> "Identity":
        """The identity, read once per process every ``IDENTITY_CACHE_SECONDS`` (created
        from the settings the first time). The database down: the settings' values."""
        cached = _identity_shared.get("value")
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        try:
            identity, _created = cls.objects.get_or_create(
                pk=cls.SINGLETON_PK, defaults=cls.seed_values()
            )
        except DatabaseError:
            logger.warning("Identity unreadable: the settings' values are used.", exc_info=True)
            return cls(pk=cls.SINGLETON_PK, **cls.seed_values())
        _identity_shared["value"] = (time.monotonic() + IDENTITY_CACHE_SECONDS, identity)
        return identity

    @classmethod
    def clear_cache(cls) -> None:
        _identity_shared.pop("value", None)

    @property
    def address_lines(self) -> list[str]:
        return [part.strip() for part in self.address.split(",") if part.strip()]

    @property
    def pdf_logo_url(self) -> str:
        """The logo's address in a PDF template (empty without a logo)."""
        return PDF_LOGO_URL if self.logo else ""

    def logo_bytes(self) -> tuple[bytes, str] | None:
        """The logo's content and type, for the PDFs (None when there is none)."""
        if not self.logo:
            return None
        try:
            with self.logo.open("rb") as handle:
                data = handle.read()
        except OSError:
            logger.warning("The identity's logo %s cannot be read.", self.logo.name)
            return None
        mime = "image/png" if self.logo.name.lower().endswith(".png") else "image/jpeg"
        return data, mime


def _identity_changed(**kwargs):
    Identity.clear_cache()
    transaction.on_commit(Identity.clear_cache)


models.signals.post_save.connect(_identity_changed, sender=Identity)
models.signals.post_delete.connect(_identity_changed, sender=Identity)


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
