"""partnerspace imports_cleanup: delete the bytes of expired uploads, and of uploads beyond
each firm's cap (see imports.retention). Safe to run from cron; exit status 0."""

from django.core.management.base import BaseCommand

from partnerspace.imports.models import ImportJob
from partnerspace.imports.retention import uploads_cap, uploads_expire


class Command(BaseCommand):
    help = (
        "Delete uploaded import files older than PARTNERSPACE_IMPORT_FILE_DAYS, and those "
        "beyond PARTNERSPACE_IMPORT_FILES_PER_FIRM per firm; the import records and the error "
        "reports of refused rows stay."
    )

    def handle(self, *args, **options):
        expired = uploads_expire()
        beyond = sum(
            uploads_cap(firm_id=firm_id)
            for firm_id in ImportJob.objects.exclude(file="")
            .values_list("firm_id", flat=True)
            .distinct()
        )
        self.stdout.write(f"{expired} expired uploads deleted, {beyond} beyond a firm's cap.")
