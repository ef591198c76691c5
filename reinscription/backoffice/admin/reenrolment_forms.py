"""The re-enrolment's change page (its form, refusing a stale version, and its snapshots)
and the helpers of the list's validation action (rows locked, versions the list showed)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reinscription.models import Reenrolment, ReenrolmentSnapshot


class ReenrolmentSnapshotInline(admin.TabularInline):
    model = ReenrolmentSnapshot
    fields = ["version", "created_at", "created_by", "rules_version"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False


STALE_VERSION = _(
    "This re-enrolment was modified since you opened it (version %(seen)s → %(stored)s). "
    "Reload the page."
)


class ReenrolmentAdminForm(forms.ModelForm):
    """Staff may only move a re-enrolment between "réinscrit" and "validé", and only the
    version they saw: ``seen_version`` carries it, checked against the row locked."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Reenrolment
        fields = ["status", "internal_note"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = self.instance.version
        if self.instance.pk and "status" in self.fields:
            if self.instance.decision == Reenrolment.Decision.REENROL:
                allowed = (Reenrolment.Status.REENROLLED, Reenrolment.Status.VALIDATED)
            else:
                allowed = (Reenrolment.Status.DECLINED,)
            self.fields["status"].choices = [
                (value, label) for value, label in Reenrolment.Status.choices if value in allowed
            ]

    def clean(self):
        """Refuse a version other than the one shown (the admin's change view is atomic: the
        row stays locked until saved)."""
        cleaned_data = super().clean()
        if self.instance.pk is not None:
            stored = (
                Reenrolment.objects.select_for_update()
                .values_list("version", flat=True)
                .get(pk=self.instance.pk)
            )
            seen = cleaned_data.get("seen_version")
            if seen != stored:
                raise forms.ValidationError(
                    STALE_VERSION,
                    code="stale",
                    params={"seen": "?" if seen is None else seen, "stored": stored},
                )
        return cleaned_data


def locked_for_validation(queryset):
    """The selected re-enrolments, locked for the validation: by primary key (the list's
    search may add a DISTINCT, which cannot be locked), the re-enrolment rows alone."""
    pks = list(queryset.values_list("pk", flat=True))
    return Reenrolment.objects.filter(pk__in=pks).select_for_update(of=("self",)).order_by("pk")


def seen_versions(request) -> dict[int, int]:
    """The version of each re-enrolment the list showed (``seen_version_<pk>``)."""
    seen = {}
    for name, value in request.POST.items():
        pk = name.removeprefix("seen_version_")
        if pk != name and pk.isdigit() and value.isdigit():
            seen[int(pk)] = int(value)
    return seen
