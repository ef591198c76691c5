"""Signal receivers of the accounts app."""

from django.utils import timezone


def record_last_login(sender, user, **kwargs):
    """Django's ``update_last_login`` without a history row per login.

    ``last_login`` is excluded from the user's history, yet saving the user
    writes a historical row anyway: every login would add a copy of the
    account to its history, burying the changes staff look for. Successful
    logins are logged by django-axes (``AccessLog``) already.
    """
    user.last_login = timezone.now()
    type(user)._default_manager.filter(pk=user.pk).update(last_login=user.last_login)
