"""Tariff grids in the staff admin: formulas, grids with their brackets, prices and
sibling reductions, the CSV import page and the grid's CSV download."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from billing.backoffice.exports import grid_csv
from billing.backoffice.forms import GridImportForm
from billing.backoffice.imports import EXAMPLE_FILE, GridImportError, import_grid
from billing.models import Formula, Price, QFBracket, SiblingReduction, TariffGrid
from billing.rules.brackets import Bracket, bracket_problems
from conservatoire.spreadsheets import attachment


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
                Bracket(
                    key=str(len(brackets)),
                    label=data.get("label", ""),
                    min_qf=data["min_qf"],
                    max_qf=data.get("max_qf"),
                )
            )
        problems = bracket_problems(brackets)
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
                result = import_grid(
                    form.cleaned_data["school_year"], form.cleaned_data["file"].read()
                )
            except GridImportError as exc:
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
            "example": EXAMPLE_FILE.read_text(encoding="utf-8"),
        }
        return TemplateResponse(request, "billing/admin/import.html", context)

    def csv_view(self, request, pk):
        if not self.has_view_permission(request):
            raise PermissionDenied
        grid = get_object_or_404(TariffGrid.objects.select_related("school_year"), pk=pk)
        return attachment(grid_csv(grid), f"grille-{grid.school_year.label}.csv")
