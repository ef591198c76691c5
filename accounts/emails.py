"""The accounts' emails: access, temporary password, security notices.

The access and temporary-password emails are *builders*: the outbox row only
names them, and the Celery task renders them at send time. The temporary
password is generated there, so it exists in the email alone, never in the
database (only its hash), the broker, the task arguments or the logs.
"""

from django.utils import timezone

from conservatoire.email_building import portal_url, register_builder, render_email
from conservatoire.emails import queue_email

from .identifiers import generate_password
from .models import Family, PasswordResetRequest, User

TEMPORARY_PASSWORD_BUILDER = "accounts.temporary_password"  # noqa: S105 (a builder name)
ACCESS_BUILDER = "accounts.access"
TEMPORARY_PASSWORD_LENGTH = 14


class AccessUnavailable(Exception):
    """The access was disabled between the request and the sending."""


def links() -> dict:
    return {
        "login_url": portal_url("accounts:login"),
        "reset_url": portal_url("accounts:password_reset"),
    }


def display_name(user: User) -> str:
    return user.get_full_name() or user.username


def greeting(user: User) -> dict:
    """The context of ``emails/base.html``'s greeting: "Bonjour Claire Martin,"."""
    return {"greeting_names": [display_name(user)]}


def family_recipients(family: Family) -> tuple[list[str], dict]:
    """Who receives an email about the family, and its greeting (one query).

    The addresses of the active responsibles (one each, sorted) and
    ``{"greeting_names": [...]}``, their names: one email greets them all
    ("Bonjour Claire Martin et Marc Martin,").
    """
    responsibles = list(family.responsibles.filter(is_active=True).exclude(email="").order_by("pk"))
    addresses = sorted({user.email for user in responsibles})
    return addresses, {"greeting_names": [display_name(user) for user in responsibles]}


@register_builder(ACCESS_BUILDER)
def build_access_email(user_pk: int) -> tuple[list[str], str, str, str]:
    """The identifier and the portal's address (no password: "Mot de passe perdu" gives one)."""
    user = User.objects.get(pk=user_pk)
    context = {"user": user, **greeting(user), **links()}
    subject, text, html = render_email("accounts/emails/access", context)
    return [user.email], subject, text, html


@register_builder(TEMPORARY_PASSWORD_BUILDER)
def build_temporary_password_email(reset_pk: int) -> tuple[list[str], str, str, str]:
    """Generate a new temporary password for the request's access and write its email.

    Each call makes the previous temporary password obsolete: when the sending
    fails and the task retries, the retry's password is the one that works.
    """
    reset = PasswordResetRequest.objects.select_related("user").get(pk=reset_pk)
    user = reset.user
    if user is None or not user.is_active:
        raise AccessUnavailable(f"Lost password request {reset_pk}: no active access.")
    password = generate_password(TEMPORARY_PASSWORD_LENGTH)
    user.set_temporary_password(password)
    reset.password_issued_at = timezone.now()
    reset.save(update_fields=["password_issued_at"])
    context = {
        "user": user,
        "password": password,
        "expires_at": user.temporary_password_expires_at,
        **greeting(user),
        **links(),
    }
    subject, text, html = render_email("accounts/emails/temporary_password", context)
    return [user.email], subject, text, html


def notify_password_changed(user: User) -> None:
    """Tell the family its password changed (and what to do if it was not them)."""
    if user.email:
        queue_email(
            "accounts.password_changed",
            [user.email],
            "accounts/emails/password_changed",
            {"user": user, "changed_at": timezone.now(), **greeting(user), **links()},
        )


def notify_email_changed(user: User, old_email: str) -> None:
    """Tell the former address that the account's email changed (wherever it changed: the
    account page, the wizard, the admin, an import). Nothing when ``old_email`` is empty or
    the same address written in another case."""
    if old_email and old_email.strip().casefold() != user.email.strip().casefold():
        queue_email(
            "accounts.email_changed",
            [old_email],
            "accounts/emails/email_changed",
            {"user": user, "changed_at": timezone.now(), **greeting(user), **links()},
        )
