"""The catalogue (courses and their slots) and what each student follows (enrolments).

The enrolments' list has the "Importer" button: last year's data, through
:mod:`reinscription.backoffice.imports`.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from reinscription.backoffice.imports.resource import LegacyImportAdminMixin
from reinscription.models import Course, CourseSlot, Enrolment, EnrolmentCourse


class CourseSlotInline(admin.TabularInline):
    model = CourseSlot
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "discipline", "kind", "question", "order"]
    list_filter = ["discipline", "kind", "question"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["next_course"]
    inlines = [CourseSlotInline]


@admin.register(CourseSlot)
class CourseSlotAdmin(admin.ModelAdmin):
    list_display = ["course", "school_year", "weekday", "starts_at", "ends_at"]
    list_filter = ["school_year", "weekday", "course__discipline"]
    search_fields = ["course__name", "label"]
    list_select_related = ["course", "school_year"]


class EnrolmentCourseInline(admin.TabularInline):
    model = EnrolmentCourse
    extra = 0
    autocomplete_fields = ["course"]


@admin.register(Enrolment)
class EnrolmentAdmin(LegacyImportAdminMixin, SimpleHistoryAdmin):
    list_display = ["student", "school_year", "formula", "instrument_year", "course_list"]
    list_filter = ["school_year", "formula"]
    search_fields = [
        "student__last_name",
        "student__first_name",
        "student__family__name",
        "student__legacy_id",
    ]
    list_select_related = ["student", "school_year", "formula"]
    autocomplete_fields = ["student"]
    inlines = [EnrolmentCourseInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines__course")

    @admin.display(description=_("courses"))
    def course_list(self, enrolment):
        return ", ".join(line.course.name for line in enrolment.lines.all())
