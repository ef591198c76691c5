from django.urls import path

from . import views

app_name = "billing"
urlpatterns = [
    path("simulateur/", views.SimulatorView.as_view(), name="simulator"),
    path("mandat-sepa.pdf", views.MandatePDFView.as_view(), name="mandate_pdf"),
]
