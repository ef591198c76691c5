"""Create (or bring up to date) the "Secrétariat" group with what the daily work needs.

Run after every ``migrate`` (idempotent): ``python manage.py setup_groups``.
A staff member without this group (and not superuser) sees nothing of the families.
"""

from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand
from django.db import transaction

SECRETARIAT = "Secrétariat"

# "app_label.codename"; no deletion of families, students, re-enrolments or documents.
SECRETARIAT_PERMISSIONS = [
    # Families, responsibles, students.
    "accounts.view_family",
    "accounts.add_family",
    "accounts.change_family",
    "accounts.view_responsible",
    "accounts.add_responsible",
    "accounts.change_responsible",
    "accounts.view_student",
    "accounts.add_student",
    "accounts.change_student",
    "accounts.view_passwordresetrequest",
    # The campaign, the catalogue, last year's enrolments (and their import).
    "reinscription.view_campaign",
    "reinscription.add_campaign",  # "Préparer la campagne suivante"
    "reinscription.change_campaign",  # its dates, rules text; publication
    "reinscription.view_course",
    "reinscription.add_course",
    "reinscription.change_course",
    "reinscription.view_courseslot",
    "reinscription.add_courseslot",
    "reinscription.change_courseslot",
    "reinscription.delete_courseslot",
    "reinscription.view_enrolment",
    "reinscription.add_enrolment",
    "reinscription.change_enrolment",
    "reinscription.view_enrolmentcourse",
    "reinscription.add_enrolmentcourse",
    "reinscription.change_enrolmentcourse",
    "reinscription.delete_enrolmentcourse",
    # Re-enrolments: view, validate, internal note; follow-up, reminders, exports.
    "reinscription.view_reenrolment",
    "reinscription.change_reenrolment",
    "reinscription.view_reenrolmentsnapshot",
    "reinscription.view_wizarddraft",
    "reinscription.view_campaignstudent",
    "reinscription.view_remindersent",
    "reinscription.add_remindersent",
    "reinscription.view_exportjob",
    # Documents: review.
    "documents.view_documenttype",
    "documents.add_documenttype",
    "documents.change_documenttype",
    "documents.view_document",
    "documents.change_document",
    "documents.view_documentfile",
    # Billing: the family's billing (final amount), mandates, grids (read).
    "billing.view_formula",
    "billing.view_tariffgrid",
    "billing.view_qfbracket",
    "billing.view_price",
    "billing.view_siblingreduction",
    "billing.view_familybilling",
    "billing.change_familybilling",
    "billing.view_mandate",
    "billing.change_mandate",
    # Emails sent to families.
    "conservatoire.view_outboxemail",
    # The year's dates and counts the families are told; the conservatoire's identity.
    "conservatoire.view_schoolyear",
    "conservatoire.change_schoolyear",
    "conservatoire.view_identity",
    "conservatoire.change_identity",
]


def secretariat_permissions() -> tuple[list[Permission], list[str]]:
    """The permissions that exist, and the names of those that do not (yet)."""
    wanted = {tuple(name.split(".", 1)) for name in SECRETARIAT_PERMISSIONS}
    found = [
        permission
        for permission in Permission.objects.select_related("content_type")
        if (permission.content_type.app_label, permission.codename) in wanted
    ]
    names = {(p.content_type.app_label, p.codename) for p in found}
    missing = sorted(f"{app}.{codename}" for app, codename in wanted - names)
    return found, missing


@transaction.atomic
def setup_secretariat_group() -> tuple[Group, list[str]]:
    group, _created = Group.objects.get_or_create(name=SECRETARIAT)
    permissions, missing = secretariat_permissions()
    group.permissions.set(permissions)
    return group, missing


class Command(BaseCommand):
    help = 'Create or update the "Secrétariat" group and its permissions.'

    def handle(self, *args, **options):
        group, missing = setup_secretariat_group()
        self.stdout.write(f"Groupe « {group.name} » : {group.permissions.count()} permissions.")
        for name in missing:
            self.stderr.write(f"Permission absente (modèle non installé ?) : {name}")
