"""Family billings and SEPA mandates in the staff admin: the final amount (with a
reason the family reads), the family's debit ledger, the debit and invoice exports
page, the mandates (the only place besides the exports where an IBAN is shown in
full; never deleted, their family, RUM and IBAN fixed once recorded: a new account
is an amendment or a new mandate)."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from simple_history.admin import SimpleHistoryAdmin

from billing import ledger
from billing.backoffice.exports import (
    LaterMonthExported,
    NothingToExport,
    batch_of,
    export_month,
    invoices,
    invoices_csv,
    monthly_debits,
)
from billing.backoffice.forms import (
    AmendmentForm,
    ExportForm,
    FamilyBillingAdminForm,
    MandateAdminForm,
)
from billing.models import FamilyBilling, Mandate, TariffGrid
from billing.services import amend_mandate, new_rum, queue_prenotification, set_final_amount
from conservatoire.models import SchoolYear
from conservatoire.money import format_euros
from conservatoire.spreadsheets import attachment

from .collections import batch_download


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


class BankChangedFilter(admin.BooleanFieldListFilter):
    """``bank_changed``, titled with the reference month of the school year filtered on
    (else the latest one): "changement de banque depuis septembre 2024"."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        year_id = request.GET.get("school_year__id__exact")
        years = SchoolYear.objects.order_by("-starts_on")
        year = (years.filter(pk=year_id) if str(year_id or "").isdigit() else years).first()
        if year is not None:
            self.title = _("bank changed since %(month)s") % {
                "month": date_format(year.bank_change_since, "F Y")
            }


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
    list_filter = [
        "school_year",
        "payment_mode",
        FinalAmountFilter,
        ("bank_changed", BankChangedFilter),
    ]
    search_fields = ["family__name", "family__legacy_id", "pass_culture_number"]
    list_select_related = ["family", "school_year"]
    autocomplete_fields = ["family"]
    readonly_fields = [
        "estimated_total",
        "estimated_at",
        "schedule_display",
        "ledger_display",
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
        (
            _("Debits"),
            {
                "fields": ["ledger_display"],
                "description": _(
                    "What the debits sent to the bank add up to. The next debit spreads what "
                    "is left over the months left."
                ),
            },
        ),
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

    @admin.display(description=_("debit ledger"))
    def ledger_display(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        lines = list(obj.debit_lines.select_related("batch").order_by("batch__month", "pk"))
        if not lines:
            return _("No debit sent yet.")
        months = ledger.open_months(obj, ledger.last_batch_month(obj.school_year))
        return render_to_string(
            "billing/admin/ledger.html",
            {"balance": ledger.balance_of(obj, lines), "lines": lines, "months_left": months},
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
            batch = batch_of(year, month)
            if action in ("debits_csv", "sepa_xml"):
                if batch is None and not self.has_change_permission(request):
                    raise PermissionDenied  # recording a batch is a change of the billings
                try:
                    batch = export_month(year, month, collection, by=request.user)
                except NothingToExport:
                    messages.error(request, _("No debit of this month can be exported yet."))
                except LaterMonthExported as exc:
                    messages.error(
                        request,
                        _(
                            "The debits of %(month)s are already exported: the months are "
                            "exported in order."
                        )
                        % {"month": exc.month.strftime("%m/%Y")},
                    )
                else:
                    return batch_download(batch, "csv" if action == "debits_csv" else "xml")
            if batch is not None:
                lines = list(batch.lines.all())
                context["batch"] = batch
                context["batch_total"] = sum((line.amount for line in lines), 0)
                context["batch_count"] = len(lines)
            else:
                debits = monthly_debits(year, month, collection)
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
class MandateAdmin(SimpleHistoryAdmin):
    """Staff view: the IBAN is shown in full here (and in the exports) only.

    A mandate is never deleted. Once recorded, its family, RUM and IBAN are read
    only (an IBAN may still be entered on a reserved mandate, which has none): a
    new account is recorded as an amendment (the "change the account" page) or as
    a new mandate (Add), each with a new RUM.
    """

    form = MandateAdminForm
    list_display = ["rum", "family", "holder", "iban", "bic", "signed_on", "created_at"]
    list_filter = [("signed_on", admin.EmptyFieldListFilter)]
    search_fields = ["rum", "family__name", "holder"]
    list_select_related = ["family"]
    autocomplete_fields = ["family"]
    fields = [
        "family",
        "rum",
        "holder",
        "iban",
        "bic",
        "signed_on",
        "amended_from",
        "amend_link",
        "created_at",
    ]

    def get_readonly_fields(self, request, obj=None):
        readonly = ["rum", "amended_from", "amend_link", "created_at"]
        if obj is not None and obj.pk:
            readonly.append("family")
            if obj.iban:
                readonly.append("iban")
        return readonly

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("change of bank account"))
    def amend_link(self, obj):
        if obj is None or not obj.pk or not obj.iban:
            return "—"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:billing_mandate_amend", args=[obj.pk]),
            _("Record the family's new account (amendment of this mandate)"),
        )

    def save_model(self, request, obj, form, change):
        if not obj.rum:
            obj.rum = new_rum(obj.family)
        super().save_model(request, obj, form, change)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/amend/",
                self.admin_site.admin_view(self.amend_view),
                name="billing_mandate_amend",
            ),
        ]
        return urls + super().get_urls()

    def amend_view(self, request, pk):
        mandate = get_object_or_404(Mandate.objects.select_related("family"), pk=pk)
        if not self.has_change_permission(request, mandate) or not mandate.iban:
            raise PermissionDenied
        form = AmendmentForm(request.POST or None, mandate=mandate)
        if request.method == "POST" and form.is_valid():
            amended = amend_mandate(
                mandate,
                iban=form.cleaned_data["iban"],
                bic=form.cleaned_data["bic"],
                holder=form.cleaned_data["holder"],
            )
            messages.success(
                request,
                _(
                    "New account recorded as mandate %(rum)s, amending %(previous)s: the next "
                    "debit file tells the bank."
                )
                % {"rum": amended.rum, "previous": mandate.rum},
            )
            return redirect("admin:billing_mandate_change", amended.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Change of bank account: %(rum)s") % {"rum": mandate.rum},
            "form": form,
            "mandate": mandate,
        }
        return TemplateResponse(request, "billing/admin/mandate_amend.html", context)
