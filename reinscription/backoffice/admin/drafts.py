"""Drafts of the guide (the wizard's saved steps), listed read-only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from billing.rules.sepa import mask_iban
from reinscription.models import WizardDraft
from reinscription.wizard.storage import typed_iban


@admin.register(WizardDraft)
class WizardDraftAdmin(admin.ModelAdmin):
    list_display = ["student", "campaign", "updated_by", "updated_at"]
    list_filter = ["campaign"]
    search_fields = ["student__last_name", "student__first_name"]
    list_select_related = ["student", "campaign__school_year", "updated_by"]
    # Step 3's bank details are in ``sealed_steps`` (encrypted), never shown: ``data``
    # holds the other steps; the IBAN typed appears masked.
    readonly_fields = ["student", "campaign", "bank_account", "data", "updated_by", "updated_at"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("bank account typed (step 3)"))
    def bank_account(self, obj):
        return mask_iban(typed_iban(obj)) or "—"
