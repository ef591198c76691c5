"""What the portal tells everyone about the open campaign: its year and its deadline.

``home_facts`` is the home page's provider (``settings.HOME_CAMPAIGN_PROVIDER``):
``conservatoire`` renders the home page and never imports ``reinscription``, as
``documents`` asks ``DOCUMENTS_FACTS_PROVIDER``. ``deadline_text`` writes the
closing moment the way the family space, the home page and the reminders say it.
"""

from __future__ import annotations

import datetime

from django.utils import formats, timezone
from django.utils.translation import gettext

from billing.templatetags.billing_tags import long_date

from .services import open_campaign


def last_day(closes_at: datetime.datetime) -> tuple[datetime.date, datetime.time | None]:
    """The last day families can answer, and the closing time when it is not midnight.

    A campaign closing at midnight (local time) is open through the day before:
    closing on 1 July at 00:00 is "until 30 June".
    """
    local = timezone.localtime(closes_at)
    if local.time() == datetime.time(0, 0):
        return local.date() - datetime.timedelta(days=1), None
    return local.date(), local.time()


def deadline_text(closes_at: datetime.datetime | None) -> str:
    """The last day in words, "30 juin 2025", with the time when it is not midnight."""
    if closes_at is None:
        return ""
    day, time = last_day(closes_at)
    if time is None:
        return long_date(day)
    return gettext("%(date)s at %(time)s") % {
        "date": long_date(day),
        "time": formats.time_format(time, "H:i"),
    }


def home_facts() -> dict:
    """The home page's context: the open campaign's year and deadline.

    ``{}`` when no campaign is open (the home page then gives no date).
    """
    campaign = open_campaign()
    if campaign is None:
        return {}
    return {
        "campaign_year": campaign.school_year.label,
        "campaign_deadline": deadline_text(campaign.closes_at),
    }
