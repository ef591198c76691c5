"""Django's admin autodiscovery imports ``<app>.admin``: the back office's pages are in
``reinscription.backoffice.admin`` (one module per area), registered by this import."""

from .backoffice import admin  # noqa: F401
