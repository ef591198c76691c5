from django.urls import path

from . import recap, views
from .wizard import ReenrolmentWizard

app_name = "reinscription"

wizard = ReenrolmentWizard.as_view(url_name="reinscription:wizard_step", done_step_name="fin")

urlpatterns = [
    path("", views.FamilySpaceView.as_view(), name="family_space"),
    path("eleves/<int:student_id>/reinscription/", wizard, name="wizard"),
    path("eleves/<int:student_id>/reinscription/<str:step>/", wizard, name="wizard_step"),
    path(
        "eleves/<int:student_id>/recapitulatif/",
        views.ReenrolmentDetailView.as_view(),
        name="reenrolment_detail",
    ),
    path(
        "eleves/<int:student_id>/recapitulatif.pdf", recap.family_recap_response, name="recap_pdf"
    ),
]
