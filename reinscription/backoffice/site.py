"""The admin site of ``/gestion/``: its home is the current campaign's.

The home shows the campaign of the moment first (:func:`.dashboard.open_or_latest_campaign`):
each count (à faire, en cours, réinscrit, non réinscrit, validé, documents à
vérifier, hors base) links to its filtered list, and the families without an answer
are two clicks from a reminder. Then the secretariat's pages; the technical ones
(login attempts, groups, the email outbox, the guide's drafts, ZIP jobs) are last,
in a folded "Technique" section.

``reinscription.apps.PortalAdminConfig`` makes this class Django's default admin site.
"""

from __future__ import annotations

from django.contrib import admin

# (app label, model name or "*"): pages for whoever keeps the portal running.
TECHNICAL = {
    ("axes", "*"),
    ("auth", "*"),
    ("conservatoire", "outboxemail"),
    ("reinscription", "wizarddraft"),
    ("reinscription", "exportjob"),
}


def is_technical(app_label: str, model_name: str) -> bool:
    return (app_label, "*") in TECHNICAL or (app_label, model_name) in TECHNICAL


def split_technical(app_list: list[dict]) -> tuple[list[dict], list[dict]]:
    """``(everyday apps, technical apps)``, each app keeping only its models of that kind."""
    everyday, technical = [], []
    for app in app_list:
        models = {True: [], False: []}
        for model in app["models"]:
            models[is_technical(app["app_label"], model["object_name"].lower())].append(model)
        if models[False]:
            everyday.append({**app, "models": models[False]})
        if models[True]:
            technical.append({**app, "models": models[True]})
    return everyday, technical


class PortalAdminSite(admin.AdminSite):
    index_template = "admin/reinscription/home.html"

    def index(self, request, extra_context=None):
        # The back office's modules use the models: imported once the apps are ready.
        from .home import home_context

        everyday, technical = split_technical(self.get_app_list(request))
        context = {
            "app_list": everyday,
            "technical_app_list": technical,
            **home_context(request),
            **(extra_context or {}),
        }
        return super().index(request, context)
