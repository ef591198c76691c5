"""Re-enrolments: the families' answers, as the secretariat handles them.

Validate ("validé par le conservatoire"), internal note, final amount (billing),
recap PDF, ZIP of a selection (≤ ``SYNC_ZIP_LIMIT`` at once, more by a task),
planning exports of a selection. Drafts of the guide: :mod:`.drafts`.
"""

from __future__ import annotations

import tempfile

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.http import FileResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from billing.models import FamilyBilling, PaymentMode
from conservatoire.models import Identity
from conservatoire.money import format_euros
from reinscription.backoffice import exports
from reinscription.backoffice.tasks import start_recap_export
from reinscription.backoffice.validation import enrol_from_reenrolment, validate_reenrolments
from reinscription.labels import code_names, preference_items
from reinscription.models import Campaign, Reenrolment
from reinscription.recap import (
    latest_snapshot,
    pdf_response,
    recap_queryset,
    write_recaps_zip,
    zip_filename,
)

from .links import admin_url
from .reenrolment_filters import CurrentCourseFilter, PaymentModeFilter, PreferenceFilter
from .reenrolment_forms import (
    ReenrolmentAdminForm,
    ReenrolmentSnapshotInline,
    locked_for_validation,
    seen_versions,
)

SYNC_ZIP_LIMIT = 50


@admin.register(Reenrolment)
class ReenrolmentAdmin(SimpleHistoryAdmin):
    form = ReenrolmentAdminForm
    change_form_template = "admin/reinscription/reenrolment/change_form.html"
    list_display = [
        "student",
        "family_link",
        "campaign",
        "status",
        "version_seen",
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
                    "seen_version",
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

    def get_fieldsets(self, request, obj=None):
        """``seen_version`` is a hidden input of the change form; a read-only page has none."""
        fieldsets = super().get_fieldsets(request, obj)
        if self.has_change_permission(request, obj):
            return fieldsets
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f != "seen_version"]})
            for name, options in fieldsets
        ]

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
        if not self.has_view_permission(request):
            raise PermissionDenied
        reenrolment = get_object_or_404(recap_queryset(), pk=object_id)
        return pdf_response(reenrolment)

    def save_model(self, request, obj, form, change):
        validating = "status" in form.changed_data and obj.status == Reenrolment.Status.VALIDATED
        if "status" in form.changed_data:
            if validating:
                obj.validated_by = request.user
                obj.validated_at = timezone.now()
            else:
                obj.validated_by = None
                obj.validated_at = None
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            enrolment, created = enrol_from_reenrolment(obj) if validating else (None, False)
        if created:
            self.message_user(
                request,
                format_html(
                    '{} <a href="{}">{}</a>',
                    _("The enrolment of %(student)s for %(year)s is created.")
                    % {"student": obj.student, "year": obj.campaign.school_year},
                    admin_url("reinscription_enrolment_change", enrolment.pk),
                    _("Check the enrolment"),
                ),
                messages.INFO,
            )

    @admin.display(description=_("version"), ordering="version")
    def version_seen(self, reenrolment):
        """The version, and in the list's form the one the validation action accepts."""
        return format_html(
            '{}<input type="hidden" name="seen_version_{}" value="{}">',
            reenrolment.version,
            reenrolment.pk,
            reenrolment.version,
        )

    @admin.display(description=_("family"), ordering="student__family__name")
    def family_link(self, reenrolment):
        family = reenrolment.student.family
        url = admin_url("accounts_family_change", family.pk)
        return format_html('<a href="{}">{}</a>', url, family.name) if url else family.name

    @admin.display(description=_("final amount"), ordering="final_amount_value", empty_value="—")
    def final_amount(self, reenrolment):
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
        items = preference_items(reenrolment.preferences or {}, code_names(), skip=())
        if not items:
            return "—"
        return format_html_join(mark_safe("<br>"), "{} : {}", items)

    @admin.display(description=_("payment mode"), ordering="payment_mode", empty_value="—")
    def payment_mode_display(self, reenrolment):
        mode = reenrolment.payment_mode
        return PaymentMode(mode).label if mode in PaymentMode.values else mode or None

    @admin.display(description=_("recap"))
    def recap_display(self, reenrolment):
        snapshot = latest_snapshot(reenrolment)
        if snapshot is None:
            return "—"
        # The template escapes every value typed by the family.
        return mark_safe(  # noqa: S308
            render_to_string(
                "reinscription/_recap.html",
                {
                    "summary": snapshot.data,
                    "school_year": reenrolment.campaign.school_year,
                    "conservatoire": Identity.current(),
                },
            )
        )

    @admin.action(
        description=pgettext_lazy("guide", "Validate the re-enrolment"), permissions=["change"]
    )
    def validate_selected(self, request, queryset):
        """Validate the selected rows as locked now, unless the family wrote a version other
        than the one the list showed (those are left for the secretary to look at)."""
        seen = seen_versions(request)
        with transaction.atomic():
            locked = dict(locked_for_validation(queryset).values_list("pk", "version"))
            stale = [pk for pk, version in locked.items() if seen.get(pk, version) != version]
            fresh = Reenrolment.objects.filter(pk__in=locked.keys() - set(stale))
            validated, skipped, enrolled = validate_reenrolments(fresh, request.user)
        if stale:
            self.message_user(
                request,
                _(
                    "Modified by the family since the list was shown, left as they were "
                    "(reload the list to see them): %(count)d."
                )
                % {"count": len(stale)},
                messages.WARNING,
            )
        self.message_user(
            request,
            _("Re-enrolments validated: %(count)d.") % {"count": validated},
            messages.SUCCESS,
        )
        if enrolled:
            self.message_user(
                request,
                _("Enrolments created for the new school year: %(count)d.") % {"count": enrolled},
                messages.INFO,
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
