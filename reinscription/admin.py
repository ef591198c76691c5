"""The secretariat's back office: campaigns and their dashboard, re-enrolments, follow-up.

- Campagnes: a dashboard per campaign (counts, documents to review, preferences per
  course) whose every number links to the filtered list; planning exports.
- Réinscriptions: validate ("validé par le conservatoire"), internal note, final
  amount (billing), recap PDF, ZIP of a selection (≤ 50 at once, more by a task).
- Suivi des élèves: every student of a campaign with their status (à faire, en
  cours…), to send accesses and reminders.
- Inscriptions: import last year's data (``reinscription.imports``).
- Every model with a history is audited (django-simple-history).
"""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from accounts.models import Family, User
from billing.models import FamilyBilling, PaymentMode

from . import dashboard, exports
from .imports import LegacyImportAdminMixin
from .models import (
    Campaign,
    Course,
    CourseSlot,
    Enrolment,
    EnrolmentCourse,
    Reenrolment,
    ReenrolmentSnapshot,
    WizardDraft,
)
from .models_staff import CampaignStudent, ExportJob, ReminderSent
from .rules import DisplayStatus

SYNC_ZIP_LIMIT = 50


def admin_url(name: str, *args, query: dict | None = None) -> str:
    """An admin URL, or "" when that admin page does not exist (app not registered)."""
    try:
        url = reverse(f"admin:{name}", args=args)
    except NoReverseMatch:
        return ""
    return f"{url}?{urlencode(query)}" if query else url


# --- Campaigns and their dashboard ------------------------------------------------------------


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
                    "label": dashboard.STATUS_LABELS[status],
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
        sheet = exports.unanswered_sheet(campaign)
        if fmt == "csv":
            return exports.csv_response(
                exports.export_filename("sans-reponse", campaign, "csv"), sheet.header, sheet.rows
            )
        if fmt == "xlsx":
            return exports.xlsx_response(
                exports.export_filename("sans-reponse", campaign, "xlsx"), [sheet]
            )
        raise Http404


# --- Catalogue ------------------------------------------------------------------------------


class CourseSlotInline(admin.TabularInline):
    model = CourseSlot
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "discipline", "kind", "order"]
    list_filter = ["discipline", "kind"]
    search_fields = ["name", "code"]
    inlines = [CourseSlotInline]


@admin.register(CourseSlot)
class CourseSlotAdmin(admin.ModelAdmin):
    list_display = ["course", "school_year", "weekday", "starts_at", "ends_at"]
    list_filter = ["school_year", "weekday", "course__discipline"]
    search_fields = ["course__name", "label"]
    list_select_related = ["course", "school_year"]


class EnrolmentCourseInline(admin.TabularInline):
    model = EnrolmentCourse
    extra = 0
    autocomplete_fields = ["course"]


