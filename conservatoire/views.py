"""The home page and a health check."""

from django.db import connection
from django.http import JsonResponse
from django.views.generic import TemplateView


class HomeView(TemplateView):
    template_name = "home.html"


def healthz(request):
    """Report whether the database answers (for the load balancer and compose)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok", "database": connection.vendor})
