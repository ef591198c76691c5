import os

from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from . import views

admin.site.site_header = _("Conservatoire de Limonest — administration")
admin.site.site_title = _("Conservatoire de Limonest")
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
