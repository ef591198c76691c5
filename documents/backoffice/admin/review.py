"""Staff review of the documents: waiting ones first, open each file, accept or refuse
with a reason (the family is emailed)."""

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from documents import services
from documents.backoffice.forms import RefusalForm
from documents.models import Document, DocumentFile
from documents.validators import format_size


class StatusFilter(admin.SimpleListFilter):
    """Status, showing the documents waiting for review unless asked otherwise."""

    title = _("status")
    parameter_name = "status"
    ALL = "all"

    def lookups(self, request, model_admin):
        return [
            (Document.Status.RECEIVED, _("Waiting for review")),
            (Document.Status.ACCEPTED, capfirst(Document.Status.ACCEPTED.label)),
            (Document.Status.REFUSED, capfirst(Document.Status.REFUSED.label)),
            (Document.Status.MISSING, capfirst(Document.Status.MISSING.label)),
            (self.ALL, pgettext_lazy("documents filter", "All")),
        ]

    def value(self):
        return super().value() or Document.Status.RECEIVED

    def choices(self, changelist):
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }

    def queryset(self, request, queryset):
        if self.value() == self.ALL:
            return queryset
        return queryset.filter(status=self.value())


def vanished(request, queryset) -> int:
    """How many selected documents the list's filter no longer matches: their status
    changed since the list was displayed (Django leaves them out of the action)."""
    if request.POST.get("select_across") == "1":
        return 0
    return max(len(request.POST.getlist(ACTION_CHECKBOX_NAME)) - queryset.count(), 0)


def posted_version(request, document) -> str | None:
    """The version of ``document`` the reviewer's page showed (``review_version_<pk>``)."""
    return request.POST.get(f"review_version_{document.pk}") or None


CHANGED_MESSAGE = _(
    "This document changed since you opened it (another review or a new file): nothing "
    "was done. Check it again below."
)


def file_links(files) -> str:
    return format_html_join(
        "",
        '<li><a href="{}">{}</a> ({}, {})</li>',
        (
            (
                reverse("documents:download", args=[f.pk]),
                f.original_name,
                f.content_type,
                format_size(f.size),
            )
            for f in files
        ),
    )


