"""What the admin home (``/gestion/``) shows of the campaigns (see :mod:`.site`)."""

from __future__ import annotations

from django.urls import reverse

from reinscription.models import Campaign

from . import dashboard
from .admin.campaign import status_cards
from .admin.links import admin_url


def home_context(request) -> dict:
    """The current campaign's counts and links, and the campaign being prepared."""
    user = request.user
    if not user.has_perm("reinscription.view_reenrolment"):
        return {}
    campaign = dashboard.open_or_latest_campaign()
    can_prepare = user.has_perm("reinscription.add_campaign")
    if campaign is None:
        return {
            "home_campaign": None,
            "prepare_url": admin_url("reinscription_campaign_prepare") if can_prepare else "",
        }
    preparing = (
        Campaign.objects.select_related("school_year")
        .filter(published=False, school_year__starts_on__gt=campaign.school_year.starts_on)
        .order_by("school_year__starts_on")
        .first()
    )
    return {
        "home_campaign": campaign,
        "home_is_open": campaign.is_open(),
        "home_cards": status_cards(campaign),
        "home_dashboard_url": reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk]),
        "home_readiness_url": reverse("admin:reinscription_campaign_readiness", args=[campaign.pk]),
        "home_preparing": preparing,
        "home_preparing_url": reverse("admin:reinscription_campaign_readiness", args=[preparing.pk])
        if preparing
        else "",
        "prepare_url": admin_url("reinscription_campaign_prepare")
        if can_prepare and preparing is None
        else "",
    }
