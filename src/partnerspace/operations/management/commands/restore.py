from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from partnerspace.operations.backup import BackupError, sqlite_restore
from partnerspace.operations.management.commands.backup import sqlite_database_path


class Command(BaseCommand):
    help = (
        "Replace the whole SQLite database by a backup made with `partnerspace backup`. "
        "Stop the web and task processes first; run `partnerspace migrate` after restoring a "
        "backup of an older release."
    )

    def add_arguments(self, parser):
        parser.add_argument("backup", help="a file written by `partnerspace backup`")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help="do not ask for confirmation",
        )

    def handle(self, *args, backup, interactive, **options):
        database = sqlite_database_path()
        if interactive:
            answer = input(
                f"Every row of {database} will be replaced by the content of {backup}.\n"
                "Type 'yes' to continue: "
            )
            if answer.strip() != "yes":
                raise CommandError("Restore cancelled.")
        connections[DEFAULT_DB_ALIAS].close()
        try:
            sqlite_restore(backup=Path(backup), database=database)
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(f"Restored {database} from {backup}.")
