from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Campaign, Course, CourseSlot, Enrolment, EnrolmentCourse


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = ["__str__", "opens_at", "closes_at", "rules_version"]
    search_fields = ["school_year__label", "rules_version"]


class CourseSlotInline(admin.TabularInline):
    model = CourseSlot
    extra = 0


@admin.register(Course)
class CourseAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "discipline", "kind", "order"]
    list_filter = ["discipline", "kind"]
    search_fields = ["name", "code"]
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
class EnrolmentAdmin(SimpleHistoryAdmin):
    list_display = ["student", "school_year", "formula", "instrument_year"]
    list_filter = ["school_year", "formula"]
    search_fields = ["student__last_name", "student__first_name", "student__family__name"]
    list_select_related = ["student", "school_year", "formula"]
    autocomplete_fields = ["student"]
    inlines = [EnrolmentCourseInline]
