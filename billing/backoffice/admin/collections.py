"""Collection batches and their debits in the staff admin: the files as sent, marking a
batch collected, recording a rejected debit and its follow-up.

Nobody adds, edits or deletes a batch or a debit by hand: batches come from the
exports page, and what happens to a debit goes through
:mod:`billing.backoffice.collections`. The ledger is the family billings' detail,
so its permissions are theirs: who may see family billings sees the batches and
debits, who may change them marks batches collected and records rejections.
"""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Sum
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from billing.backoffice.collections import (
    AlreadyRejected,
    AlreadyRepresented,
    CannotRepresent,
    NotRejected,
    TooEarly,
    can_represent,
    mark_collected,
    record_rejection,
    set_resolution,
)
from billing.backoffice.forms import RejectionForm
from billing.models import CollectionBatch, DebitLine, DebitStatus, RejectionResolution
from conservatoire.money import format_euros
from conservatoire.spreadsheets import attachment


def batch_download(batch: CollectionBatch, kind: str):
    """The batch's file as recorded: ``csv`` (staff) or ``xml`` (the bank's pain.008)."""
    if kind == "csv":
        return attachment(bytes(batch.csv_file), f"prelevements-{batch.month:%Y-%m}.csv")
    return attachment(
        bytes(batch.sepa_file),
        f"sepa-{batch.collection_date:%Y-%m-%d}.xml",
        content_type="application/xml",
    )


class LedgerPermissions:
    """Family billings' permissions; no hand-made additions, no deletions."""

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("billing.view_familybilling") or self.has_change_permission(
            request, obj
        )

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("billing.change_familybilling")

    def has_add_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return self.has_view_permission(request)


class DebitLineInline(LedgerPermissions, admin.TabularInline):
    model = DebitLine
    fields = ["line_link", "amount", "sequence_type", "status", "rejection_reason", "resolution"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("billing__family")

    @admin.display(description=_("family"))
    def line_link(self, obj):
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:billing_debitline_change", args=[obj.pk]),
            obj.billing.family.name,
        )


@admin.register(CollectionBatch)
class CollectionBatchAdmin(LedgerPermissions, admin.ModelAdmin):
    list_display = [
        "__str__",
        "school_year",
        "collection_date",
        "line_count",
        "total",
        "collected_at",
        "created_by",
        "created_at",
    ]
    list_filter = ["school_year", ("collected_at", admin.EmptyFieldListFilter)]
    list_select_related = ["school_year", "created_by"]
    fields = [
        "school_year",
        "month",
        "collection_date",
        "message_id",
        "schema",
        "downloads",
        "created_by",
        "created_at",
        "collected_by",
        "collected_at",
    ]
    readonly_fields = fields
    inlines = [DebitLineInline]
    actions = ["mark_batches_collected"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .defer("csv_file", "sepa_file")
            .annotate(_count=Count("lines"), _total=Sum("lines__amount"))
        )

    @admin.display(description=_("debits"))
    def line_count(self, obj):
        return obj._count

    @admin.display(description=_("total"))
    def total(self, obj):
        return format_euros(obj._total or 0)

    @admin.display(description=_("files"))
    def downloads(self, obj):
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:billing_collectionbatch_file", args=[obj.pk, "xml"]),
            _("SEPA file (XML)"),
            reverse("admin:billing_collectionbatch_file", args=[obj.pk, "csv"]),
            _("list of the debits (CSV)"),
        )

    @admin.action(description=_("Mark as collected (the account statement shows them)"))
    def mark_batches_collected(self, request, queryset):
        if not self.has_change_permission(request):
            raise PermissionDenied
        for batch in queryset:
            try:
                count = mark_collected(batch, by=request.user)
            except TooEarly:
                messages.error(
                    request,
                    _("%(batch)s: not before its collection date (%(date)s).")
                    % {"batch": batch, "date": batch.collection_date.strftime("%d/%m/%Y")},
                )
                continue
            messages.success(
                request,
                ngettext(
                    "%(batch)s: %(count)d debit marked collected.",
                    "%(batch)s: %(count)d debits marked collected.",
                    count,
                )
                % {"batch": batch, "count": count},
            )

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/file/<str:kind>/",
                self.admin_site.admin_view(self.file_view),
                name="billing_collectionbatch_file",
            ),
        ]
        return urls + super().get_urls()

    def file_view(self, request, pk, kind):
        if not self.has_view_permission(request) or kind not in ("csv", "xml"):
            raise PermissionDenied
        return batch_download(get_object_or_404(CollectionBatch, pk=pk), kind)