@admin.register(Enrolment)
class EnrolmentAdmin(LegacyImportAdminMixin, SimpleHistoryAdmin):
    list_display = ["student", "school_year", "formula", "instrument_year", "course_list"]
    list_filter = ["school_year", "formula"]
    search_fields = [
        "student__last_name",
        "student__first_name",
        "student__family__name",
        "student__legacy_id",
    ]
    list_select_related = ["student", "school_year", "formula"]
    autocomplete_fields = ["student"]
    inlines = [EnrolmentCourseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines__course")

    @admin.display(description=_("courses"))
    def course_list(self, enrolment):
        return ", ".join(line.course.name for line in enrolment.lines.all())


# --- Re-enrolments --------------------------------------------------------------------------------


class PreferenceFilter(admin.SimpleListFilter):
    """A course preference of step 6 (``?pref=fm_day:saturday``), re-enrolled students only."""

    title = _("course preference")
    parameter_name = "pref"

    def lookups(self, request, model_admin):
        items = []
        for key, (label, choices) in dashboard.PREFERENCES.items():
            if key == "administrative":
                items.append(("administrative:True", label))
                continue
            items += [(f"{key}:{value}", f"{label} — {text}") for value, text in choices.items()]
        return items

    def queryset(self, request, queryset):
        if not self.value() or ":" not in self.value():
            return queryset
        key, value = self.value().split(":", 1)
        if key not in dashboard.PREFERENCES:
            return queryset.none()
        return queryset.filter(
            dashboard.q_preference(key, value), status__in=dashboard.ANSWERED_REENROL
        )


class CurrentCourseFilter(admin.SimpleListFilter):
    """Students who follow a course in the campaign's previous year (``?course=fm1c1``)."""

    title = _("course followed this year")
    parameter_name = "course"

    def lookups(self, request, model_admin):
        return list(Course.objects.order_by("order", "name").values_list("code", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        from django.db.models import Exists

        lines = EnrolmentCourse.objects.filter(
            enrolment__student=OuterRef("student"),
            enrolment__school_year=OuterRef("campaign__previous_year"),
            course__code=self.value(),
        )
        return queryset.filter(Exists(lines))


class PaymentModeFilter(admin.SimpleListFilter):
    title = _("payment mode")
    parameter_name = "payment_mode"

    def lookups(self, request, model_admin):
        return PaymentMode.choices

    def queryset(self, request, queryset):
        return queryset.filter(payment_mode=self.value()) if self.value() else queryset


class ReenrolmentSnapshotInline(admin.TabularInline):
    model = ReenrolmentSnapshot
    fields = ["version", "created_at", "created_by", "rules_version"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


class ReenrolmentAdminForm(forms.ModelForm):
    """Staff may only move a re-enrolment between "réinscrit" and "validé"."""

    class Meta:
        model = Reenrolment
        fields = ["status", "internal_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and "status" in self.fields:
            if self.instance.decision == Reenrolment.Decision.REENROL:
                allowed = (Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED)
            else:
                allowed = (Reenrolment.Status.DECLINED,)
            self.fields["status"].choices = [
                (value, label) for value, label in Reenrolment.Status.choices if value in allowed
            ]


def validate_reenrolments(queryset, user) -> tuple[int, int]:
    """Mark the "réinscrit" ones "validé par le conservatoire"; return (validated, skipped)."""
    validated = skipped = 0
    now = timezone.now()
    with transaction.atomic():
        for reenrolment in queryset.select_for_update().order_by("pk"):
            if reenrolment.status != Reenrolment.Status.REENROLLED:
                skipped += 1
                continue
            reenrolment.status = Reenrolment.Status.VALIDATED
            reenrolment.validated_by = user
            reenrolment.validated_at = now
            reenrolment.save(update_fields=["status", "validated_by", "validated_at"])
            validated += 1
    return validated, skipped


@admin.register(Reenrolment)
class ReenrolmentAdmin(SimpleHistoryAdmin):
    form = ReenrolmentAdminForm
    change_form_template = "admin/reinscription/reenrolment/change_form.html"
    list_display = [
        "student",
        "family_link",
        "campaign",
        "status",
        "payment_mode_display",
        "estimated_total",
        "final_amount",
        "submitted_at",
        "validated_at",
    ]
    list_filter = [
        "campaign",
        "status",
        PreferenceFilter,
        CurrentCourseFilter,
        PaymentModeFilter,
        "image_rights",
        "outing_authorisation",
    ]
    search_fields = [
        "student__last_name",
        "student__first_name",
        "student__family__name",
        "student__legacy_id",
        "comments",
    ]
    list_select_related = ["student__family", "campaign__school_year"]
    actions = [
        "validate_selected",
        "download_recaps",
        "export_planning_csv",
        "export_planning_xlsx",
    ]
    readonly_fields = [
        "student",
        "family_link",
        "campaign",
        "validated_by",
        "validated_at",
        "estimated_total",
        "final_amount_link",
        "decision",
        "decline_reason",
        "payment_mode_display",
        "image_rights",
        "outing_authorisation",
        "preferences_display",
        "comments",
        "recap_display",
        "rules_version",
        "rules_accepted_at",
        "version",
        "submitted_by",
        "submitted_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "student",
                    "family_link",
                    "campaign",
                    "status",
                    "validated_by",
                    "validated_at",
                ]
            },
        ),
        (
            _("Internal note (never shown to the family)"),
            {"fields": ["internal_note"]},
        ),
        (_("Amount"), {"fields": ["estimated_total", "final_amount_link"]}),
        (
            _("The family's answer"),
            {
                "fields": [
                    "decision",
                    "decline_reason",
                    "payment_mode_display",
                    "image_rights",
                    "outing_authorisation",
                    "preferences_display",
                    "comments",
                ]
            },
        ),
        (
            _("Recap validated by the family"),
            {"fields": ["recap_display"], "classes": ["collapse"]},
        ),
        (
            _("Rules and submission"),
            {
                "fields": [
                    "rules_version",
                    "rules_accepted_at",
                    "version",
                    "submitted_by",
                    "submitted_at",
                ]
            },
        ),
    ]
    inlines = [ReenrolmentSnapshotInline]

    def has_add_permission(self, request):
        return False

    def get_queryset(self, request):
        final = FamilyBilling.objects.filter(
            family=OuterRef("student__family"), school_year=OuterRef("campaign__school_year")
        ).values("final_amount")[:1]
        return super().get_queryset(request).annotate(final_amount_value=Subquery(final))

    def get_urls(self):
        return [
            path(
                "<path:object_id>/recap.pdf",
                self.admin_site.admin_view(self.recap_pdf_view),
                name="reinscription_reenrolment_recap",
            ),
        ] + super().get_urls()

    def recap_pdf_view(self, request, object_id):
        from .recap import pdf_response, recap_queryset

        if not self.has_view_permission(request):
            raise PermissionDenied
        reenrolment = get_object_or_404(recap_queryset(), pk=object_id)
        return pdf_response(reenrolment)

    def save_model(self, request, obj, form, change):
        if "status" in form.changed_data:
            if obj.status == Reenrolment.Status.VALIDATED:
                obj.validated_by = request.user
                obj.validated_at = timezone.now()
            else:
                obj.validated_by = None
                obj.validated_at = None
        super().save_model(request, obj, form, change)

    @admin.display(description=_("family"), ordering="student__family__name")
    def family_link(self, reenrolment):
        family = reenrolment.student.family
        url = admin_url("accounts_family_change", family.pk)
        return format_html('<a href="{}">{}</a>', url, family.name) if url else family.name

    @admin.display(description=_("final amount"), ordering="final_amount_value", empty_value="—")
    def final_amount(self, reenrolment):
        from conservatoire.money import format_euros

        value = getattr(reenrolment, "final_amount_value", None)
        return format_euros(value) if value is not None else None

    @admin.display(description=_("final amount"))
    def final_amount_link(self, reenrolment):
        """The family's billing for the year, where billing staff set the final amount."""
        family = reenrolment.student.family
        year = reenrolment.campaign.school_year
        billing = FamilyBilling.objects.filter(family=family, school_year=year).first()
        if billing is not None:
            url = admin_url("billing_familybilling_change", billing.pk)
            from conservatoire.money import format_euros

            amount = (
                format_euros(billing.final_amount)
                if billing.final_amount is not None
                else gettext("not set yet")
            )
        else:
            url = admin_url(
                "billing_familybilling_add", query={"family": family.pk, "school_year": year.pk}
            )
            amount = gettext("not set yet")
        if not url:
            return format_html(
                "{} <span class='help'>({})</span>",
                amount,
                _("the billing administration page is not available"),
            )
        return format_html('{} — <a href="{}">{}</a>', amount, url, _("Set the final amount"))

    @admin.display(description=_("course preferences"))
    def preferences_display(self, reenrolment):
        names = dashboard.code_names()
        items = [
            (dashboard.preference_label(key), dashboard.preference_value_label(key, value, names))
            for key, value in (reenrolment.preferences or {}).items()
            if value not in ("", None, False)
        ]
        if not items:
            return "—"
        return format_html_join(mark_safe("<br>"), "{} : {}", items)

    @admin.display(description=_("payment mode"), ordering="payment_mode", empty_value="—")
    def payment_mode_display(self, reenrolment):
        mode = reenrolment.payment_mode
        return PaymentMode(mode).label if mode in PaymentMode.values else mode or None

    @admin.display(description=_("recap"))
    def recap_display(self, reenrolment):
        from .recap import latest_snapshot

        snapshot = latest_snapshot(reenrolment)
        if snapshot is None:
            return "—"
        # The template escapes every value typed by the family.
        return mark_safe(  # noqa: S308
            render_to_string("reinscription/_recap.html", {"summary": snapshot.data})
        )

    @admin.action(
        description=pgettext_lazy("guide", "Validate the re-enrolment"), permissions=["change"]
    )
    def validate_selected(self, request, queryset):
        validated, skipped = validate_reenrolments(queryset, request.user)
        self.message_user(
            request,
            _("Re-enrolments validated: %(count)d.") % {"count": validated},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                _("Left as they were (not re-enrolled or already validated): %(count)d.")
                % {"count": skipped},
                messages.WARNING,
            )

    @admin.action(description=_("Download the recaps (PDF in a ZIP)"), permissions=["view"])
    def download_recaps(self, request, queryset):
        from .recap import write_recaps_zip, zip_filename
        from .tasks import start_recap_export

        ids = list(
            queryset.order_by("student__last_name", "student__first_name", "pk").values_list(
                "pk", flat=True
            )
        )
        if len(ids) > SYNC_ZIP_LIMIT:
            job = start_recap_export(ids, request.user)
            self.message_user(
                request,
                _("%(count)d recaps are being prepared: the download link appears when ready.")
                % {"count": len(ids)},
                messages.INFO,
            )
            return HttpResponseRedirect(
                reverse("admin:reinscription_exportjob_change", args=[job.pk])
            )
        spool = tempfile.SpooledTemporaryFile(max_size=16 * 1024 * 1024)  # noqa: SIM115
        write_recaps_zip(ids, spool)
        spool.seek(0)
        return FileResponse(
            spool, as_attachment=True, filename=zip_filename(), content_type="application/zip"
        )

    def _planning(self, request, queryset, fmt):
        campaign_ids = set(queryset.values_list("campaign_id", flat=True))
        if len(campaign_ids) != 1:
            self.message_user(
                request, _("Select re-enrolments of a single campaign."), messages.ERROR
            )
            return None
        campaign = Campaign.objects.select_related("school_year").get(pk=campaign_ids.pop())
        ids = list(queryset.values_list("pk", flat=True))
        return exports.planning_response(campaign, fmt, "selection", reenrolment_ids=ids)

    @admin.action(description=_("Export for the planning (CSV)"), permissions=["view"])
    def export_planning_csv(self, request, queryset):
        return self._planning(request, queryset, "csv")

    @admin.action(description=_("Export for the planning (XLSX)"), permissions=["view"])
    def export_planning_xlsx(self, request, queryset):
        return self._planning(request, queryset, "xlsx")


@admin.register(WizardDraft)
class WizardDraftAdmin(admin.ModelAdmin):
    list_display = ["student", "campaign", "updated_by", "updated_at"]
    list_filter = ["campaign"]
    search_fields = ["student__last_name", "student__first_name"]
    list_select_related = ["student", "campaign__school_year", "updated_by"]
    readonly_fields = ["student", "campaign", "data", "updated_by", "updated_at"]

    def has_add_permission(self, request):
        return False


# --- Students' follow-up (à faire, en cours…) ---------------------------------------------


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
        return dashboard.STATUS_LABELS[status]

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
        from accounts.admin import report_access_sending
        from accounts.services import queue_access_emails

        families = Family.objects.filter(students__in=queryset.values("pk"))
        queued, skipped = queue_access_emails(User.objects.filter(family__in=families))
        report_access_sending(self, request, queued, skipped)

    @admin.action(description=_("Send a reminder now"), permissions=["remind"])
    def send_reminders(self, request, queryset):
        """Remind the selected students' families now (only those who have not finished)."""
        from .tasks import send_reminder

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


@admin.register(ReminderSent)
class ReminderSentAdmin(admin.ModelAdmin):
    list_display = [
        "family",
        "campaign",
        "sent_at",
        "recipients_display",
        "students_display",
        "sent_by",
    ]
    list_filter = ["campaign", ("sent_by", admin.EmptyFieldListFilter)]
    search_fields = ["family__name", "family__legacy_id"]
    list_select_related = ["family", "campaign__school_year", "sent_by"]
    date_hierarchy = "sent_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("recipients"))
    def recipients_display(self, reminder):
        return ", ".join(reminder.recipients)

    @admin.display(description=_("students without an answer"))
    def students_display(self, reminder):
        return ", ".join(reminder.students)


# --- Recap exports --------------------------------------------------------------------------


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """The ZIPs of recaps built by Celery: progress, then a download link (7 days)."""

    change_form_template = "admin/reinscription/exportjob/change_form.html"
    list_display = ["__str__", "status", "progress", "created_by", "created_at", "download"]
    list_filter = ["status"]
    list_select_related = ["created_by"]
    fields = ["status", "progress", "download", "created_by", "created_at", "finished_at", "error"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(created_by=request.user)

    def get_urls(self):
        return [
            path(
                "<int:pk>/download/",
                self.admin_site.admin_view(self.download_view),
                name="reinscription_exportjob_download",
            ),
        ] + super().get_urls()

    def download_view(self, request, pk):
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        if job.status != ExportJob.Status.DONE or not job.file_name:
            raise Http404
        from .recap import zip_filename

        return FileResponse(
            default_storage.open(job.file_name, "rb"),
            as_attachment=True,
            filename=zip_filename(),
            content_type="application/zip",
        )

    @admin.display(description=_("progress"))
    def progress(self, job):
        return f"{job.done} / {job.total} ({job.percent} %)"

    @admin.display(description=_("download"))
    def download(self, job):
        if job.status == ExportJob.Status.DONE and job.file_name:
            return format_html(
                '<a href="{}">{}</a>',
                reverse("admin:reinscription_exportjob_download", args=[job.pk]),
                _("Download the ZIP"),
            )
        return "—"
