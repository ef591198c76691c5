from django.contrib import admin, messages
from django.db import models
from django.db.models import Q
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import emails
from .models import Identity, OutboxEmail, SchoolYear


@admin.register(SchoolYear)
class SchoolYearAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "starts_on",
        "ends_on",
        "single_payment_on",
        "first_debit_on",
        "instalments",
        "qf_year",
        "bank_change_since",
    ]
    search_fields = ["label"]
    fieldsets = [
        (None, {"fields": ["label", "starts_on", "ends_on"]}),
        (
            _("What the families are told (empty: the default of the first year)"),
            {
                "fields": [
                    "single_payment_on",
                    "first_debit_on",
                    "instalments",
                    "qf_year",
                    "bank_change_since",
                ]
            },
        ),
    ]


@admin.register(Identity)
class IdentityAdmin(admin.ModelAdmin):
    """One change page: the record is created from the settings when first read."""

    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fieldsets = [
        (None, {"fields": ["name", "commune", "address"]}),
        (_("Contact"), {"fields": ["email", "phone", "website", "planning_url"]}),
        (_("Direct debits and PDFs"), {"fields": ["ics", "logo"]}),
    ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        identity = Identity.current()
        return HttpResponseRedirect(
            reverse("admin:conservatoire_identity_change", args=[identity.pk])
        )


class DeliveryFilter(admin.SimpleListFilter):
    """Where an email stands: the failed ones first, for the staff to act on."""

    title = _("delivery")
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [
            ("failed", _("failed: to send again")),
            ("retrying", _("being tried again")),
            ("waiting", _("waiting for its first sending")),
            ("sent", _("sent")),
        ]

    def queryset(self, request, queryset):
        pending = Q(status=OutboxEmail.Status.PENDING)
        match self.value():
            case "failed":
                return queryset.filter(status=OutboxEmail.Status.FAILED)
            case "retrying":
                return queryset.filter(pending).exclude(last_error="")
            case "waiting":
                return queryset.filter(pending, last_error="")
            case "sent":
                return queryset.filter(status=OutboxEmail.Status.SENT)
        return queryset


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "recipients",
        "subject",
        "status",
        "attempts",
        "next_attempt_at",
        "sent_at",
    ]
    list_filter = [DeliveryFilter, "status", "kind"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    readonly_fields = [f.name for f in OutboxEmail._meta.fields]
    actions = ["resend"]

    @admin.display(description=_("recipients"))
    def recipients(self, obj):
        return ", ".join(obj.to)

    def has_add_permission(self, request):
        return False

    def has_resend_permission(self, request):
        # Sending an email again to whom it was meant for: whoever follows the outbox.
        return self.has_view_permission(request)

    @admin.action(description=_("Send again"), permissions=["resend"])
    def resend(self, request, queryset):
        """Put the selected emails not sent yet back to pending and queue them now."""
        queued = emails.resend(queryset)
        skipped = queryset.count() - queued
        self.message_user(
            request,
            ngettext("%(count)d email queued again.", "%(count)d emails queued again.", queued)
            % {"count": queued},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d email already sent, left alone.",
                    "%(count)d emails already sent, left alone.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
