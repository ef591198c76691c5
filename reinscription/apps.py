from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReinscriptionConfig(AppConfig):
    name = "reinscription"
    verbose_name = _("Re-enrolments")

    def ready(self):
        # Celery's autodiscovery imports ``<app>.tasks`` only, not the back office's
        # nested ``reinscription.backoffice.tasks``: registering its tasks is this
        # import's job (the one place the family side names the back office).
        from .backoffice import tasks  # noqa: F401
