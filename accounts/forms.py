"""Forms of the accounts: the guide's login and "Mot de passe perdu", passwords, details."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import User


class IdentifierAuthenticationForm(AuthenticationForm):
    """The guide's login form: "Identifiant", "Mot de passe", "Se connecter"."""

    username = forms.CharField(
        label=pgettext_lazy("guide", "Identifier"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    password = forms.CharField(
        label=pgettext_lazy("guide", "Password"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    error_messages = {
        "invalid_login": _(
            "Identifier or password incorrect. Check them, or use “Mot de passe perdu”."
        ),
        "inactive": _("This access is disabled. Please contact the conservatoire."),
    }


class PasswordResetRequestForm(forms.Form):
    """The "Mot de passe perdu" form: "Identifiant" and "E-mail", both required."""

    identifier = forms.CharField(
        label=pgettext_lazy("guide", "Identifier"),
        max_length=150,
        widget=forms.TextInput(
            attrs={"autofocus": True, "autocomplete": "username", "autocapitalize": "none"}
        ),
    )
    email = forms.EmailField(
        label=pgettext_lazy("guide", "Email"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    error_messages = {
        "check_entries": _(
            "Please check the information you entered: fill in both the identifier "
            "and the email address."
        ),
    }

    def clean(self):
        cleaned_data = super().clean()
        missing = [name for name in self.fields if not self.data.get(name, "").strip()]
        if missing:
            raise ValidationError(self.error_messages["check_entries"], code="check_entries")
        return cleaned_data


class ChoosePasswordForm(SetPasswordForm):
    """The family's own password, after a login with the emailed one."""

    def save(self, commit=True):
        self.user.clear_temporary_password()
        return super().save(commit=commit)


class AccountPasswordChangeForm(PasswordChangeForm):
    """Change the password from the account page; any emailed password dies too."""

    def save(self, commit=True):
        self.user.clear_temporary_password()
        return super().save(commit=commit)


class AccountDetailsForm(forms.ModelForm):
    """The email and mobile the conservatoire writes to."""

    class Meta:
        model = User
        fields = ["email", "mobile"]
        labels = {"email": pgettext_lazy("guide", "Email"), "mobile": _("Mobile phone")}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "mobile": forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
