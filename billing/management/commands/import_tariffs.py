"""``python manage.py import_tariffs FILE --year 2025-2026 [--dry-run]``: import a grid.

The file format is described in :mod:`billing.backoffice.imports` (and the README);
``billing/examples/grille-2025-2026.csv`` is an example.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from conservatoire.models import SchoolYear

from ...backoffice.imports import GridImportError, import_grid


class DryRun(Exception):
    pass


class Command(BaseCommand):
    help = "Import (replace) the tariff grid of a school year from a CSV file."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--year",
            required=True,
            help="The school year: 2025-2026 (or 2025). Created if missing.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Check the file, write nothing.")

    def handle(self, *args, file: Path, year: str, dry_run: bool = False, **options):
        try:
            start = int(year.split("-")[0])
        except ValueError:
            raise CommandError("--year must look like 2025-2026") from None
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        try:
            with transaction.atomic():
                school_year = SchoolYear.for_start_year(start)
                result = import_grid(school_year, file.read_bytes())
                if dry_run:
                    raise DryRun
        except GridImportError as exc:
            raise CommandError("\n".join(exc.errors)) from None
        except DryRun:
            self.stdout.write(f"{file}: valid ({school_year.label}); nothing written (--dry-run).")
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"Grid {school_year.label} imported: {len(result.grid.brackets.all())} brackets, "
                f"{result.prices} prices"
                + (
                    f", new formulas: {', '.join(result.formulas_created)}"
                    if result.formulas_created
                    else ""
                )
            )
        )
