"""Family billings and SEPA mandates in the staff admin: the final amount (with a
reason the family reads), the debit and invoice exports page, the mandates (the
only place besides the exports where an IBAN is shown in full)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from billing.backoffice.exports import (
    NothingToExport,
    debits_csv,
    invoices,
    invoices_csv,
    monthly_debits,
    sepa_xml,
)
from billing.backoffice.forms import ExportForm, FamilyBillingAdminForm, MandateAdminForm
from billing.models import FamilyBilling, Mandate, TariffGrid
from billing.services import new_rum, queue_prenotification, set_final_amount
from conservatoire.money import format_euros
from conservatoire.spreadsheets import attachment


class FinalAmountFilter(admin.SimpleListFilter):
    title = _("final amount")
    parameter_name = "final"

    def lookups(self, request, model_admin):
        return [("yes", _("set")), ("no", _("not set"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(final_amount__isnull=False)
        if self.value() == "no":
            return queryset.filter(final_amount__isnull=True)
        return queryset


@admin.register(FamilyBilling)
class FamilyBillingAdmin(SimpleHistoryAdmin):
    form = FamilyBillingAdminForm
    list_display = [
        "family",
        "school_year",
        "payment_mode",
        "estimated_total",
        "final_amount",
        "final_set_at",
        "prenotified_at",
    ]
    list_filter = ["school_year", "payment_mode", FinalAmountFilter, "bank_changed"]
    search_fields = ["family__name", "family__legacy_id", "pass_culture_number"]
    list_select_related = ["family", "school_year"]
    autocomplete_fields = ["family"]
    readonly_fields = [
        "estimated_total",
        "estimated_at",
        "schedule_display",
        "final_set_by",
        "final_set_at",
        "prenotified_at",
        "prenotified_total",
    ]
    fieldsets = [
        (None, {"fields": ["family", "school_year"]}),
        (
            _("Desired payment mode"),
            {"fields": ["payment_mode", "bank_changed", "pass_culture_number", "starts_on"]},
        ),
        (_("Estimate"), {"fields": ["estimated_total", "estimated_at"]}),
        (
            _("Final amount"),
            {
                "fields": ["final_amount", "final_reason", "final_set_by", "final_set_at"],
                "description": _(
                    "The family sees the final amount and its schedule instead of the "
                    "estimate, with the difference and this reason."
                ),
            },
        ),
        (_("Schedule"), {"fields": ["schedule_display", "prenotified_at", "prenotified_total"]}),
    ]
    actions = ["confirm_estimates"]
    change_list_template = "billing/admin/familybilling_change_list.html"

    @admin.display(description=_("schedule"))
    def schedule_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        items = obj.schedule()
        if not items:
            return "—"
        return format_html_join(
            ", ",
            "{} : {}",
            ((i.due_on.strftime("%d/%m/%Y"), format_euros(i.amount)) for i in items),
        )

    def save_model(self, request, obj, form, change):
        final_changed = bool({"final_amount", "final_reason"} & set(form.changed_data))
        if final_changed:
            if obj.final_amount is None:
                obj.final_reason, obj.final_set_by, obj.final_set_at = "", None, None
            else:
                obj.final_set_by, obj.final_set_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
        if final_changed or "payment_mode" in form.changed_data:
            queue_prenotification(obj)

    @admin.action(description=_("Confirm the estimate as the final amount"))
    def confirm_estimates(self, request, queryset):
        count = 0
        for billing in queryset.filter(final_amount__isnull=True, estimated_total__isnull=False):
            set_final_amount(
                billing,
                amount=billing.estimated_total,
                reason=str(_("Estimate confirmed by the secretariat.")),
                by=request.user,
            )
            count += 1
        self.message_user(
            request,
            ngettext(
                "%(count)d estimate confirmed as final.",
                "%(count)d estimates confirmed as final.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def get_urls(self):
        urls = [
            path(
                "exports/",
                self.admin_site.admin_view(self.exports_view),
                name="billing_familybilling_exports",
            ),
        ]
        return urls + super().get_urls()

    def exports_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        data = request.POST if request.method == "POST" else None
        form = ExportForm(data, initial=self._export_initial())
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Debit and invoice exports"),
            "form": form,
        }
        action = request.POST.get("export", "")
        if data is not None and action == "invoices_csv" and form.is_valid():
            year = form.cleaned_data["school_year"]
            return attachment(invoices_csv(invoices(year)), f"factures-{year.label}.csv")
        if (
            data is not None
            and action in ("preview", "debits_csv", "sepa_xml")
            and form.require_month()
        ):
            year = form.cleaned_data["school_year"]
            month = form.cleaned_data["month"]
            collection = form.cleaned_data["collection_date"]
            debits = monthly_debits(year, month, collection)
            if action == "debits_csv":
                return attachment(debits_csv(debits), f"prelevements-{month:%Y-%m}.csv")
            if action == "sepa_xml":
                try:
                    xml = sepa_xml(debits, collection)
                except NothingToExport:
                    messages.error(request, _("No debit of this month can be exported yet."))
                else:
                    return attachment(
                        xml, f"sepa-{collection:%Y-%m-%d}.xml", content_type="application/xml"
                    )
            context["debits"] = debits
            context["exportable"] = [d for d in debits if d.exportable]
            context["blocked"] = [d for d in debits if not d.exportable]
            context["exportable_total"] = sum((d.amount for d in context["exportable"]), 0)
        return TemplateResponse(request, "billing/admin/exports.html", context)

    @staticmethod
    def _export_initial():
        grid = (
            TariffGrid.objects.select_related("school_year")
            .order_by("-school_year__starts_on")
            .first()
        )
        return {"school_year": grid.school_year if grid else None}


# --- Mandates ---------------------------------------------------------------------------------


@admin.register(Mandate)
class MandateAdmin(admin.ModelAdmin):
    """Staff view: the IBAN is shown in full here (and in the exports) only."""

    form = MandateAdminForm
    list_display = ["rum", "family", "holder", "iban", "bic", "signed_on", "created_at"]
    list_filter = [("signed_on", admin.EmptyFieldListFilter)]
    search_fields = ["rum", "family__name", "holder"]
    list_select_related = ["family"]
    autocomplete_fields = ["family"]
    readonly_fields = ["rum", "created_at"]
    fields = ["family", "rum", "holder", "iban", "bic", "signed_on", "created_at"]

    def save_model(self, request, obj, form, change):
        if not obj.rum:
            obj.rum = new_rum(obj.family)
        super().save_model(request, obj, form, change)
