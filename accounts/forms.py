"""Forms of the accounts: the guide's login and "Mot de passe perdu", passwords, details."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm, SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from .models import User, french_number


class PhoneInput(forms.TextInput):
    """``<input type="tel">``: the phone keypad on a phone. Give it an ``autocomplete``
    saying whose number it is ("tel" for the family's own, a section for another's)."""

    input_type = "tel"


class FrenchPhoneField(forms.CharField):
    """A phone number typed as the family likes ("0612345678", "+33 6 12…"), cleaned to
    the national writing "06 12 34 56 78" when it is a French number, so that the recap,
    the PDFs and the exports show it so. Its ``validators`` (``french_mobile_validator``,
    ``french_phone_validator``) say which numbers it accepts."""

    widget = PhoneInput

    def clean(self, value):
        value = super().clean(value)
        number = french_number(value) if value else None
        return number.as_national if number is not None else value


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
            "mobile": PhoneInput(attrs={"autocomplete": "tel"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["email"].required = True
