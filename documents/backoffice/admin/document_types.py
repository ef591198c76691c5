"""Document types in the staff admin: what each school year asks for, copied to the next year."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from conservatoire.models import SchoolYear
from documents.backoffice.years import copy_document_types
from documents.models import DocumentType


@admin.register(DocumentType)
class DocumentTypeAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "school_year", "scope", "rule", "order", "active"]
    list_editable = ["order", "active"]
    list_filter = ["school_year", "scope", "rule", "active"]
    search_fields = ["name", "code"]
    actions = ["copy_to_next_year"]

    @admin.action(description=_("Copy to the next school year"))
    def copy_to_next_year(self, request, queryset):
        copied = 0
        for document_type in queryset.select_related("school_year"):
            next_year = (
                SchoolYear.objects.filter(starts_on__gt=document_type.school_year.starts_on)
                .order_by("starts_on")
                .first()
            )
            if next_year is None:
                continue
            # The year's wording (QF 2025, "depuis septembre 2024"…) follows the new year.
            created, _existing = copy_document_types([document_type], next_year)
            copied += created
        self.message_user(
            request,
            ngettext("%(count)d document type copied.", "%(count)d document types copied.", copied)
            % {"count": copied},
        )
