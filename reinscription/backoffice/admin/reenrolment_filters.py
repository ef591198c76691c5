"""The re-enrolment list's filters: a course preference of step 6, a course followed
this year, the payment mode."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from billing.models import PaymentMode
from reinscription.backoffice import dashboard
from reinscription.labels import PREFERENCES
from reinscription.models import Course, EnrolmentCourse


class PreferenceFilter(admin.SimpleListFilter):
    """A course preference of step 6 (``?pref=ensemble:orchestre``, ``?pref=day.fm1c3:thursday``,
    see ``dashboard.q_preference``), re-enrolled students only."""

    title = _("course preference")
    parameter_name = "pref"

    def lookups(self, request, model_admin):
        items = []
        for key, (label, choices) in PREFERENCES.items():
            if key == "administrative":
                items.append(("administrative:True", label))
                continue
            items += [(f"{key}:{value}", f"{label} — {text}") for value, text in choices.items()]
        ensembles = Course.objects.filter(kind=Course.Kind.ENSEMBLE).values_list("code", "name")
        label = PREFERENCES["ensemble"][0]
        items += [(f"ensemble:{code}", f"{label} — {name}") for code, name in ensembles]
        return items

    def queryset(self, request, queryset):
        if not self.value() or ":" not in self.value():
            return queryset
        key, value = self.value().split(":", 1)
        if not dashboard.is_preference_key(key):
            return queryset.none()
        return queryset.filter(
            dashboard.q_preference(key, value), status__in=dashboard.ANSWERED_REENROL
        )


class CurrentCourseFilter(admin.SimpleListFilter):
    """Students who follow a course in the campaign's previous year (``?course=fm1c1``)."""

    title = _("course followed this year")
    parameter_name = "course"

    def lookups(self, request, model_admin):
        return list(Course.objects.order_by("order", "name").values_list("code", "name"))

    def queryset(self, request, queryset):
        if not self.value():
            return queryset
        lines = EnrolmentCourse.objects.filter(
            enrolment__student=OuterRef("student"),
            enrolment__school_year=OuterRef("campaign__previous_year"),
            course__code=self.value(),
        )
        return queryset.filter(Exists(lines))


class PaymentModeFilter(admin.SimpleListFilter):
    title = _("payment mode")
    parameter_name = "payment_mode"

    def lookups(self, request, model_admin):
        return PaymentMode.choices

    def queryset(self, request, queryset):
        return queryset.filter(payment_mode=self.value()) if self.value() else queryset
