"""`partnerspace db_worker`: django-tasks-db's worker, which also takes up the work of workers
that died (core.recovery, and the recoveries apps register there, such as the imports'):
when it starts, and every PARTNERSPACE_RECOVERY_INTERVAL seconds
while it runs (with --batch, once, before the tasks due)."""

import threading
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from django_tasks_db.management.commands import db_worker

from partnerspace.core.recovery import recoveries_run


def _recover() -> None:
    try:
        recoveries_run()
    finally:
        close_old_connections()


def _recover_every(interval: float, stop: threading.Event) -> None:
    try:
        while True:
            _recover()
            if stop.wait(interval):
                return
    finally:
        connections.close_all()  # this thread's own connection


class Command(db_worker.Command):
    help = db_worker.Command.help + ", taking up the tasks of workers that died"

    def handle(self, *args: Any, **options: Any) -> None:
        if options.get("batch"):
            _recover()
            return super().handle(*args, **options)
        # A thread beside the worker's loop: the loop may be busy with one long task.
        stop = threading.Event()
        recovery = threading.Thread(
            target=_recover_every,
            args=(settings.PARTNERSPACE_RECOVERY_INTERVAL, stop),
            name="lost-task-recovery",
            daemon=True,
        )
        recovery.start()
        try:
            return super().handle(*args, **options)
        finally:
            stop.set()
            recovery.join(timeout=30)
