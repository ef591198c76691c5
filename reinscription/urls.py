from django.urls import path

from . import views

app_name = "reinscription"
urlpatterns = [
    path("", views.FamilySpaceView.as_view(), name="family_space"),
]
