from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConservatoireConfig(AppConfig):
    name = "conservatoire"
    verbose_name = _("Conservatoire")

    def ready(self):
        from . import checks  # noqa: F401  (registers the system checks)
