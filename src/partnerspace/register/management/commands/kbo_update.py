"""partnerspace kbo_update FILE.zip: apply a KBO Open Data update to the company register.

Exit status 0 when applied; 2 when refused, with nothing changed: no full extract loaded yet,
an ExtractNumber not newer than the loaded one, a file that is not a readable update, or a
load or update already running.
"""

from django.core.management.base import BaseCommand, CommandError

from partnerspace.register.management.commands._progress import ProgressBar
from partnerspace.register.services import RegisterRefused, register_update

EXIT_REFUSED = 2


class Command(BaseCommand):
    help = (
        "Apply a KBO Open Data update (KboOpenData_<nr>_<year>_<month>_Update.zip) to the "
        "company register, in one transaction. Exit status 2: refused (no full extract "
        "loaded, not newer than the loaded extract, not a readable update), nothing changed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FILE.zip", help="the update, as downloaded")

    def handle(self, *args, **options):
        progress = ProgressBar(self.stdout) if self.stdout.isatty() else None
        try:
            record = register_update(path=options["file"], progress=progress)
        except RegisterRefused as refusal:
            raise CommandError(refusal.message, returncode=EXIT_REFUSED) from None
        self.stdout.write(
            f"Applied update {record.extract_number} of {record.snapshot_date:%d-%m-%Y}: "
            f"{record.enterprises} enterprises in the register."
        )
