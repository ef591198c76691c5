from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class ReinscriptionConfig(AppConfig):
    name = "reinscription"
    verbose_name = _("Re-enrolments")
    default = True  # the app's configuration; PortalAdminConfig below is the admin's

    def ready(self):
        # Celery's autodiscovery imports ``<app>.tasks`` only, not the back office's
        # nested ``reinscription.backoffice.tasks``: registering its tasks is this
        # import's job (the one place the family side names the back office).
        from .backoffice import tasks  # noqa: F401


class PortalAdminConfig(admin_apps.AdminConfig):
    """Django's admin (``INSTALLED_APPS``) with the portal's site, whose home is the
    current campaign's: ``reinscription.backoffice.site``, named as a string."""

    default = False  # not the configuration of the reinscription app

    default_site = "reinscription.backoffice.site.PortalAdminSite"