class DocumentFileInline(admin.TabularInline):
    model = DocumentFile
    extra = 0
    can_delete = False
    fields = ["download", "size_display", "content_type", "uploaded_by", "uploaded_at", "state"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        if obj.deleted_at or not obj.file.name:
            return obj.original_name
        return format_html(
            '<a href="{}">{}</a>', reverse("documents:download", args=[obj.pk]), obj.original_name
        )

    @admin.display(description=_("size"))
    def size_display(self, obj):
        return format_size(obj.size)

    @admin.display(description=_("state"))
    def state(self, obj):
        if obj.deleted_at:
            return _("deleted (retention) on %(date)s") % {"date": obj.deleted_at.date()}
        if obj.replaced_at:
            return _("replaced on %(date)s") % {"date": obj.replaced_at.date()}
        return _("current")


@admin.register(Document)
class DocumentAdmin(SimpleHistoryAdmin):
    list_display = [
        "type_name",
        "family",
        "student",
        "status_display",
        "files_display",
        "received_at",
        "reviewed_at",
    ]
    list_filter = [StatusFilter, "type__school_year", "type"]
    search_fields = [
        "family__name",
        "student__first_name",
        "student__last_name",
        "family__responsibles__email",
        "family__responsibles__username",
        "type__name",
    ]
    list_select_related = ["type", "family", "student"]
    raw_id_fields = ["family", "student"]
    inlines = [DocumentFileInline]
    actions = ["accept_selected", "refuse_selected"]
    change_form_template = "admin/documents/document/change_form.html"

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("files")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ["reviewed_by", "reviewed_at", "received_at"]
        return [
            "type",
            "family",
            "student",
            "status",
            "refusal_reason",
            "received_at",
            "reviewed_by",
            "reviewed_at",
        ]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["type", "family", "student", "status", "refusal_reason"]
        return super().get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if not change and obj.status in (Document.Status.ACCEPTED, Document.Status.REFUSED):
            obj.reviewed_by = request.user
            obj.reviewed_at = timezone.now()
        super().save_model(request, obj, form, change)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["review_version"] = services.review_version(obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description=_("status"), ordering="status")
    def status_display(self, obj):
        """The status, and the version the review actions will expect (inside the list's form)."""
        return format_html(
            '{}<input type="hidden" name="review_version_{}" value="{}">',
            obj.get_status_display(),
            obj.pk,
            services.review_version(obj),
        )

    @admin.display(description=_("document type"), ordering="type__name")
    def type_name(self, obj):
        return obj.type.name

    @admin.display(description=_("files"))
    def files_display(self, obj):
        files = [f for f in obj.files.all() if f.deleted_at is None and f.replaced_at is None]
        if not files:
            return "—"
        return format_html('<ul class="documents-files">{}</ul>', file_links(files))

    # --- Review actions ----------------------------------------------------------------

    @admin.action(description=_("Accept the selected documents"), permissions=["change"])
    def accept_selected(self, request, queryset):
        accepted, changed = 0, vanished(request, queryset)
        for document in queryset:
            try:
                accepted += services.accept(
                    document, request.user, expected_version=posted_version(request, document)
                )
            except services.DocumentChanged:
                changed += 1
        skipped = queryset.count() - accepted - changed
        self.message_user(
            request,
            ngettext("%(count)d document accepted.", "%(count)d documents accepted.", accepted)
            % {"count": accepted},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document skipped (not waiting for review or without file).",
                    "%(count)d documents skipped (not waiting for review or without file).",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
        self._report_changed(request, changed)

    def _report_changed(self, request, changed: int) -> None:
        if changed:
            self.message_user(
                request,
                ngettext(
                    "%(count)d document changed since the list was displayed (another review "
                    "or a new file): it was left as it is. Check it again.",
                    "%(count)d documents changed since the list was displayed (another review "
                    "or a new file): they were left as they are. Check them again.",
                    changed,
                )
                % {"count": changed},
                messages.WARNING,
            )

    @admin.action(
        description=_("Refuse the selected documents (with a reason)…"), permissions=["change"]
    )
    def refuse_selected(self, request, queryset):
        if "apply" in request.POST:
            form = RefusalForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                refused, changed = 0, vanished(request, queryset)
                for document in queryset.select_related("type__school_year", "family", "student"):
                    try:
                        refused += services.refuse(
                            document,
                            reason,
                            request.user,
                            expected_version=posted_version(request, document),
                        )
                    except services.DocumentChanged:
                        changed += 1
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d document refused; the family was emailed.",
                        "%(count)d documents refused; the families were emailed.",
                        refused,
                    )
                    % {"count": refused},
                    messages.SUCCESS,
                )
                skipped = queryset.count() - refused - changed
                if skipped:
                    self.message_user(
                        request,
                        ngettext(
                            "%(count)d document skipped (nothing received to refuse).",
                            "%(count)d documents skipped (nothing received to refuse).",
                            skipped,
                        )
                        % {"count": skipped},
                        messages.WARNING,
                    )
                self._report_changed(request, changed)
                return None
        else:
            form = RefusalForm()
        return self._refusal_page(request, queryset, form, action="refuse_selected")

    def _refusal_page(self, request, queryset, form, action=""):
        documents = list(queryset.select_related("type", "family", "student"))
        for document in documents:  # the version the reviewer's list showed, else this page's
            document.review_version = posted_version(request, document) or services.review_version(
                document
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Refuse documents"),
            "opts": self.model._meta,
            "documents": documents,
            "form": form,
            "action": action,
            "action_checkbox_name": ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/documents/document/refuse.html", context)

    # --- The same review from a document's page ----------------------------------------

    def get_urls(self):
        urls = super().get_urls()
        custom = [
            path(
                "<int:pk>/accepter/",
                self.admin_site.admin_view(self.accept_view),
                name="documents_document_accept",
            ),
            path(
                "<int:pk>/refuser/",
                self.admin_site.admin_view(self.refuse_view),
                name="documents_document_refuse",
            ),
        ]
        return custom + urls

    def _change_url(self, pk):
        return reverse("admin:documents_document_change", args=[pk])

    def accept_view(self, request, pk):
        document = get_object_or_404(Document, pk=pk)
        if not self.has_change_permission(request, document) or request.method != "POST":
            return HttpResponseRedirect(self._change_url(pk))
        version = request.POST.get("review_version") or None
        try:
            accepted = services.accept(document, request.user, expected_version=version)
        except services.DocumentChanged:
            self.message_user(request, CHANGED_MESSAGE, messages.WARNING)
            return HttpResponseRedirect(self._change_url(pk))
        if accepted:
            self.message_user(request, _("Document accepted."), messages.SUCCESS)
        else:
            self.message_user(
                request, _("This document is not waiting for review."), messages.WARNING
            )
        return HttpResponseRedirect(self._change_url(pk))

    def refuse_view(self, request, pk):
        document = get_object_or_404(
            Document.objects.select_related("type__school_year", "family", "student"), pk=pk
        )
        if not self.has_change_permission(request, document):
            return HttpResponseRedirect(self._change_url(pk))
        form = RefusalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                refused = services.refuse(
                    document,
                    form.cleaned_data["reason"],
                    request.user,
                    expected_version=posted_version(request, document),
                )
            except services.DocumentChanged:
                self.message_user(request, CHANGED_MESSAGE, messages.WARNING)
                return HttpResponseRedirect(self._change_url(pk))
            if refused:
                self.message_user(
                    request, _("Document refused; the family was emailed."), messages.SUCCESS
                )
            else:
                self.message_user(
                    request, _("This document has nothing received to refuse."), messages.WARNING
                )
            return HttpResponseRedirect(self._change_url(pk))
        return self._refusal_page(request, Document.objects.filter(pk=pk), form)
