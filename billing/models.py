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
from conservatoire.models import SchoolYear

from .rules import schedule as schedule_rules
from .rules.brackets import Bracket
from .rules.sepa import mask_iban

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
    MONTHLY = schedule_rules.MONTHLY, pgettext_lazy("guide", "Direct debit in 9 instalments")


class TariffGrid(models.Model):
    """The prices of a school year: QF brackets for residents, a non-resident tariff."""

    school_year = models.ForeignKey(
        SchoolYear,
        verbose_name=_("school year"),
        related_name="tariff_grids",
        on_delete=models.PROTECT,
    )
    pass_culture_amount = models.DecimalField(
        _("Pass'Culture de Limonest deduction"),
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
    """A family's billing for a school year: payment mode, estimate, final amount."""

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="billings", on_delete=models.CASCADE
    )
    school_year = models.ForeignKey(
        SchoolYear, verbose_name=_("school year"), related_name="+", on_delete=models.PROTECT
    )
    payment_mode = models.CharField(
        _("payment mode"), max_length=10, choices=PaymentMode.choices, default=PaymentMode.ONCE
    )
    bank_changed = models.BooleanField(
        _("bank changed since September 2024"),
        default=False,
        help_text=_("A new SEPA mandate and RIB are then required."),
    )
    pass_culture_number = models.CharField(
        _("Pass'Culture de Limonest number"), max_length=40, blank=True
    )
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
        """The instalments of the amount due (empty when nothing is known yet)."""
        if self.amount_due is None:
            return []
        return schedule_rules.schedule(
            self.amount_due, self.payment_mode, self.school_year.starts_on, self.starts_on
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

    The IBAN is shown in full only to staff (admin, exports) and on the
    family's own mandate PDF; every other family-facing page uses ``masked_iban``.
    A mandate without IBAN is a reference reserved for a blank form.
    """

    family = models.ForeignKey(
        Family, verbose_name=_("family"), related_name="mandates", on_delete=models.CASCADE
    )
    rum = models.CharField(_("unique mandate reference (RUM)"), max_length=35, unique=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    holder = models.CharField(_("account holder"), max_length=70, blank=True)
    signed_on = models.DateField(_("signed on"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

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
