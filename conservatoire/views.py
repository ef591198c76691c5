"""The home page, a health check, and the load bench's baseline page."""

import datetime
from functools import cache

from django import forms
from django.conf import settings
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import engines
from django.utils.module_loading import import_string
from django.views.generic import TemplateView


class HomeView(TemplateView):
    """The guide's first page: what to do, by when, and what to have ready."""

    template_name = "home.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        provider = getattr(settings, "HOME_CAMPAIGN_PROVIDER", "")
        if provider:
            context.update(import_string(provider)())
        return context


class AccessibilityView(TemplateView):
    """The RGAA accessibility statement ("Déclaration d'accessibilité")."""

    template_name = "accessibility.html"
    # Update both when the statement is reviewed (RGAA: at each substantial change,
    # at the latest every 3 years).
    extra_context = {
        "statement_date": datetime.date(2026, 11, 26),
        "rgaa_version": "4.1",
    }


def healthz(request):
    """Report whether the database answers (for the load balancer and compose)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})


class BaselineForm(forms.Form):
    name = forms.CharField(max_length=100)
    email = forms.EmailField()
    message = forms.CharField(widget=forms.Textarea, required=False)


BASELINE_TEMPLATE = """{% extends "base.html" %}{% block content %}
<form method="post">{% csrf_token %}{{ form }}<button type="submit">OK</button></form>
{% endblock %}"""


@cache
def baseline_template():
    """Compiled once, like the cached loader does for the real pages."""
    return engines["django"].from_string(BASELINE_TEMPLATE)


def bench_baseline(request):
    """The load bench's reference page: a plain form in the site layout and a session write.

    No database query of ours (only the session's own load and save). Routed only
    when the environment sets BENCH_BASELINE=1 (see conservatoire/urls.py).
    """
    request.session["bench_baseline"] = request.session.get("bench_baseline", 0) + 1
    return HttpResponse(baseline_template().render({"form": BaselineForm()}, request))
