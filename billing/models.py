"""Formulas, tariff grids (QF brackets, prices, reductions), family billing and mandates."""

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Family
from conservatoire.fields import EncryptedBinaryField, EncryptedTextField
from conservatoire.models import SchoolYear

from .rules import ledger as ledger_rules
from .rules import schedule as schedule_rules
from .rules.brackets import Bracket
from .rules.sepa import HOLDER_MAX_LENGTH, mask_iban

MONEY = {"max_digits": 9, "decimal_places": 2}


class Formula(models.Model):
    """A priced formula: Éveil artistique, cursus musique, danse, théâtre…"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=150)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    sibling_reduction = models.BooleanField(
        _("sibling reduction applies"),
        default=True,
        help_text=_("Untick for formulas that never get the sibling reduction (adults)."),
    )

    class Meta:
        verbose_name = _("formula")
        verbose_name_plural = _("formulas")
        ordering = ["order", "name"]

    def __str__(self):
        return self.name


class PaymentMode(models.TextChoices):
    ONCE = schedule_rules.ONCE, pgettext_lazy("guide", "Payment in one instalment")
    # The number of debits is the school year's (SchoolYear.instalments): the family
    # pages say it ("Automatic direct debit in %(number)s instalments").
    MONTHLY = schedule_rules.MONTHLY, pgettext_lazy("guide", "Automatic direct debit")


class TariffGrid(models.Model):
    """The prices of a school year: QF brackets for residents, a non-resident tariff."""

    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name=_("school year"),
        related_name="tariff_grids",
        on_delete=models.PROTECT,
    )
    pass_culture_amount = models.DecimalField(
        _("Pass'Culture deduction"),
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Deducted once from the total of a family that uses a Pass'Culture."),
        **MONEY,
    )
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("tariff grid")
        verbose_name_plural = _("tariff grids")
        ordering = ["-school_year__starts_on"]
        constraints = [
            models.UniqueConstraint(fields=["school_year"], name="tariff_grid_one_per_year"),
        ]

    def __str__(self):
        return _("Tariff grid %(year)s") % {"year": self.school_year}


class QFBracket(models.Model):
    """A line of the grid for residents: a QF range, both bounds inclusive."""

    grid = models.ForeignKey(
        TariffGrid, verbose_name=_("grid"), related_name="brackets", on_delete=models.CASCADE
    )
    label = models.CharField(_("label"), max_length=60)
    min_qf = models.PositiveIntegerField(_("minimum QF (inclusive)"))
    max_qf = models.PositiveIntegerField(
        _("maximum QF (inclusive)"), null=True, blank=True, help_text=_("Empty: no maximum.")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("QF bracket")
        verbose_name_plural = _("QF brackets")
        ordering = ["grid", "min_qf"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "label"], name="bracket_unique_label"),
            models.CheckConstraint(
                condition=models.Q(max_qf__isnull=True) | models.Q(max_qf__gte=models.F("min_qf")),
                name="bracket_max_not_below_min",
            ),
        ]

    def __str__(self):
        return self.label

    def as_rule(self) -> Bracket:
        return Bracket(
            key=str(self.pk),
            label=self.label,
            min_qf=self.min_qf,
            max_qf=self.max_qf,
            order=self.order,
        )


class Price(models.Model):
    """The annual price of a formula for a bracket (no bracket: non-residents)."""

    grid = models.ForeignKey(
        TariffGrid, verbose_name=_("grid"), related_name="prices", on_delete=models.CASCADE
    )
    formula = models.ForeignKey(
        Formula, verbose_name=_("formula"), related_name="prices", on_delete=models.PROTECT
    )
    bracket = models.ForeignKey(
        QFBracket,
        verbose_name=_("QF bracket"),
        related_name="prices",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        help_text=_("Empty: the non-resident tariff."),
    )
    amount = models.DecimalField(
        _("annual price"), validators=[MinValueValidator(Decimal("0"))], **MONEY
    )

    class Meta:
        verbose_name = _("price")
        verbose_name_plural = _("prices")
        ordering = ["grid", "formula__order", "bracket__min_qf"]
        constraints = [
            models.UniqueConstraint(
                fields=["grid", "formula", "bracket"], name="price_unique_per_bracket"
            ),
            models.UniqueConstraint(
                fields=["grid", "formula"],
                condition=models.Q(bracket__isnull=True),
                name="price_unique_non_resident",
            ),
            models.CheckConstraint(condition=models.Q(amount__gte=0), name="price_not_negative"),
        ]

    def __str__(self):
        bracket = self.bracket.label if self.bracket_id else _("non-resident")
        return f"{self.formula} — {bracket}"

    def clean(self):
        if self.bracket_id and self.grid_id and self.bracket.grid_id != self.grid_id:
            raise ValidationError({"bracket": _("This bracket belongs to another grid.")})


class SiblingReduction(models.Model):
    """From the ``from_rank``-th enrolment of a family on: −``percent`` %."""

    grid = models.ForeignKey(
        TariffGrid, verbose_name=_("grid"), related_name="reductions", on_delete=models.CASCADE
    )
    from_rank = models.PositiveSmallIntegerField(
        _("from rank"),
        validators=[MinValueValidator(2)],
        help_text=_("2: the second enrolment (ordered from the most to the least expensive)."),
    )
    percent = models.DecimalField(
        _("reduction (%)"),
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        verbose_name = _("sibling reduction")
        verbose_name_plural = _("sibling reductions")
        ordering = ["grid", "from_rank"]
        constraints = [
            models.UniqueConstraint(fields=["grid", "from_rank"], name="reduction_unique_rank"),
            models.CheckConstraint(
                condition=models.Q(percent__gte=0) & models.Q(percent__lte=100),
                name="reduction_percent_range",
            ),
        ]

    def __str__(self):
        return _("from the %(rank)sth enrolment: −%(percent)s %%") % {
            "rank": self.from_rank,
            "percent": f"{self.percent.normalize():f}",
        }


class FamilyBilling(models.Model):
    """A family's billing for a school year: payment mode, estimate, final amount.

    What was debited is in its ``debit_lines`` (see :class:`DebitLine`); deleting
    the family is refused while it has a billing (``PROTECT``).
    """

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="billings", on_delete=models.PROTECT
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), related_name="+", on_delete=models.PROTECT
    )
    payment_mode = models.CharField(
        _("payment mode"), max_length=10, choices=PaymentMode.choices, default=PaymentMode.ONCE
    )
    bank_changed = models.BooleanField(
        _("bank changed"),
        default=False,
        help_text=_(
            "Since the school year's bank change reference date (“changement de banque "
            "depuis …”): a new SEPA mandate and RIB are then required."
        ),
    )
    pass_culture_number = models.CharField(_("Pass'Culture number"), max_length=40, blank=True)
    estimated_total = models.DecimalField(_("estimated total"), null=True, blank=True, **MONEY)
    estimated_at = models.DateTimeField(_("estimated at"), null=True, blank=True)
    starts_on = models.DateField(
        _("first start"),
        null=True,
        blank=True,
        help_text=_("The family's earliest start date, for a student arriving during the year."),
    )
    final_amount = models.DecimalField(
        _("final amount"),
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Set by the secretariat; the family then sees it instead of the estimate."),
        **MONEY,
    )
    final_reason = models.TextField(_("reason for the final amount"), blank=True)
    final_set_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("final amount set by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
    )
    final_set_at = models.DateTimeField(_("final amount set at"), null=True, blank=True)
    prenotified_at = models.DateTimeField(_("schedule pre-notified at"), null=True, blank=True)
    prenotified_total = models.DecimalField(_("pre-notified total"), null=True, blank=True, **MONEY)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("family billing")
        verbose_name_plural = _("family billings")
        ordering = ["school_year", "family__name", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["family", "school_year"], name="family_billing_unique_per_year"
            ),
            models.CheckConstraint(
                condition=models.Q(final_amount__isnull=True) | models.Q(final_amount__gte=0),
                name="final_amount_not_negative",
            ),
        ]

    def __str__(self):
        return f"{self.family} — {self.school_year}"

    @property
    def amount_due(self) -> Decimal | None:
        """The final amount when set, otherwise the last estimate."""
        return self.final_amount if self.final_amount is not None else self.estimated_total

    def schedule(self) -> list[schedule_rules.Instalment]:
        """The instalments of the amount due as planned from the start of the year (empty
        when nothing is known yet). What is actually debited is the ledger's
        (:mod:`billing.ledger`): after a change mid-year, only the future debits move."""
        if self.amount_due is None:
            return []
        return schedule_rules.schedule(
            self.amount_due,
            self.payment_mode,
            schedule_rules.PaymentCalendar.of(self.school_year),
            self.starts_on,
        )


class MandateQuerySet(models.QuerySet):
    """A family's current mandate is its latest one (possibly a reserved one without IBAN)."""

    def current_for(self, family: Family) -> "Mandate | None":
        return self.filter(family=family).order_by("-created_at", "-pk").first()

    def current_by_family(self, family_ids) -> "dict[int, Mandate]":
        """Each family's current mandate, in one query."""
        current: dict[int, Mandate] = {}
        for mandate in self.filter(family_id__in=list(family_ids)).order_by(
            "family_id", "created_at", "pk"
        ):
            current[mandate.family_id] = mandate
        return current


