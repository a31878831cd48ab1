from typing import Any

from django.core.management.base import BaseCommand

from partnerspace.operations.demo import DEMO_ADMIN, demo_seed


class Command(BaseCommand):
    help = "Create the demo firm (once) and print how to log in. Safe to run again."

    def handle(self, *args: Any, **options: Any) -> None:
        firm, password, created = demo_seed()
        state = "created" if created else "already there"
        self.stdout.write(f"Demo firm {firm.name!r} ({firm.slug}) {state}.")
        self.stdout.write(f"Log in at /account/login/ as {DEMO_ADMIN} with password: {password}")
