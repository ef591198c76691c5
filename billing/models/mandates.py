"""SEPA direct-debit mandates (and amendments) of a family."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.models import Family
from conservatoire.fields import EncryptedTextField

from ..rules.sepa import HOLDER_MAX_LENGTH, mask_iban


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