class Mandate(models.Model):
    """A SEPA direct-debit mandate of a family (RUM, debtor account, signature date).

    The IBAN is encrypted at rest (``conservatoire.fields``, history included) and
    shown in full only to staff (admin, exports) and on the family's own mandate
    PDF; every other family-facing page uses ``masked_iban``.
    A mandate without IBAN is a reference reserved for a blank form.

    A mandate is never deleted (debit lines point to it, ``PROTECT``) and its
    family, RUM and IBAN do not change once recorded: a new account is a new
    mandate (new RUM) or an amendment, a new mandate whose ``amended_from`` is the
    previous one (the next debit file tells the bank, see ``billing.backoffice.exports``).
    """

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="mandates", on_delete=models.PROTECT
    )
    rum = models.CharField(_("unique mandate reference (RUM)"), max_length=35, unique=True)
    iban = EncryptedTextField(_("IBAN"), max_length=34, blank=True)  # encrypted at rest
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    holder = models.CharField(_("account holder"), max_length=HOLDER_MAX_LENGTH, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    amended_from = models.ForeignKey(
        "self",
        verbose_name=_("amendment of"),
        related_name="amendments",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        help_text=_("The mandate this one amends (a change of bank account)."),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    history = HistoricalRecords()

    objects = MandateQuerySet.as_manager()

    class Meta:
        verbose_name = _("SEPA mandate")
        verbose_name_plural = _("SEPA mandates")
        ordering = ["family", "-created_at", "-pk"]
        indexes = [models.Index(fields=["family", "created_at"])]

    def __str__(self):
        return self.rum

    @property
    def masked_iban(self) -> str:
        return mask_iban(self.iban) if self.iban else ""


# --- The debit ledger ---------------------------------------------------------------------------


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
