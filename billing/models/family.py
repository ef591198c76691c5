"""A family's billing for a school year and its payment mode."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from accounts.models import Family
from conservatoire.models import SchoolYear

from ..rules import schedule as schedule_rules
from .common import MONEY


class PaymentMode(models.TextChoices):
    ONCE = schedule_rules.ONCE, pgettext_lazy("guide", "Payment in one instalment")
    # The number of debits is the school year's (SchoolYear.instalments): the family
    # pages say it ("Automatic direct debit in %(number)s instalments").
    MONTHLY = schedule_rules.MONTHLY, pgettext_lazy("guide", "Automatic direct debit")


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
