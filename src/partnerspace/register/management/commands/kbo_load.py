"""partnerspace kbo_load FILE.zip: replace the company register with a KBO Open Data full extract.

Exit status 0 when loaded; 2 when the file was refused (not a readable full extract, or a load
or update already running), with nothing changed.
"""

from django.core.management.base import BaseCommand, CommandError

from partnerspace.register.management.commands._progress import ProgressBar
from partnerspace.register.services import RegisterRefused, register_load

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = (
        "Load a KBO Open Data full extract (KboOpenData_<nr>_<year>_<month>_Full.zip) as the "
        "company register of this installation, replacing the copy loaded before: readers see "
        "the old copy until the new one is complete. Exit status 2: refused, nothing changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.zip", help="the full extract, as downloaded")

    def handle(self, *args, **options):
        progress = ProgressBar(self.stdout) if self.stdout.isatty() else None
        try:
            record = register_load(path=options["file"], progress=progress)
        except RegisterRefused as refusal:
            raise CommandError(refusal.message, returncode=EXIT_REFUSED) from None
        self.stdout.write(
            f"Loaded full extract {record.extract_number} of {record.snapshot_date:%d-%m-%Y}: "
            f"{record.enterprises} enterprises."
        )
