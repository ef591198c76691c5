"""Students' follow-up: every student of a campaign with their status (à faire, en cours…).

From this list the secretariat sends the accesses and reminders: the list filtered by
a status has a "Relancer ces familles" button, a confirmation page, then the sending.
``?status=outside`` lists the "hors base" students (:func:`.dashboard.outside_basis`).
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import CharField, OuterRef, Prefetch, Subquery, Value
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from accounts.admin import report_access_sending
from accounts.models import Family, User
from accounts.services import queue_access_emails
from reinscription.backoffice import dashboard
from reinscription.backoffice.tasks import send_reminder
from reinscription.labels import STATUS_LABELS
from reinscription.models import Campaign, CampaignStudent, Enrolment, ReminderSent
from reinscription.rules import DisplayStatus

from .links import admin_url

# The confirmation page names this many families at most (it counts them all).
REMIND_PREVIEW = 200


def remind_list_url(query: str) -> str:
    """The "Relancer ces familles" confirmation page for the list with ``query``."""
    return f"{reverse('admin:reinscription_campaignstudent_remind')}?{query}"


def selected_campaign(request) -> Campaign | None:
    """The campaign asked in ``?campaign=``, else the open (or latest) one; cached per request."""
    if not hasattr(request, "_staff_campaign"):
        campaign = None
        raw = request.GET.get("campaign", "")
        if raw.isdigit():
            campaign = (
                Campaign.objects.select_related("school_year", "previous_year")
                .filter(pk=raw)
                .first()
            )
        request._staff_campaign = campaign or dashboard.open_or_latest_campaign()
    return request._staff_campaign


class CampaignChoiceFilter(admin.SimpleListFilter):
    title = _("campaign")
    parameter_name = "campaign"

    def lookups(self, request, model_admin):
        return [(str(c.pk), str(c)) for c in Campaign.objects.select_related("school_year")]

    def value(self):
        return super().value() or (str(self.default.pk) if getattr(self, "default", None) else None)

    def __init__(self, request, params, model, model_admin):
        self.default = selected_campaign(request)
        super().__init__(request, params, model, model_admin)

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == lookup,
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        return queryset  # get_queryset already restricted the list to the campaign


class CampaignStatusFilter(admin.SimpleListFilter):
    title = _("status in the campaign")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [*dashboard.status_choices(), (dashboard.OUTSIDE, dashboard.OUTSIDE_LABEL)]

    def queryset(self, request, queryset):
        if self.value() in {status.value for status in DisplayStatus}:
            return queryset.filter(campaign_status=self.value())
        return queryset  # "hors base": get_queryset already chose those students


@admin.register(CampaignStudent)
class CampaignStudentAdmin(admin.ModelAdmin):
    """Every student of a campaign with their status: who to chase, who to send accesses to."""

    list_display = [
        "last_name",
        "first_name",
        "family_link",
        "status_display",
        "current_courses",
        "responsible_emails",
        "last_reminder",
    ]
    list_display_links = None
    list_filter = [CampaignChoiceFilter, CampaignStatusFilter, "family__is_resident"]
    search_fields = ["last_name", "first_name", "family__name", "legacy_id"]
    actions = ["send_accesses", "send_reminders"]
    list_per_page = 100
    change_list_template = "admin/reinscription/campaignstudent/change_list.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_send_accesses_permission(self, request):
        return request.user.has_perm("accounts.change_responsible")

    def has_remind_permission(self, request):
        return request.user.has_perm("reinscription.add_remindersent")

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        campaign = selected_campaign(request)
        if campaign is None:
            return queryset.none()
        last_reminder = (
            ReminderSent.objects.filter(family=OuterRef("family"), campaign=campaign)
            .order_by("-sent_at")
            .values("sent_at")[:1]
        )
        if request.GET.get(CampaignStatusFilter.parameter_name) == dashboard.OUTSIDE:
            students = dashboard.outside_basis(campaign, queryset).annotate(
                campaign_status=Value(dashboard.OUTSIDE, output_field=CharField())
            )
        else:
            students = dashboard.with_status(campaign, queryset)
        return (
            students.annotate(last_reminder_at=Subquery(last_reminder))
            .select_related("family")
            .prefetch_related(
                Prefetch(
                    "enrolments",
                    queryset=Enrolment.objects.filter(
                        school_year=campaign.previous_year_id
                    ).prefetch_related("lines__course"),
                    to_attr="campaign_enrolments",
                ),
                Prefetch(
                    "family__responsibles",
                    queryset=User.objects.filter(is_active=True).order_by("pk"),
                    to_attr="active_responsibles",
                ),
            )
        )

    @admin.display(description=_("family"), ordering="family__name")
    def family_link(self, student):
        url = admin_url("accounts_family_change", student.family_id)
        return (
            format_html('<a href="{}">{}</a>', url, student.family.name)
            if url
            else (student.family.name)
        )

    @admin.display(description=_("status"), ordering="campaign_status")
    def status_display(self, student):
        if student.campaign_status == dashboard.OUTSIDE:
            return dashboard.OUTSIDE_LABEL
        return STATUS_LABELS[DisplayStatus(student.campaign_status)]

    @admin.display(description=_("courses this year"))
    def current_courses(self, student):
        return ", ".join(
            line.course.name
            for enrolment in student.campaign_enrolments
            for line in enrolment.lines.all()
        )

    @admin.display(description=_("responsibles' emails"))
    def responsible_emails(self, student):
        return ", ".join(r.email for r in student.family.active_responsibles if r.email)

    @admin.display(description=_("last reminder"), ordering="last_reminder_at", empty_value="—")
    def last_reminder(self, student):
        return (
            timezone.localtime(student.last_reminder_at).strftime("%d/%m/%Y")
            if student.last_reminder_at
            else None
        )

    @admin.action(
        description=pgettext_lazy("guide", "Send the accesses"), permissions=["send_accesses"]
    )
    def send_accesses(self, request, queryset):
        """Queue the access email of every responsible of the selected students' families."""
        families = Family.objects.filter(students__in=queryset.values("pk"))
        queued, skipped = queue_access_emails(User.objects.filter(family__in=families))
        report_access_sending(self, request, queued, skipped)

    # --- "Relancer ces familles": the families of the list, after a confirmation ----------

    def get_urls(self):
        return [
            path(
                "remind/",
                self.admin_site.admin_view(self.remind_view),
                name="reinscription_campaignstudent_remind",
            ),
        ] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        campaign = selected_campaign(request)
        status = request.GET.get(CampaignStatusFilter.parameter_name)
        remind_url = ""
        if (
            campaign is not None
            and campaign.is_open()
            and status in {s.value for s in dashboard.PENDING}
            and self.has_remind_permission(request)
        ):
            remind_url = remind_list_url(request.GET.urlencode())
        return super().changelist_view(request, {"remind_url": remind_url, **(extra_context or {})})

    def remind_view(self, request):
        """Confirm, then remind the families of the students listed (those with an answer
        missing); the list's own filters (campaign, status, search) say who is listed."""
        if not self.has_remind_permission(request):
            raise PermissionDenied
        campaign = selected_campaign(request)
        list_url = admin_url("reinscription_campaignstudent_changelist")
        list_url = f"{list_url}?{request.GET.urlencode()}"
        if campaign is None or not campaign.is_open():
            self.message_user(request, _("The campaign is not open."), messages.ERROR)
            return HttpResponseRedirect(list_url)
        listed = self.get_changelist_instance(request).get_queryset(request)
        families = (
            dashboard.families_without_answer(campaign)
            .filter(students__in=listed.values("pk"))
            .distinct()
            .order_by("name", "pk")
        )
        if request.method == "POST":
            sent = 0
            for family in families:
                if send_reminder(family, campaign, by=request.user, force=True):
                    sent += 1
            self.message_user(
                request, _("Reminders queued: %(count)d.") % {"count": sent}, messages.SUCCESS
            )
            return HttpResponseRedirect(list_url)
        shown = list(families[:REMIND_PREVIEW])
        pending = dashboard.pending_students_by_family(campaign, [f.pk for f in shown])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Remind these families"),
            "opts": self.opts,
            "campaign": campaign,
            "count": families.count(),
            "families": [
                {"family": family, "students": [s for s, _status in pending.get(family.pk, [])]}
                for family in shown
            ],
            "more": max(families.count() - len(shown), 0),
            "list_url": list_url,
        }
        return TemplateResponse(request, "admin/reinscription/campaignstudent/remind.html", context)

    @admin.action(description=_("Send a reminder now"), permissions=["remind"])
    def send_reminders(self, request, queryset):
        """Remind the selected students' families now (only those who have not finished)."""
        campaign = selected_campaign(request)
        if campaign is None or not campaign.is_open():
            self.message_user(request, _("The campaign is not open."), messages.ERROR)
            return
        sent = 0
        for family in Family.objects.filter(students__in=queryset.values("pk")).distinct():
            if send_reminder(family, campaign, by=request.user, force=True):
                sent += 1
        self.message_user(
            request, _("Reminders queued: %(count)d.") % {"count": sent}, messages.SUCCESS
        )
