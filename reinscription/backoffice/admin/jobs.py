"""What the back office sent and built: reminders sent, ZIPs of recaps (export jobs)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from reinscription.models import ExportJob, ReminderSent
from reinscription.recap import zip_filename


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
        # Permission first: staff outside the Secrétariat get 403, never a hint of what exists.
        if not self.has_view_permission(request):
            raise PermissionDenied
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if job.status != ExportJob.Status.DONE or not job.file_name:
            raise Http404
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
