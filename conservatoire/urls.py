import os

from django.contrib import admin
from django.urls import include, path
from django.utils.functional import lazy
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import views
from .models import Identity


def _site_header() -> str:
    return gettext("%(name)s — administration") % {"name": Identity.current().name}


def _site_title() -> str:
    return Identity.current().name


# Read from the identity record (cached) each time the admin renders a page.
admin.site.site_header = lazy(_site_header, str)()
admin.site.site_title = lazy(_site_title, str)()
admin.site.index_title = _("Re-enrolment campaign")

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("accessibilite/", views.AccessibilityView.as_view(), name="accessibility"),
    path("healthz", views.healthz, name="healthz"),
    path("compte/", include("accounts.urls")),
    path("tarifs/", include("billing.urls")),
    path("documents/", include("documents.urls")),
    path("espace/", include("reinscription.urls")),
    path("gestion/", admin.site.urls),
]

# The load bench's baseline page (bench/bench_load.py), never routed otherwise.
if os.environ.get("BENCH_BASELINE") == "1":
    urlpatterns.append(path("bench/baseline/", views.bench_baseline, name="bench_baseline"))
