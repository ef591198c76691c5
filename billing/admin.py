from django.contrib import admin

from .models import Formula


@admin.register(Formula)
class FormulaAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "order"]
    search_fields = ["name", "code"]
