"""``python manage.py prepare_campaign 2026-2027 --opens 2026-05-15 --closes 2026-06-30``.

Prepares next year's campaign (:func:`reinscription.backoffice.campaigns.prepare_next_campaign`)
and prints what it did and the readiness report. When the campaign's opening day has
come and every check is green, it opens the campaign to families (and closes the
previous one for them); ``--no-publish`` only prepares. Running it again completes
what is missing and duplicates nothing.
"""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from reinscription.backoffice.campaigns import (
    CampaignError,
    prepare_next_campaign,
    publish_campaign,
)


def iso_date(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD).") from error


class Command(BaseCommand):
    help = (
        "Prepare the next re-enrolment campaign (school year, slots, documents, tariff grid, "
        "basis), print its readiness report, and open it when its day has come and it is ready."
    )

    def add_arguments(self, parser):
        parser.add_argument("label", help="The school year, e.g. 2026-2027.")
        parser.add_argument("--opens", required=True, type=iso_date, help="YYYY-MM-DD")
        parser.add_argument("--closes", required=True, type=iso_date, help="YYYY-MM-DD")
        parser.add_argument(
            "--no-publish", action="store_true", help="Prepare only; publish from the admin."
        )

    def handle(self, *args, label, opens, closes, no_publish=False, **options):
        with translation.override(settings.LANGUAGE_CODE):
            try:
                preparation = prepare_next_campaign(label, opens, closes)
            except CampaignError as error:
                raise CommandError(str(error)) from error
            campaign = preparation.campaign
            for step in preparation.steps:
                self.stdout.write(f"- {step}")
            self.stdout.write("")
            self.stdout.write(_("Readiness of the campaign %s:") % campaign.school_year.label)
            for line in preparation.readiness.lines():
                self.stdout.write(f"  {line}")
            self.stdout.write("")
            self.stdout.write(self.publication(campaign, preparation.readiness, no_publish))

    def publication(self, campaign, readiness, no_publish: bool) -> str:
        year = campaign.school_year.label
        if campaign.published:
            return _("The campaign %s is published.") % year
        if no_publish or campaign.opens_at > timezone.now():
            return _(
                "Not published yet: publish it from the campaign's readiness page once it is "
                "ready (or run this command again on its opening day)."
            )
        if not readiness.ready:
            return self.style.WARNING(
                _("Not opened to families: complete what is marked “!!”, then run again.")
            )
        try:
            publish_campaign(campaign)
        except CampaignError as error:
            raise CommandError(str(error)) from error
        return self.style.SUCCESS(
            _("The campaign %s is open to families; the previous one is closed for them.") % year
        )
