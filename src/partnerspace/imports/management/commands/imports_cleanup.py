"""partnerspace imports_cleanup: delete the bytes of expired uploads, and of uploads beyond
each firm's cap (see imports.retention). Safe to run from cron; exit status 0."""

from django.core.management.base import BaseCommand

from partnerspace.imports.retention import uploads_sweep


class Command(BaseCommand):
    help = (
        "Delete uploaded import files older than PARTNERSPACE_IMPORT_FILE_DAYS, and those "
        "beyond PARTNERSPACE_IMPORT_FILES_PER_FIRM per firm; the import records and the error "
        "reports of refused rows stay."
    )

    def handle(self, *args, **options):
        expired, beyond = uploads_sweep(limit=None)
        self.stdout.write(f"{expired} expired uploads deleted, {beyond} beyond a firm's cap.")
