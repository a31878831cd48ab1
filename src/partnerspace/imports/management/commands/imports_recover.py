"""partnerspace imports_recover: resume the imports whose process died (run it from cron).

See imports.recovery. Prints one line per import it resumed, gave up, checked again,
refused or queued again (its task was lost before a worker took it); exit status 0.
"""

from django.core.management.base import BaseCommand

from partnerspace.imports.recovery import import_undos_recover, imports_recover


class Command(BaseCommand):
    help = (
        "Resume every import whose process died (its lease ran out) from its last batch, or "
        "give it up after repeated stops; queue again the imports whose task was lost; close "
        "the dead tasks; queue again the undos whose run died. Safe to run from cron."
    )

    def handle(self, *args, **options):
        report = imports_recover()
        for label, ids in (
            ("resumed", report.resumed),
            ("failed", report.failed),
            ("checked again", report.checked_again),
            ("refused", report.refused),
            ("queued again", report.requeued),
        ):
            for pk in ids:
                self.stdout.write(f"import {pk}: {label}")
        for pk in import_undos_recover():
            self.stdout.write(f"import {pk}: undo queued again")
