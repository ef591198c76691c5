"""``purge_documents``: delete uploaded files N months after the end of their school year."""

from django.core.management.base import BaseCommand

from documents import services


class Command(BaseCommand):
    help = (
        "Delete the uploaded files whose school year ended more than "
        "DOCUMENTS_RETENTION_MONTHS months ago (default 12). The documents, their "
        "status and the files' metadata are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--months",
            type=int,
            default=None,
            help="Retention in months (default: settings.DOCUMENTS_RETENTION_MONTHS or 12).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the files without deleting them."
        )

    def handle(self, *args, months=None, dry_run=False, **options):
        if months is not None and months < 0:
            self.stderr.write("--months must be zero or more.")
            return
        months = services.retention_months() if months is None else months
        count = services.purge_expired_files(months=months, dry_run=dry_run)
        verb = "would be deleted" if dry_run else "deleted"
        self.stdout.write(f"{count} file(s) {verb} (retention: {months} months).")
