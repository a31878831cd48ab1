"""`partnerspace db_worker`: django-tasks-db's worker, which also takes up the work of workers
that died (core.recovery, and the recoveries apps register there, such as the imports'):
when it starts, and every PARTNERSPACE_RECOVERY_INTERVAL seconds
while it runs (with --batch, once, before the tasks due). `partnerspace task_worker` runs
this one on the database backend."""

from typing import Any

from django.conf import settings
from django_tasks_db.management.commands import db_worker

from partnerspace.core.recovery import recovering, recovery_pass


class Command(db_worker.Command):
    help = db_worker.Command.help + ", taking up the tasks of workers that died"

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("batch"):
            recovery_pass()
            return super().handle(*args, **options)
        with recovering(settings.PARTNERSPACE_RECOVERY_INTERVAL):
            return super().handle(*args, **options)
