import os

from django.core.management.base import BaseCommand, CommandError

from partnerspace.core.errors import ServiceError, ValidationFailed
from partnerspace.core.languages import interface_languages
from partnerspace.firms.services import firm_create


class Command(BaseCommand):
    help = (
        "Create a firm with its first administrator. The password comes from "
        "PARTNERSPACE_ADMIN_PASSWORD; without it one is generated and printed once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--slug", required=True)
        parser.add_argument("--name", required=True)
        parser.add_argument("--admin-email", required=True)
        parser.add_argument("--admin-first-name", default="")
        parser.add_argument("--admin-last-name", default="")
        parser.add_argument("--language", default="nl", choices=sorted(interface_languages()))

    def handle(self, *args, **options):
        try:
            created = firm_create(
                name=options["name"],
                slug=options["slug"],
                admin_email=options["admin_email"],
                admin_password=os.environ.get("PARTNERSPACE_ADMIN_PASSWORD") or None,
                admin_first_name=options["admin_first_name"],
                admin_last_name=options["admin_last_name"],
                language=options["language"],
            )
        except (ServiceError, ValidationFailed) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Created firm {created.firm.slug}: {created.firm.name}")
        self.stdout.write(f"Administrator: {created.administrator.email}")
        if created.generated_password:
            self.stdout.write(f"Password (shown once): {created.generated_password}")
