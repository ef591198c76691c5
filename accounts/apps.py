from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Families and accesses")

    def ready(self):
        # Register the send-time email builders (used by the outbox task).
        from . import emails  # noqa: F401
