"""Login, logout and the family's account page."""

from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import TemplateView

from .forms import IdentifierAuthenticationForm


class LoginView(auth_views.LoginView):
    form_class = IdentifierAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


class LogoutView(auth_views.LogoutView):
    pass


class AccountView(LoginRequiredMixin, TemplateView):
    template_name = "accounts/account.html"
