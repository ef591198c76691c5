from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Max
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy
from simple_history.admin import SimpleHistoryAdmin

from .emails import notify_email_changed
from .models import Family, PasswordResetRequest, Responsible, Student, User
from .services import queue_access_emails


def stored_emails(pks) -> dict[int, str]:
    return dict(User.objects.filter(pk__in=pks).values_list("pk", "email"))


class EmailChangeNoticeMixin:
    """Staff who change a responsible's email: the former address is told, as the account
    page tells it (``accounts.emails.notify_email_changed``)."""

    def save_model(self, request, obj, form, change):
        old_email = stored_emails([obj.pk]).get(obj.pk, "") if change else ""
        super().save_model(request, obj, form, change)
        notify_email_changed(obj, old_email)


def report_access_sending(modeladmin, request, queued: int, skipped: int) -> None:
    modeladmin.message_user(
        request,
        ngettext(
            "Access email queued for %(count)d responsible.",
            "Access emails queued for %(count)d responsibles.",
            queued,
        )
        % {"count": queued},
        messages.SUCCESS,
    )
    if skipped:
        modeladmin.message_user(
            request,
            ngettext(
                "%(count)d responsible skipped: disabled or without an email address.",
                "%(count)d responsibles skipped: disabled or without an email address.",
                skipped,
            )
            % {"count": skipped},
            messages.WARNING,
        )


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
    list_display = ["name", "city", "is_resident", "qf_value", "qf_proven", "access_last_sent"]
    actions = ["send_accesses"]
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

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(access_sent_max=Max("responsibles__access_sent_at"))
        )

    def save_formset(self, request, form, formset, change):
        """The responsibles' rows: a changed email is told to the former address."""
        if formset.model is not User:
            return super().save_formset(request, form, formset, change)
        old = stored_emails([f.instance.pk for f in formset.forms if f.instance.pk])
        super().save_formset(request, form, formset, change)
        for user, fields in formset.changed_objects:
            if "email" in fields:
                notify_email_changed(user, old.get(user.pk, ""))

    @admin.display(description=_("access last sent"), ordering="access_sent_max", empty_value="—")
    def access_last_sent(self, family):
        return family.access_sent_max

    @admin.action(description=pgettext_lazy("guide", "Send the accesses"))
    def send_accesses(self, request, queryset):
        """Queue the access email of every responsible of the selected families."""
        queued, skipped = queue_access_emails(User.objects.filter(family__in=queryset))
        report_access_sending(self, request, queued, skipped)


@admin.register(Student)
class StudentAdmin(SimpleHistoryAdmin):
    list_display = ["last_name", "first_name", "family", "birth_date", "school_level"]
    list_filter = ["school_level", "is_adult_learner", "family__is_resident"]
    search_fields = ["last_name", "first_name", "family__name", "legacy_id"]
    list_select_related = ["family"]
    autocomplete_fields = ["family"]


@admin.register(User)
class UserAdmin(EmailChangeNoticeMixin, DjangoUserAdmin, SimpleHistoryAdmin):
    """Every login (staff included); families are managed under "Responsables"."""

    list_display = ["username", "first_name", "last_name", "email", "is_staff", "is_active"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Family"), {"fields": ["family", "mobile", "relation", "access_sent_at"]}),
    )
    readonly_fields = ["access_sent_at", "last_login", "date_joined"]
    autocomplete_fields = ["family"]


# Responsible is a proxy of User: its "History" page is its user's (simple-history).
Responsible._meta.simple_history_manager_attribute = User._meta.simple_history_manager_attribute


@admin.register(Responsible)
class ResponsibleAdmin(EmailChangeNoticeMixin, SimpleHistoryAdmin):
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
    actions = ["send_accesses"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(family__isnull=False)

    @admin.action(description=pgettext_lazy("guide", "Send the accesses"))
    def send_accesses(self, request, queryset):
        """Queue one access email per selected responsible (through Celery)."""
        queued, skipped = queue_access_emails(queryset)
        report_access_sending(self, request, queued, skipped)


@admin.register(PasswordResetRequest)
class PasswordResetRequestAdmin(admin.ModelAdmin):
    """The "Mot de passe perdu" requests, read-only (kept 30 days)."""

    list_display = ["created_at", "user", "outcome", "client_ip", "password_issued_at"]
    list_filter = ["outcome"]
    search_fields = ["user__username", "user__email", "client_ip"]
    list_select_related = ["user"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
