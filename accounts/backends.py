"""Authentication: the identifier with either the password or the emailed one.

django-axes stays in front (``axes.backends.AxesStandaloneBackend`` first in
``AUTHENTICATION_BACKENDS``): it refuses a locked identifier + address before
this backend runs, and counts the failures this backend reports.
"""

from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend

UserModel = get_user_model()


class IdentifierBackend(ModelBackend):
    """Accept the account's password, or its unexpired temporary password once.

    A successful login with the temporary password burns it and sets
    ``must_change_password``: the login view then asks for a new password
    before opening the session. The old password keeps working until then.
    A failed attempt computes two hashes, whether the identifier exists or
    not, so the answer time does not tell; a successful one stops after the
    first (it tells nothing the success does not).
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(UserModel.USERNAME_FIELD)
        if username is None or password is None:
            return None
        try:
            user = UserModel._default_manager.get_by_natural_key(username.strip())
        except UserModel.DoesNotExist:
            UserModel().set_password(password)
            UserModel().set_password(password)
            return None
        if user.check_password(password):
            return user if self.user_can_authenticate(user) else None
        # An emailed password has no spaces: forgive those a copy may add.
        temporary_ok = user.check_temporary_password(password.strip())
        if temporary_ok and self.user_can_authenticate(user):
            if user.consume_temporary_password():
                return user
        return None

    async def aauthenticate(self, request, username=None, password=None, **kwargs):
        return await sync_to_async(self.authenticate)(request, username, password, **kwargs)


def axes_username(request, credentials: dict | None = None) -> str:
    """The identifier django-axes counts failures for, whatever its case.

    Set as ``AXES_USERNAME_CALLABLE``, so that ``Dupont-K7MQ4`` and
    ``dupont-k7mq4`` share one lockout counter, like they share one account.
    """
    source = credentials if credentials else getattr(request, "POST", {})
    return (source.get("username") or "").strip().casefold()
