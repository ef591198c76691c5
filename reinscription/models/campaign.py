"""The re-enrolment campaign of a school year, and the rules families accept."""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conservatoire.models import SchoolYear


class CampaignQuerySet(models.QuerySet):
    def open_at(self, when=None):
        when = when or timezone.now()
        return self.filter(opens_at__lte=when, closes_at__gt=when)


class Campaign(models.Model):
    """The re-enrolment campaign for a school year, and the rules families accept."""

    school_year = models.OneToOneField(
        SchoolYear,
        verbose_name=_("school year"),
        related_name="campaign",
        on_delete=models.PROTECT,
        help_text=_("The year families re-enrol for."),
    )
    previous_year = models.ForeignKey(
        SchoolYear,
        verbose_name=_("previous school year"),
        related_name="+",
        on_delete=models.PROTECT,
        help_text=_("The year whose enrolments are the basis of the re-enrolment."),
    )
    opens_at = models.DateTimeField(_("opens at"))
    closes_at = models.DateTimeField(_("closes at"))
    rules_version = models.CharField(_("version of the internal rules"), max_length=30)
    rules_text = models.TextField(_("internal rules (règlement intérieur)"), blank=True)
    reminder_interval_days = models.PositiveSmallIntegerField(
        _("days between reminders"), default=7
    )

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-opens_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")),
                name="campaign_closes_after_opening",
            ),
        ]

    def __str__(self):
        return _("Re-enrolment %(year)s") % {"year": self.school_year.label}

    def is_open(self, when=None) -> bool:
        when = when or timezone.now()
        return self.opens_at <= when < self.closes_at
