"""``python manage.py seed_demo [--families N] [--json]``: the demo conservatoire."""

import json

from django.core.management.base import BaseCommand

from reinscription.demo import seed_demo


class Command(BaseCommand):
    help = "Create the demo conservatoire (idempotent) and print the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--families", type=int, default=0, help="Also generate N families for load tests."
        )
        parser.add_argument("--json", action="store_true", help="Print the logins as JSON.")

    def handle(self, *args, families=0, json=False, **options):
        logins = seed_demo(load_families=families)
        if json:
            self.stdout.write(_dumps(logins))
            return
        self.stdout.write("Demo logins (identifier / password):")
        for login in logins[:50]:
            role = "staff" if login["staff"] else ", ".join(login["students"])
            self.stdout.write(f"  {login['identifier']:<16} {login['password']:<26} {role}")
        if len(logins) > 50:
            self.stdout.write(f"  … and {len(logins) - 50} generated families (use --json).")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
