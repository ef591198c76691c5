from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


class IdentifierAuthenticationForm(AuthenticationForm):
    """The guide's login form: "Identifiant", "Mot de passe", "Se connecter"."""

    username = forms.CharField(
        label=_("Identifier"),
        max_length=150,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "username"}),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "Identifier or password incorrect. Check them, or use “Mot de passe perdu”."
        ),
        "inactive": _("This access is disabled. Please contact the conservatoire."),
    }
