"""Billing in the staff admin: grids (with CSV import/export), family billings (final
amount with a reason, exports of debits and invoices) and SEPA mandates."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from conservatoire.money import format_euros

from . import exports, imports, rules, services
from .forms import BICField, ExportForm, FamilyBillingAdminForm, GridImportForm, IBANField
from .models import (
    FamilyBilling,
    Formula,
    Mandate,
    Price,
    QFBracket,
    SiblingReduction,
    TariffGrid,
)


@admin.register(Formula)
class FormulaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order", "sibling_reduction"]
    list_editable = ["order"]
    search_fields = ["name", "code"]


# --- Tariff grids ---------------------------------------------------------------------------


class BracketFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        brackets = []
        for form in self.forms:
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or data.get("min_qf") is None:
                continue
            brackets.append(
                rules.Bracket(
                    key=str(len(brackets)),
                    label=data.get("label", ""),
                    min_qf=data["min_qf"],
                    max_qf=data.get("max_qf"),
                )
            )
        problems = rules.bracket_problems(brackets)
        if problems:
            raise ValidationError(problems)


class QFBracketInline(admin.TabularInline):
    model = QFBracket
    formset = BracketFormSet
    fields = ["label", "min_qf", "max_qf", "order"]
    extra = 0


class SiblingReductionInline(admin.TabularInline):
    model = SiblingReduction
    fields = ["from_rank", "percent"]
    extra = 0


class PriceInline(admin.TabularInline):
    model = Price
    fields = ["formula", "bracket", "amount"]
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "bracket":
            grid = getattr(request, "_billing_grid", None)
            kwargs["queryset"] = (
                QFBracket.objects.filter(grid=grid) if grid else QFBracket.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("formula", "bracket")


@admin.register(TariffGrid)
class TariffGridAdmin(admin.ModelAdmin):
    list_display = [
        "school_year",
        "bracket_count",
        "price_count",
        "pass_culture_amount",
        "updated_at",
    ]
    fields = ["school_year", "pass_culture_amount", "notes"]
    inlines = [QFBracketInline, SiblingReductionInline, PriceInline]
    change_list_template = "billing/admin/tariffgrid_change_list.html"
    change_form_template = "billing/admin/tariffgrid_change_form.html"

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("school_year")
            .annotate(
                _brackets=Count("brackets", distinct=True), _prices=Count("prices", distinct=True)
            )
        )

    @admin.display(description=_("brackets"))
    def bracket_count(self, obj):
        return obj._brackets

    @admin.display(description=_("prices"))
    def price_count(self, obj):
        return obj._prices

    def get_form(self, request, obj=None, **kwargs):
        request._billing_grid = obj
        return super().get_form(request, obj, **kwargs)

    def get_urls(self):
        urls = [
            path(
                "importer/",
                self.admin_site.admin_view(self.import_view),
                name="billing_tariffgrid_import",
            ),
            path(
                "<int:pk>/csv/",
                self.admin_site.admin_view(self.csv_view),
                name="billing_tariffgrid_csv",
            ),
        ]
        return urls + super().get_urls()

    def import_view(self, request):
        if not self.has_add_permission(request) or not self.has_change_permission(request):
            raise PermissionDenied
        form = GridImportForm(request.POST or None, request.FILES or None)
        errors = []
        if request.method == "POST" and form.is_valid():
            try:
                result = imports.import_grid(
                    form.cleaned_data["school_year"], form.cleaned_data["file"].read()
                )
            except imports.GridImportError as exc:
                errors = exc.errors
            else:
                messages.success(
                    request,
                    _("Grid %(year)s imported: %(prices)s prices.")
                    % {"year": result.grid.school_year, "prices": result.prices},
                )
                return redirect("admin:billing_tariffgrid_change", result.grid.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a tariff grid (CSV)"),
            "form": form,
            "errors": errors,
            "example": imports.EXAMPLE_FILE.read_text(encoding="utf-8"),
        }
        return TemplateResponse(request, "billing/admin/import.html", context)

    def csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        grid = get_object_or_404(TariffGrid.objects.select_related("school_year"), pk=pk)
        return csv_response(exports.grid_csv(grid), f"grille-{grid.school_year.label}.csv")


def csv_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- Family billings -----------------------------------------------------------------------------


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
            services.queue_prenotification(obj)

    @admin.action(description=_("Confirm the estimate as the final amount"))
    def confirm_estimates(self, request, queryset):
        count = 0
        for billing in queryset.filter(final_amount__isnull=True, estimated_total__isnull=False):
            services.set_final_amount(
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
            return csv_response(
                exports.invoices_csv(exports.invoices(year)), f"factures-{year.label}.csv"
            )
        if (
            data is not None
            and action in ("preview", "debits_csv", "sepa_xml")
            and form.require_month()
        ):
            year = form.cleaned_data["school_year"]
            month = form.cleaned_data["month"]
            collection = form.cleaned_data["collection_date"]
            debits = exports.monthly_debits(year, month, collection)
            if action == "debits_csv":
                return csv_response(exports.debits_csv(debits), f"prelevements-{month:%Y-%m}.csv")
            if action == "sepa_xml":
                try:
                    xml = exports.sepa_xml(debits, collection)
                except exports.NothingToExport:
                    messages.error(request, _("No debit of this month can be exported yet."))
                else:
                    response = HttpResponse(xml, content_type="application/xml")
                    response["Content-Disposition"] = (
                        f'attachment; filename="sepa-{collection:%Y-%m-%d}.xml"'
                    )
                    response["Cache-Control"] = "private, no-store"
                    return response
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


class MandateAdminForm(forms.ModelForm):
    iban = IBANField(required=False)
    bic = BICField(required=False)

    class Meta:
        model = Mandate
        fields = ["family", "rum", "holder", "iban", "bic", "signed_on"]


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
            obj.rum = services.new_rum(obj.family)
        super().save_model(request, obj, form, change)
