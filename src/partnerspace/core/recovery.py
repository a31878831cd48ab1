"""Background work a dead worker left behind is taken up again.

django-tasks-db marks a task RUNNING when a worker takes it and never looks at it again: if
the worker dies (kill -9, out of memory, a power cut) the task stays RUNNING for ever and its
work is never done. A task registered here with `leased` holds a lease on its own row while
it runs (an invitation's claim, a Peppol registration's), and can by its own timeouts not run
longer than that lease. So a result RUNNING for longer belongs to a worker that is gone:
`lost_tasks_recover` marks it failed (WorkerLost) and enqueues the same call again. The new
run finds the row's lease, and waits for it to run out before doing the work, so a lease that
says the work is claimed is respected and the work is done once.

Every `partnerspace db_worker` runs it when it starts and every PARTNERSPACE_RECOVERY_INTERVAL
seconds after (see core/management/commands/db_worker.py), together with the recoveries the
apps above core register with `recovery_register` (an import's own lease, renewed per batch,
does not fit a lease counted from the task's start).
"""

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connections, transaction
from django.utils import timezone

log = logging.getLogger(__name__)

_LEASES: dict[str, timedelta] = {}
_RECOVERIES: list[Callable[[], object]] = []


class WorkerLost(Exception):
    """The worker running the task stopped without finishing it; the task was queued again."""


def leased(lease: timedelta):
    """Mark a task (put above @task()) as safe to run again once `lease` has passed since it
    started: it holds a lease on its own work and does nothing another run still holds."""

    def register(task):
        _LEASES[task.module_path] = lease
        return task

    return register


def task_lease(task_path: str) -> timedelta | None:
    return _LEASES.get(task_path)


def lost_tasks_recover() -> int:
    """Queue again the leased tasks whose worker is gone; how many. Only the database
    backend keeps RUNNING tasks where this can see them; other backends have their own."""
    from django_tasks_db.compat import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    now = timezone.now()
    recovered = 0
    for result in DBTaskResult.objects.running().order_by("started_at")[:500]:
        try:
            task = result.task  # importing its module registers its lease
        except (ImportError, SuspiciousOperation):  # a task gone from the code: not ours
            continue
        lease = task_lease(result.task_path)
        if lease is None or result.started_at is None or result.started_at > now - lease:
            continue
        with transaction.atomic():
            # Only one worker wins the row: the others find it no longer RUNNING.
            claimed = DBTaskResult.objects.filter(
                pk=result.pk, status=TaskResultStatus.RUNNING
            ).update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{WorkerLost.__module__}.{WorkerLost.__qualname__}",
                traceback=(
                    f"WorkerLost: worker {result.worker_ids[-1] if result.worker_ids else '?'} "
                    f"stopped running it (started {result.started_at.isoformat()}); "
                    "queued again.\n"
                ),
            )
            if not claimed:
                continue
            args = result.args_kwargs
            task.enqueue(*args["args"], **args["kwargs"])
        log.warning(
            "Task %s %s was left running by a worker that is gone; queued again",
            result.task_path,
            result.pk,
        )
        recovered += 1
    return recovered


def recovery_register(recover: Callable[[], object]) -> None:
    """Run `recover` (no arguments) with every recovery pass of the workers; called from an
    app's AppConfig.ready, so that core needs to know nothing of the app."""
    if recover not in _RECOVERIES:
        _RECOVERIES.append(recover)


def recoveries_run() -> None:
    """One recovery pass: the leased tasks, then each registered recovery. One failing does
    not keep the others from running."""
    for recover in (lost_tasks_recover, *_RECOVERIES):
        try:
            recover()
        except Exception:  # a locked or unreachable database now is tried again next time
            log.exception("Recovery %s failed", getattr(recover, "__qualname__", recover))


def recovery_pass() -> None:
    """One recovery pass from a worker, its database connection closed if it went stale."""
    try:
        recoveries_run()
    finally:
        close_old_connections()


def _recover_every(interval: float, stop: threading.Event) -> None:
    try:
        while True:
            recovery_pass()
            if stop.wait(interval):
                return
    finally:
        connections.close_all()  # this thread's own connection


@contextmanager
def recovering(interval: float) -> Iterator[None]:
    """A recovery pass now and every `interval` seconds, in a thread beside the worker's
    loop (which may be busy with one long task), for as long as the block runs."""
    stop = threading.Event()
    thread = threading.Thread(
        target=_recover_every, args=(interval, stop), name="lost-task-recovery", daemon=True
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=30)
