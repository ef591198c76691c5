"""Campaigns and their dashboard.

A dashboard per campaign (counts, documents to review, preferences per course)
whose every number links to the filtered list; planning exports and the
families without an answer, as CSV or XLSX.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from reinscription.backoffice import dashboard, exports
from reinscription.labels import STATUS_LABELS
from reinscription.models import Campaign, Course, ReminderSent
from reinscription.rules import DisplayStatus

from .links import admin_url


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["__str__", "opens_at", "closes_at", "rules_version", "dashboard_link"]
    search_fields = ["school_year__label", "rules_version"]
    list_select_related = ["school_year"]

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
        counts = dashboard.status_counts(campaign)
        students_url = admin_url("reinscription_campaignstudent_changelist")
        reenrolments_url = admin_url("reinscription_reenrolment_changelist")
        cards = []
        for status in DisplayStatus:
            if status in dashboard.PENDING:
                url = f"{students_url}?{urlencode({'campaign': campaign.pk, 'status': status})}"
            else:
                query = {"campaign__id__exact": campaign.pk, "status__exact": status}
                url = f"{reenrolments_url}?{urlencode(query)}"
            cards.append(
                {
                    "status": status.value,
                    "label": STATUS_LABELS[status],
                    "count": counts[status],
                    "url": url,
                }
            )
        waiting = dashboard.documents_waiting(campaign)
        documents_url = admin_url(
            "documents_document_changelist",
            query={"status": "received", "type__school_year__id__exact": campaign.school_year_id},
        )
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
            "total": sum(counts.values()),
            "documents_waiting": waiting,
            "documents_url": documents_url,
            "preference_rows": preference_rows,
            "courses": Course.objects.order_by("order", "name"),
            "families_without_answer": dashboard.families_without_answer(campaign).count(),
            "reminders_sent": ReminderSent.objects.filter(campaign=campaign).count(),
            "reminders_url": admin_url(
                "reinscription_remindersent_changelist", query={"campaign__id__exact": campaign.pk}
            ),
            "import_url": admin_url("reinscription_enrolment_import"),
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
