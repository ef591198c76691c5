"""The re-enrolment campaign of a school year, and the rules families accept."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from conservatoire.models import SchoolYear


class CampaignQuerySet(models.QuerySet):
    def open_at(self, when=None):
        """The campaign families see at ``when``: published, and within its dates."""
        when = when or timezone.now()
        return self.filter(published=True, opens_at__lte=when, closes_at__gt=when)

    def last_opened(self, when=None):
        """The campaigns families saw or see, latest first: published once, opened by ``when``."""
        when = when or timezone.now()
        return self.filter(published_at__isnull=False, opens_at__lte=when).order_by("-opens_at")


class Campaign(models.Model):
    """The re-enrolment campaign for a school year, and the rules families accept.

    Families see a campaign only once it is *published* (staff publish it when its
    grid, slots, documents and rules are ready), and only between its dates. One
    campaign at most is published: publishing one withdraws the previous one (a
    constraint says so; ``reinscription.backoffice.campaigns.publish_campaign``
    decides it under a lock). Older campaigns stay readable by staff.
    """

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
    published = models.BooleanField(
        _("published to families"),
        default=False,
        help_text=_(
            "Families see the published campaign between its dates. Publish it from the "
            "campaign's readiness page: only one campaign is published at a time."
        ),
    )
    published_at = models.DateTimeField(_("first published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        related_name="+",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
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
            models.UniqueConstraint(
                fields=["published"],
                condition=models.Q(published=True),
                name="campaign_one_published",
            ),
        ]

    def __str__(self):
        return _("Re-enrolment %(year)s") % {"year": self.school_year.label}

    def is_open(self, when=None) -> bool:
        """Whether families can answer now: published and within its dates."""
        when = when or timezone.now()
        return self.published and self.opens_at <= when < self.closes_at
