"""Login, "Mot de passe perdu", the forced password choice, and the account page."""

import time

from axes.helpers import get_client_ip_address
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import views as auth_views
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.generic import FormView, UpdateView

from .emails import notify_email_changed, notify_password_changed
from .forms import (
    AccountDetailsForm,
    AccountPasswordChangeForm,
    ChoosePasswordForm,
    IdentifierAuthenticationForm,
    PasswordResetRequestForm,
)
from .models import User
from .services import request_temporary_password

# Every "Mot de passe perdu" answer takes at least this long, match or not.
RESET_ANSWER_SECONDS = 0.5
# A login with the emailed password leaves this long to choose a new one.
PASSWORD_CHOICE_SECONDS = 30 * 60
PASSWORD_CHOICE_KEY = "accounts_password_choice"  # noqa: S105 (a session key)
# What the family typed in "Mot de passe perdu", kept in its session until it logs in:
# the login form and "Mot de passe perdu" show it again instead of empty fields.
RESET_ENTRIES_KEY = "accounts_reset_entries"


class LoginView(auth_views.LoginView):
    """The guide's "Se connecter"; after the emailed password, choose one's own first."""

    form_class = IdentifierAuthenticationForm
    template_name = "accounts/login.html"
    redirect_authenticated_user = True

    def get_initial(self):
        initial = super().get_initial()
        entries = self.request.session.get(RESET_ENTRIES_KEY)
        if entries:
            initial["username"] = entries["identifier"]
        return initial

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if not form.is_bound and form.initial.get("username"):
            # The identifier is there already: the cursor goes to the password.
            form.fields["username"].widget.attrs.pop("autofocus", None)
            form.fields["password"].widget.attrs["autofocus"] = True
        return form

    def form_valid(self, form):
        self.request.session.pop(RESET_ENTRIES_KEY, None)
        user = form.get_user()
        if user.must_change_password:
            start_password_choice(self.request, user, self.get_success_url())
            return HttpResponseRedirect(reverse("accounts:choose_password"))
        return super().form_valid(form)


class LogoutView(auth_views.LogoutView):
    """Log out (POST only) and say so."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        messages.info(request, _("You are logged out."))
        return response


@method_decorator([csrf_protect, never_cache], name="dispatch")
class PasswordResetRequestView(FormView):
    """The "Mot de passe perdu" page: the same answer, in the same time, match or not."""

    form_class = PasswordResetRequestForm
    template_name = "accounts/password_reset.html"

    def get_initial(self):
        entries = self.request.session.get(RESET_ENTRIES_KEY) or {}
        return {"identifier": entries.get("identifier", ""), "email": entries.get("email", "")}

    def post(self, request, *args, **kwargs):
        started = time.monotonic()
        response = super().post(request, *args, **kwargs)
        time.sleep(max(0.0, started + RESET_ANSWER_SECONDS - time.monotonic()))
        return response

    def form_invalid(self, form):
        focus_first_error(form)
        return super().form_invalid(form)

    def form_valid(self, form):
        reset = request_temporary_password(
            form.cleaned_data["identifier"],
            form.cleaned_data["email"],
            get_client_ip_address(self.request),
        )
        if reset is None:
            form.add_error(None, _("Too many requests from your connection. Try again in an hour."))
            return self.render_to_response(self.get_context_data(form=form), status=429)
        self.request.session[RESET_ENTRIES_KEY] = {
            "identifier": form.cleaned_data["identifier"],
            "email": form.cleaned_data["email"],
        }
        # The same words whether or not they match an access: true, and revealing nothing.
        messages.success(
            self.request,
            _(
                "If the identifier and the address match an access, a password has just "
                "been sent by email."
            ),
        )
        messages.info(
            self.request,
            _(
                "Nothing after a few minutes? Check your spam folder, then the identifier "
                "and the email address: they must be those known to the conservatoire."
            ),
        )
        return HttpResponseRedirect(reverse("accounts:login"))


@method_decorator(
    [sensitive_post_parameters("new_password1", "new_password2"), csrf_protect, never_cache],
    name="dispatch",
)
class ChoosePasswordView(FormView):
    """After a login with the emailed password: choose one's own, then the session opens."""

    form_class = ChoosePasswordForm
    template_name = "accounts/choose_password.html"

    def dispatch(self, request, *args, **kwargs):
        self.user = pending_password_choice(request)
        if self.user is None:
            return redirect(settings.LOGIN_URL)
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.user}

    def form_valid(self, form):
        pending = self.request.session.pop(PASSWORD_CHOICE_KEY)
        user = form.save()
        login(self.request, user, backend=pending["backend"])
        notify_password_changed(user)
        messages.success(self.request, _("Your new password is saved."))
        return HttpResponseRedirect(pending["next"])


class AccountView(LoginRequiredMixin, UpdateView):
    """The account page: identifier, email and mobile; links to the password change."""

    form_class = AccountDetailsForm
    template_name = "accounts/account.html"
    success_url = reverse_lazy("accounts:account")

    def get_object(self, queryset=None):
        return self.request.user

    def form_valid(self, form):
        old_email = User.objects.values_list("email", flat=True).get(pk=self.object.pk)
        response = super().form_valid(form)
        if old_email.casefold() != self.object.email.casefold():
            notify_email_changed(self.object, old_email)
        messages.success(self.request, _("Your details are saved."))
        return response


class PasswordChangeView(auth_views.PasswordChangeView):
    """Change the password: the other sessions end, the family is told by email."""

    form_class = AccountPasswordChangeForm
    template_name = "accounts/password_change.html"
    success_url = reverse_lazy("accounts:account")

    def form_valid(self, form):
        response = super().form_valid(form)
        notify_password_changed(form.user)
        messages.success(self.request, _("Your new password is saved."))
        return response


def focus_first_error(form) -> None:
    """Put the cursor in the first field to correct."""
    for field in form.fields.values():
        field.widget.attrs.pop("autofocus", None)
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return


def start_password_choice(request, user: User, next_url: str) -> None:
    """Remember, in the anonymous session, who must choose a password before logging in."""
    request.session.cycle_key()
    request.session[PASSWORD_CHOICE_KEY] = {
        "user": user.pk,
        "auth_hash": user.get_session_auth_hash(),
        "backend": user.backend,
        "next": next_url,
        "started": time.time(),
    }


def pending_password_choice(request) -> User | None:
    """The user who logged in with the emailed password in this session, if still valid."""
    pending = request.session.get(PASSWORD_CHOICE_KEY)
    if not pending or time.time() - pending["started"] > PASSWORD_CHOICE_SECONDS:
        request.session.pop(PASSWORD_CHOICE_KEY, None)
        return None
    user = User.objects.filter(pk=pending["user"], is_active=True).first()
    if user is None or not user.must_change_password:
        request.session.pop(PASSWORD_CHOICE_KEY, None)
        return None
    if user.get_session_auth_hash() != pending["auth_hash"]:  # the password changed meanwhile
        request.session.pop(PASSWORD_CHOICE_KEY, None)
        return None
    return user
