from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import Family, Responsible, Student, User


class ResponsibleInline(admin.TabularInline):
    model = User
    fk_name = "family"
    fields = ["username", "first_name", "last_name", "email", "mobile", "relation", "is_active"]
    readonly_fields = ["username"]
    extra = 0
    verbose_name = _("responsible")
    verbose_name_plural = _("responsibles")


class StudentInline(admin.TabularInline):
    model = Student
    fields = ["first_name", "last_name", "birth_date", "school_level", "is_adult_learner"]
    extra = 0
    show_change_link = True


@admin.register(Family)
class FamilyAdmin(SimpleHistoryAdmin):
    list_display = ["name", "city", "is_resident", "qf_value", "qf_proven"]
    list_filter = ["is_resident", "qf_proven", "city"]
    search_fields = [
        "name",
        "city",
        "legacy_id",
        "responsibles__username",
        "responsibles__email",
        "students__last_name",
        "students__first_name",
    ]
    inlines = [ResponsibleInline, StudentInline]


@admin.register(Student)
class StudentAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "family", "birth_date", "school_level"]
    list_filter = ["school_level", "is_adult_learner", "family__is_resident"]
    search_fields = ["last_name", "first_name", "family__name", "legacy_id"]
    list_select_related = ["family"]
    autocomplete_fields = ["family"]


@admin.register(User)
class UserAdmin(DjangoUserAdmin, SimpleHistoryAdmin):
    """Every login (staff included); families are managed under "Responsables"."""

    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Family"), {"fields": ["family", "mobile", "relation", "access_sent_at"]}),
    )
    readonly_fields = ["access_sent_at", "last_login", "date_joined"]
    autocomplete_fields = ["family"]


@admin.register(Responsible)
class ResponsibleAdmin(SimpleHistoryAdmin):
    list_display = [
        "username",
        "last_name",
        "first_name",
        "family",
        "email",
        "mobile",
        "access_sent_at",
        "is_active",
    ]
    list_filter = ["is_active", "family__is_resident"]
    search_fields = ["username", "last_name", "first_name", "email", "family__name"]
    list_select_related = ["family"]
    autocomplete_fields = ["family"]
    fields = [
        "username",
        "family",
        "first_name",
        "last_name",
        "email",
        "mobile",
        "relation",
        "is_active",
        "access_sent_at",
    ]
    readonly_fields = ["username", "access_sent_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(family__isnull=False)
