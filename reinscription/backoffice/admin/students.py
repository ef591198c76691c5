"""Students' follow-up: every student of a campaign with their status (à faire, en cours…).

From this list the secretariat sends the accesses and reminders.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import OuterRef, Prefetch, Subquery
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
        return dashboard.status_choices()

    def queryset(self, request, queryset):
        if self.value() in {status.value for status in DisplayStatus}:
            return queryset.filter(campaign_status=self.value())
        return queryset


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
        return (
            dashboard.with_status(campaign, queryset)
            .annotate(last_reminder_at=Subquery(last_reminder))
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
        status = DisplayStatus(student.campaign_status)
        return STATUS_LABELS[status]

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
