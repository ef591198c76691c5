"""Re-enrolments: the families' answers, as the secretariat handles them.

Validate ("validé par le conservatoire"), internal note, final amount (billing),
recap PDF, ZIP of a selection (≤ ``SYNC_ZIP_LIMIT`` at once, more by a task),
planning exports of a selection. Drafts of the guide are listed read-only.
"""

from __future__ import annotations

import tempfile

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Subquery
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
from billing.rules.sepa import mask_iban
from conservatoire.models import Identity
from conservatoire.money import format_euros
from reinscription.backoffice import dashboard, exports
from reinscription.backoffice.tasks import start_recap_export
from reinscription.backoffice.validation import enrol_from_reenrolment, validate_reenrolments
from reinscription.labels import PREFERENCES, code_names, preference_items
from reinscription.models import (
    Campaign,
    Course,
    EnrolmentCourse,
    Reenrolment,
    ReenrolmentSnapshot,
    WizardDraft,
)
from reinscription.recap import (
    latest_snapshot,
    pdf_response,
    recap_queryset,
    write_recaps_zip,
    zip_filename,
)
from reinscription.wizard.storage import typed_iban

from .links import admin_url

SYNC_ZIP_LIMIT = 50


class PreferenceFilter(admin.SimpleListFilter):
    """A course preference of step 6 (``?pref=ensemble:orchestre``, ``?pref=day.fm1c3:thursday``,
    see ``dashboard.q_preference``), re-enrolled students only."""

    title = _("course preference")
    parameter_name = "pref"

    def lookups(self, request, model_admin):
        items = []
        for key, (label, choices) in PREFERENCES.items():
            if key == "administrative":
                items.append(("administrative:True", label))
                continue
            items += [(f"{key}:{value}", f"{label} — {text}") for value, text in choices.items()]
        ensembles = Course.objects.filter(kind=Course.Kind.ENSEMBLE).values_list("code", "name")
        label = PREFERENCES["ensemble"][0]
        items += [(f"ensemble:{code}", f"{label} — {name}") for code, name in ensembles]
        return items

    def queryset(self, request, queryset):
        if not self.value() or ":" not in self.value():
            return queryset
        key, value = self.value().split(":", 1)
        if not dashboard.is_preference_key(key):
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


STALE_VERSION = _(
    "This re-enrolment was modified since you opened it (version %(seen)s → %(stored)s). "
    "Reload the page."
)


class ReenrolmentAdminForm(forms.ModelForm):
    """Staff may only move a re-enrolment between "réinscrit" and "validé", and only the
    version they saw: ``seen_version`` carries it, checked against the row locked."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Reenrolment
        fields = ["status", "internal_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version
        if self.instance.pk and "status" in self.fields:
            if self.instance.decision == Reenrolment.Decision.REENROL:
                allowed = (Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED)
            else:
                allowed = (Reenrolment.Status.DECLINED,)
            self.fields["status"].choices = [
                (value, label) for value, label in Reenrolment.Status.choices if value in allowed
            ]

    def clean(self):
        """Refuse a version other than the one shown (the admin's change view is atomic: the
        row stays locked until saved)."""
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            stored = (
                Reenrolment.objects.select_for_update()
                .values_list("version", flat=True)
                .get(pk=self.instance.pk)
            )
            seen = cleaned_data.get("seen_version")
            if seen != stored:
                raise forms.ValidationError(
                    STALE_VERSION,
                    code="stale",
                    params={"seen": "?" if seen is None else seen, "stored": stored},
                )
        return cleaned_data


def locked_for_validation(queryset):
    """The selected re-enrolments, locked for the validation: by primary key (the list's
    search may add a DISTINCT, which cannot be locked), the re-enrolment rows alone."""
    pks = list(queryset.values_list("pk", flat=True))
    return Reenrolment.objects.filter(pk__in=pks).select_for_update(of=("self",)).order_by("pk")


def seen_versions(request) -> dict[int, int]:
    """The version of each re-enrolment the list showed (``seen_version_<pk>``)."""
    seen = {}
    for name, value in request.POST.items():
        pk = name.removeprefix("seen_version_")
        if pk != name and pk.isdigit() and value.isdigit():
            seen[int(pk)] = int(value)
    return seen


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


@admin.register(WizardDraft)
class WizardDraftAdmin(admin.ModelAdmin):
    list_display = ["student", "campaign", "updated_by", "updated_at"]
    list_filter = ["campaign"]
    search_fields = ["student__last_name", "student__first_name"]
    list_select_related = ["student", "campaign__school_year", "updated_by"]
    # Step 3's bank details are in ``sealed_steps`` (encrypted), never shown: ``data``
    # holds the other steps; the IBAN typed appears masked.
    readonly_fields = ["student", "campaign", "bank_account", "data", "updated_by", "updated_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("bank account typed (step 3)"))
    def bank_account(self, obj):
        return mask_iban(typed_iban(obj)) or "—"
