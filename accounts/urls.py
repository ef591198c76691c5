from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("connexion/", views.LoginView.as_view(), name="login"),
    path("deconnexion/", views.LogoutView.as_view(), name="logout"),
    path("mot-de-passe-perdu/", views.PasswordResetRequestView.as_view(), name="password_reset"),
    path("nouveau-mot-de-passe/", views.ChoosePasswordView.as_view(), name="choose_password"),
    path("mot-de-passe/", views.PasswordChangeView.as_view(), name="password_change"),
    path("", views.AccountView.as_view(), name="account"),
]
