import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections

from partnerspace.operations.backup import BackupError, sqlite_backup

POSTGRES_HINT = (
    "The database is PostgreSQL: back it up with pg_dump --format=custom "
    "(and restore with pg_restore); see the README."
)


def sqlite_database_path() -> Path:
    connection = connections[DEFAULT_DB_ALIAS]
    if connection.vendor != "sqlite":
        raise CommandError(POSTGRES_HINT)
    name = str(connection.settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file::memory:") or "mode=memory" in name:
        raise CommandError("The database is in memory; there is no file to back up or restore.")
    return Path(name)


class Command(BaseCommand):
    help = (
        "Copy the SQLite database into OUT while the site runs (SQLite's online backup API): "
        "one consistent moment, checked, in a single file."
    )

    def add_arguments(self, parser):
        parser.add_argument("out", help="the backup file to write (must not exist)")

    def handle(self, *args, out, **options):
        database = sqlite_database_path()
        started = time.monotonic()
        try:
            done = sqlite_backup(database=database, target=Path(out))
        except BackupError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Backed up {database} to {done.path} ({done.bytes / 1e6:.1f} MB) "
            f"in {time.monotonic() - started:.1f} s."
        )
