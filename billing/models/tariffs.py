"""The tariff side: formulas and a school year's grid (QF brackets, prices, sibling
reductions)."""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from conservatoire.models import SchoolYear

from ..rules.brackets import Bracket
from .common import MONEY


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
