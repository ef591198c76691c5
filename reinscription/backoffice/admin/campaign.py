"""Campaigns and their dashboard, and the campaign of next year.

A dashboard per campaign (counts, documents to review, preferences per course)
whose every number links to the filtered list; planning exports and the
families without an answer, as CSV or XLSX. "Préparer la campagne suivante"
(an action, and a button on the list) asks the dates and prepares next year's
campaign; its readiness page lists what it needs and publishes it to families
(:mod:`reinscription.backoffice.campaigns`).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from reinscription.backoffice import campaigns, dashboard, exports
from reinscription.labels import STATUS_LABELS
from reinscription.models import Campaign, Course, ReminderSent
from reinscription.rules import DisplayStatus

from .links import admin_url

STUDENT_STATUSES = frozenset(status.value for status in DisplayStatus)


def status_cards(campaign: Campaign) -> list[dict]:
    """The campaign's counts, each with the list it links to: à faire, en cours, réinscrit,
    non réinscrit, validé (the students' statuses), then documents à vérifier and hors base.

    A card of the students without an answer also links to "Relancer ces familles"."""
    counts = dashboard.status_counts(campaign)
    students_url = admin_url("reinscription_campaignstudent_changelist")
    reenrolments_url = admin_url("reinscription_reenrolment_changelist")
    remind_url = admin_url("reinscription_campaignstudent_remind")
    cards = []
    for status in DisplayStatus:
        remind = ""
        if status in dashboard.PENDING:
            query = urlencode({"campaign": campaign.pk, "status": status})
            url = f"{students_url}?{query}"
            if remind_url and campaign.is_open() and counts[status]:
                remind = f"{remind_url}?{query}"
        else:
            query = {"campaign__id__exact": campaign.pk, "status__exact": status}
            url = f"{reenrolments_url}?{urlencode(query)}"
        cards.append(
            {
                "status": status.value,
                "label": STATUS_LABELS[status],
                "count": counts[status],
                "url": url,
                "remind_url": remind,
            }
        )
    cards.append(
        {
            "status": "documents",
            "label": _("documents to check"),
            "count": dashboard.documents_waiting(campaign),
            "url": admin_url(
                "documents_document_changelist",
                query={
                    "status": "received",
                    "type__school_year__id__exact": campaign.school_year_id,
                },
            ),
            "remind_url": "",
        }
    )
    outside_query = urlencode({"campaign": campaign.pk, "status": dashboard.OUTSIDE})
    cards.append(
        {
            "status": dashboard.OUTSIDE,
            "label": dashboard.OUTSIDE_LABEL,
            "count": dashboard.outside_basis(campaign).count(),
            "url": f"{students_url}?{outside_query}",
            "remind_url": "",
        }
    )
    return cards


def readiness_links(campaign: Campaign) -> dict[str, str]:
    """Where staff complete each check of the readiness report."""
    year = {"school_year__id__exact": campaign.school_year_id}
    change = admin_url("reinscription_campaign_change", campaign.pk)
    return {
        "dates": change,
        "grid": admin_url("billing_tariffgrid_changelist", query=year),
        "slots": admin_url("reinscription_courseslot_changelist", query=year),
        "documents": admin_url("documents_documenttype_changelist", query=year),
        "rules": change,
        "basis": admin_url(
            "reinscription_enrolment_changelist",
            query={"school_year__id__exact": campaign.previous_year_id},
        ),
    }


class PrepareCampaignForm(forms.Form):
    """The school year and dates of the campaign to prepare."""

    label = forms.CharField(label=_("School year"), max_length=9, help_text="2026-2027")
    opens = forms.DateField(
        label=_("Opens on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    closes = forms.DateField(
        label=_("Closes on (included)"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_label(self):
        label = self.cleaned_data["label"]
        try:
            start = campaigns.start_year(label)
        except campaigns.CampaignError as error:
            raise forms.ValidationError(str(error)) from error
        return f"{start}-{start + 1}"

    def clean(self):
        data = super().clean()
        if data.get("opens") and data.get("closes") and data["closes"] < data["opens"]:
            self.add_error("closes", _("The campaign must close after it opens."))
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "opens_at",
        "closes_at",
        "rules_version",
        "publication",
        "dashboard_link",
    ]
    search_fields = ["school_year__label", "rules_version"]
    list_select_related = ["school_year"]
    readonly_fields = ["published", "published_at", "published_by", "year_calendar"]
    actions = ["prepare_next"]

    @admin.display(description=_("what the families are told of the year"))
    def year_calendar(self, campaign):
        """The school year's dates and counts (conservatoire.SchoolYear), edited there."""
        year = campaign.school_year
        if year is None:
            return "—"
        url = reverse("admin:conservatoire_schoolyear_change", args=[year.pk])
        return format_html(
            '{}<br><a href="{}">{}</a>', year.calendar_summary(), url, _("Edit the school year")
        )

    @admin.display(description=_("families"))
    def publication(self, campaign):
        url = reverse("admin:reinscription_campaign_readiness", args=[campaign.pk])
        if campaign.is_open():
            state = _("open to families")
        elif campaign.published:
            state = _("published (outside its dates)")
        else:
            state = _("not published")
        return format_html('{} — <a href="{}">{}</a>', state, url, _("readiness"))

    @admin.action(description=_("Prepare the next campaign"), permissions=["add"])
    def prepare_next(self, request, queryset):
        latest = queryset.select_related("school_year").order_by("-school_year__starts_on").first()
        query = {"label": campaigns.next_label(latest)} if latest else {}
        return HttpResponseRedirect(
            admin_url("reinscription_campaign_prepare", query=query)
            or reverse("admin:reinscription_campaign_changelist")
        )

    def prepare_view(self, request):
        """The dates of next year's campaign, then :func:`campaigns.prepare_next_campaign`."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PrepareCampaignForm(
            request.POST or None,
            initial={"label": request.GET.get("label") or campaigns.next_label()},
        )
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                preparation = campaigns.prepare_next_campaign(
                    data["label"], data["opens"], data["closes"], by=request.user
                )
            except campaigns.CampaignError as error:
                form.add_error(None, str(error))
            else:
                for step in preparation.steps:
                    self.message_user(request, step, messages.INFO)
                return HttpResponseRedirect(
                    reverse(
                        "admin:reinscription_campaign_readiness",
                        args=[preparation.campaign.pk],
                    )
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Prepare the next campaign"),
            "opts": self.opts,
            "form": form,
        }
        return TemplateResponse(request, "admin/reinscription/campaign/prepare.html", context)

    def readiness_view(self, request, pk):
        """What the campaign needs before it opens; the "Publier" button."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        campaign = get_object_or_404(
            Campaign.objects.select_related("school_year", "previous_year"), pk=pk
        )
        readiness = campaigns.check_readiness(campaign)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Readiness — %(campaign)s") % {"campaign": campaign},
            "opts": self.opts,
            "campaign": campaign,
            "readiness": readiness,
            "is_open": campaign.is_open(),
            "can_publish": self.has_change_permission(request, campaign),
            "published_campaign": Campaign.objects.filter(published=True)
            .exclude(pk=campaign.pk)
            .select_related("school_year")
            .first(),
            "links": readiness_links(campaign),
        }
        return TemplateResponse(request, "admin/reinscription/campaign/readiness.html", context)

    def publish_view(self, request, pk):
        """POST: open the campaign to families, if it is ready (else say what it lacks)."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        campaign = get_object_or_404(Campaign, pk=pk)
        if not self.has_change_permission(request, campaign):
            raise PermissionDenied
        try:
            campaigns.publish_campaign(campaign, by=request.user)
        except campaigns.CampaignError as error:
            self.message_user(request, str(error), messages.ERROR)
        else:
            self.message_user(
                request,
                _(
                    "%(campaign)s is published: families see it between its dates; the "
                    "previous campaign is closed for them."
                )
                % {"campaign": campaign},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:reinscription_campaign_readiness", args=[pk]))

    @admin.display(description=_("dashboard"))
    def dashboard_link(self, campaign):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk]),
            _("Open the dashboard"),
        )

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.current_dashboard), name="reinscription_dashboard"),
            path("prepare/", view(self.prepare_view), name="reinscription_campaign_prepare"),
            path(
                "<int:pk>/readiness/",
                view(self.readiness_view),
                name="reinscription_campaign_readiness",
            ),
            path(
                "<int:pk>/publish/", view(self.publish_view), name="reinscription_campaign_publish"
            ),
            path(
                "<int:pk>/dashboard/",
                view(self.dashboard_view),
                name="reinscription_campaign_dashboard",
            ),
            path(
                "<int:pk>/export/planning.<str:fmt>",
                view(self.planning_export),
                name="reinscription_campaign_planning",
            ),
            path(
                "<int:pk>/export/unanswered.<str:fmt>",
                view(self.unanswered_export),
                name="reinscription_campaign_unanswered",
            ),
        ] + super().get_urls()

    def _campaign_for_staff(self, request, pk) -> Campaign:
        if not request.user.has_perm("reinscription.view_reenrolment"):
            raise PermissionDenied
        return get_object_or_404(
            Campaign.objects.select_related("school_year", "previous_year"), pk=pk
        )

    def current_dashboard(self, request):
        if not request.user.has_perm("reinscription.view_reenrolment"):
            raise PermissionDenied
        campaign = dashboard.open_or_latest_campaign()
        if campaign is None:
            self.message_user(request, _("No campaign exists yet."), messages.WARNING)
            return HttpResponseRedirect(reverse("admin:reinscription_campaign_changelist"))
        return HttpResponseRedirect(
            reverse("admin:reinscription_campaign_dashboard", args=[campaign.pk])
        )

    def dashboard_view(self, request, pk):
        campaign = self._campaign_for_staff(request, pk)
        all_cards = status_cards(campaign)
        cards = [card for card in all_cards if card["status"] in STUDENT_STATUSES]
        documents_card = next(card for card in all_cards if card["status"] == "documents")
        outside_card = next(card for card in all_cards if card["status"] == dashboard.OUTSIDE)
        reenrolments_url = admin_url("reinscription_reenrolment_changelist")
        preference_rows = []
        for row in dashboard.preference_table(campaign):
            cells = []
            for cell in row.cells:
                query = {"campaign__id__exact": campaign.pk, "pref": f"{row.key}:{cell.value}"}
                if row.course_code:
                    query["course"] = row.course_code
                cells.append(
                    {
                        "label": cell.label,
                        "count": cell.count,
                        "url": f"{reenrolments_url}?{urlencode(query)}",
                    }
                )
            preference_rows.append({"row": row, "cells": cells})
        context = {
            **self.admin_site.each_context(request),
            "title": _("Dashboard — %(campaign)s") % {"campaign": campaign},
            "opts": self.opts,
            "campaign": campaign,
            "is_open": campaign.is_open(),
            "cards": cards,
            "total": sum(card["count"] for card in cards),
            "documents_waiting": documents_card["count"],
            "documents_url": documents_card["url"],
            "outside_card": outside_card,
            "preference_rows": preference_rows,
            "courses": Course.objects.order_by("order", "name"),
            "families_without_answer": dashboard.families_without_answer(campaign).count(),
            "reminders_sent": ReminderSent.objects.filter(campaign=campaign).count(),
            "reminders_url": admin_url(
                "reinscription_remindersent_changelist", query={"campaign__id__exact": campaign.pk}
            ),
            "import_url": admin_url("reinscription_enrolment_import"),
            "failed_emails": dashboard.failed_emails(),
        }
        return TemplateResponse(request, "admin/reinscription/campaign/dashboard.html", context)

    def planning_export(self, request, pk, fmt):
        campaign = self._campaign_for_staff(request, pk)
        course = request.GET.get("course") or None
        response = exports.planning_response(campaign, fmt, course or "", course_code=course)
        if response is None:
            raise Http404
        return response

    def unanswered_export(self, request, pk, fmt):
        campaign = self._campaign_for_staff(request, pk)
        response = exports.unanswered_response(campaign, fmt)
        if response is None:
            raise Http404
        return response