@admin.register(DebitLine)
class DebitLineAdmin(LedgerPermissions, admin.ModelAdmin):
    list_display = [
        "family",
        "batch",
        "collection_date",
        "amount",
        "sequence_type",
        "status",
        "rejection_reason",
        "resolution",
    ]
    list_filter = ["status", "resolution", "rejection_reason", "batch__school_year", "batch"]
    list_select_related = ["billing__family", "batch"]
    search_fields = ["billing__family__name", "rum", "end_to_end_id"]
    fields = [
        "billing",
        "batch",
        "rejection_link",
        "status",
        "amount",
        "represented_amount",
        "collection_date",
        "instalment_number",
        "instalment_count",
        "sequence_type",
        "mandate",
        "rum",
        "holder",
        "iban",
        "bic",
        "mandate_signed_on",
        "original_rum",
        "original_iban",
        "end_to_end_id",
        "description",
        "rejection_reason",
        "rejected_on",
        "rejection_recorded_by",
        "resolution",
        "represented_by",
    ]
    readonly_fields = fields
    actions = ["move_to_single_payment", "present_again"]

    @admin.display(description=_("family"), ordering="billing__family__name")
    def family(self, obj):
        return obj.billing.family

    @admin.display(description=_("rejection"))
    def rejection_link(self, obj):
        if obj.status == DebitStatus.REJECTED and obj.represented_by_id is not None:
            return _("Presented again.")
        label = (
            _("Change the follow-up of the rejection")
            if obj.status == DebitStatus.REJECTED
            else _("Record a rejection (R-transaction)")
        )
        return format_html(
            '<a href="{}">{}</a>', reverse("admin:billing_debitline_reject", args=[obj.pk]), label
        )

    def _set_resolutions(self, request, queryset, resolution):
        if not self.has_change_permission(request):
            raise PermissionDenied
        done = 0
        for line in queryset.select_related("billing__family"):
            try:
                set_resolution(line, resolution, by=request.user)
            except NotRejected:
                messages.warning(
                    request, _("%(family)s: this debit is not rejected.") % _names(line)
                )
            except AlreadyRepresented:
                messages.warning(request, _("%(family)s: already presented again.") % _names(line))
            except CannotRepresent:
                messages.error(request, _no_debit_left(line))
            else:
                done += 1
        if done:
            messages.success(
                request,
                ngettext("%(count)d debit updated.", "%(count)d debits updated.", done)
                % {"count": done},
            )

    @admin.action(description=_("Move the rejected debits to a single payment"))
    def move_to_single_payment(self, request, queryset):
        self._set_resolutions(request, queryset, RejectionResolution.SINGLE_PAYMENT)

    @admin.action(description=_("Present the rejected debits again next month"))
    def present_again(self, request, queryset):
        self._set_resolutions(request, queryset, RejectionResolution.REPRESENT)

    def get_urls(self):
        urls = [
            path(
                "<int:pk>/rejection/",
                self.admin_site.admin_view(self.rejection_view),
                name="billing_debitline_reject",
            ),
        ]
        return urls + super().get_urls()

    def rejection_view(self, request, pk):
        line = get_object_or_404(
            DebitLine.objects.select_related("batch", "billing__family", "billing__school_year"),
            pk=pk,
        )
        if not self.has_change_permission(request, line):
            raise PermissionDenied
        already = line.status == DebitStatus.REJECTED
        form = RejectionForm(request.POST or None, line=line)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                if already:
                    set_resolution(line, data["resolution"], by=request.user)
                else:
                    record_rejection(
                        line,
                        reason=data["reason"],
                        rejected_on=data["rejected_on"],
                        resolution=data["resolution"],
                        by=request.user,
                    )
            except CannotRepresent:
                form.add_error("resolution", _no_debit_left(line))
            except (AlreadyRejected, AlreadyRepresented):
                form.add_error(None, _("This debit's rejection is already settled."))
            else:
                messages.success(request, _("Rejection recorded."))
                return redirect("admin:billing_debitline_change", line.pk)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Rejected debit: %(family)s, %(date)s") % _names(line),
            "form": form,
            "line": line,
            "already": already,
            "can_represent": can_represent(line),
        }
        return TemplateResponse(request, "billing/admin/debitline_rejection.html", context)


def _names(line: DebitLine) -> dict:
    return {
        "family": line.billing.family.name,
        "date": line.collection_date.strftime("%d/%m/%Y"),
    }


def _no_debit_left(line: DebitLine) -> str:
    return _(
        "%(family)s: no debit is left this school year to present it again; move it to a "
        "single payment."
    ) % _names(line)
