"""The debit ledger: a month's collection batch and its debit lines (statuses,
sequence types, rejections)."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from conservatoire.fields import EncryptedBinaryField, EncryptedTextField
from conservatoire.models import SchoolYear

from ..rules import ledger as ledger_rules
from ..rules.sepa import HOLDER_MAX_LENGTH
from .common import MONEY
from .family import FamilyBilling
from .mandates import Mandate


class CollectionBatch(models.Model):
    """A month's direct debits as handed to the bank: recorded once, its files kept.

    Exporting a month records the batch and its lines, then produces the CSV and
    the pain.008 file from them; exporting the month again gives back these same
    bytes (same message id), never a second set of debits.
    """

    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), related_name="+", on_delete=models.PROTECT
    )
    month = models.DateField(_("debit month"), help_text=_("The first day of the month."))
    collection_date = models.DateField(_("collection date"))
    message_id = models.CharField(_("message id"), max_length=35, unique=True)
    schema = models.CharField(_("file format"), max_length=20)
    # Both files list the families' IBANs: encrypted at rest.
    sepa_file = EncryptedBinaryField(_("SEPA file"), editable=False)
    csv_file = EncryptedBinaryField(_("CSV file"), editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("exported by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    created_at = models.DateTimeField(_("exported at"), default=timezone.now)
    collected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("marked collected by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    collected_at = models.DateTimeField(_("marked collected at"), null=True, blank=True)

    class Meta:
        verbose_name = _("collection batch")
        verbose_name_plural = _("collection batches")
        ordering = ["-school_year__starts_on", "-month"]
        constraints = [
            models.UniqueConstraint(
                fields=["school_year", "month"], name="collection_batch_one_per_month"
            ),
            models.CheckConstraint(
                condition=models.Q(collection_date__gte=models.F("month")),
                name="collection_batch_collected_from_its_month",
            ),
        ]

    def __str__(self):
        return _("Debits of %(month)s") % {"month": self.month.strftime("%m/%Y")}


class DebitStatus(models.TextChoices):
    SCHEDULED = ledger_rules.SCHEDULED, pgettext_lazy("debit", "scheduled")
    COLLECTED = ledger_rules.COLLECTED, pgettext_lazy("debit", "collected")
    REJECTED = ledger_rules.REJECTED, pgettext_lazy("debit", "rejected")


class SequenceType(models.TextChoices):
    FIRST = "FRST", _("first debit (FRST)")
    RECURRING = "RCUR", _("recurring debit (RCUR)")


class RejectionResolution(models.TextChoices):
    REPRESENT = ledger_rules.REPRESENT, _("present it again with next month's debit")
    SINGLE_PAYMENT = ledger_rules.SINGLE_PAYMENT, _("move it to a single payment (invoice)")


class RejectionReason(models.TextChoices):
    """The ISO 20022 reason codes of the R-transactions a French bank reports most."""

    AC01 = "AC01", _("AC01 — incorrect account number")
    AC04 = "AC04", _("AC04 — account closed")
    AC06 = "AC06", _("AC06 — account blocked")
    AG01 = "AG01", _("AG01 — direct debit forbidden on this account")
    AM04 = "AM04", _("AM04 — insufficient funds")
    MD01 = "MD01", _("MD01 — no valid mandate")
    MD02 = "MD02", _("MD02 — mandate data missing or incorrect")
    MD06 = "MD06", _("MD06 — refund requested by the debtor")
    MD07 = "MD07", _("MD07 — debtor deceased")
    MS02 = "MS02", _("MS02 — refused by the debtor")
    MS03 = "MS03", _("MS03 — reason not specified")
    SL01 = "SL01", _("SL01 — specific service of the debtor's bank")


class DebitLine(models.Model):
    """One family's debit in a batch, as sent to the bank (the mandate's data copied).

    ``amount`` includes ``represented_amount``: rejected debits presented again with
    this one (each of them then points here through ``represented_by``).
    """

    batch = models.ForeignKey(
        CollectionBatch, verbose_name=_("batch"), related_name="lines", on_delete=models.PROTECT
    )
    billing = models.ForeignKey(
        FamilyBilling,
        verbose_name=_("family billing"),
        related_name="debit_lines",
        on_delete=models.PROTECT,
    )
    mandate = models.ForeignKey(
        Mandate, verbose_name=_("mandate"), related_name="debit_lines", on_delete=models.PROTECT
    )
    rum = models.CharField(_("RUM"), max_length=35)
    iban = EncryptedTextField(_("IBAN"), max_length=34)  # encrypted at rest
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    holder = models.CharField(_("account holder"), max_length=HOLDER_MAX_LENGTH)
    mandate_signed_on = models.DateField(_("mandate signed on"))
    original_rum = models.CharField(
        _("amended mandate's RUM"),
        max_length=35,
        blank=True,
        help_text=_("Set on the first debit after an amendment: the file says so to the bank."),
    )
    original_iban = EncryptedTextField(_("amended mandate's IBAN"), max_length=34, blank=True)
    amount = models.DecimalField(_("amount"), **MONEY)
    represented_amount = models.DecimalField(
        _("of which presented again"), default=Decimal("0.00"), **MONEY
    )
    collection_date = models.DateField(_("collection date"))
    instalment_number = models.PositiveSmallIntegerField(_("instalment number"))
    instalment_count = models.PositiveSmallIntegerField(_("instalments in the year"))
    sequence_type = models.CharField(_("sequence type"), max_length=4, choices=SequenceType.choices)
    end_to_end_id = models.CharField(_("end-to-end id"), max_length=35, unique=True)
    description = models.CharField(_("remittance information"), max_length=140)
    status = models.CharField(
        _("status"), max_length=10, choices=DebitStatus.choices, default=DebitStatus.SCHEDULED
    )
    rejection_reason = models.CharField(
        _("rejection reason"), max_length=4, choices=RejectionReason.choices, blank=True
    )
    rejected_on = models.DateField(_("rejected on"), null=True, blank=True)
    rejection_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("rejection recorded by"),
        related_name="+",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    resolution = models.CharField(
        _("follow-up of the rejection"),
        max_length=20,
        choices=RejectionResolution.choices,
        blank=True,
    )
    represented_by = models.ForeignKey(
        "self",
        verbose_name=_("presented again in"),
        related_name="represents",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("debit")
        verbose_name_plural = _("debits")
        ordering = ["batch", "billing__family__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["batch", "billing"],
                condition=~models.Q(status=ledger_rules.REJECTED),
                name="debit_line_one_per_family_and_batch",
            ),
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="debit_line_positive"),
            models.CheckConstraint(
                condition=models.Q(represented_amount__gte=0)
                & models.Q(represented_amount__lte=models.F("amount")),
                name="debit_line_represented_within_amount",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(status=ledger_rules.REJECTED, rejected_on__isnull=False)
                    & ~models.Q(rejection_reason="")
                    & ~models.Q(resolution="")
                )
                | (
                    ~models.Q(status=ledger_rules.REJECTED)
                    & models.Q(rejected_on__isnull=True, rejection_reason="", resolution="")
                ),
                name="debit_line_rejection_complete",
            ),
            models.CheckConstraint(
                condition=models.Q(represented_by__isnull=True)
                | models.Q(resolution=ledger_rules.REPRESENT),
                name="debit_line_represented_only_if_asked",
            ),
        ]
        indexes = [models.Index(fields=["billing", "status"])]

    def __str__(self):
        return f"{self.rum} {self.collection_date:%d/%m/%Y} {self.amount} €"

    def as_entry(self) -> ledger_rules.Entry:
        return ledger_rules.Entry(
            amount=self.amount,
            status=self.status,
            resolution=self.resolution,
            represented=self.represented_by_id is not None,
        )
