"""Background work a dead worker left behind is taken up again.

django-tasks-db marks a task RUNNING when a worker takes it and never looks at it again: if
the worker dies (kill -9, out of memory, a power cut) the task stays RUNNING for ever and its
work is never done. A task registered here with `leased` holds a lease on its own row while
it runs (an invitation's claim, a Peppol registration's), and can by its own timeouts not run
longer than that lease. So a result RUNNING for longer belongs to a worker that is gone:
`lost_tasks_recover` marks it failed (WorkerLost) and enqueues the same call again. The new
run finds the row's lease, and waits for it to run out before doing the work, so a lease that
says the work is claimed is respected and the work is done once.

On Redis (django-tasks-rq), RQ itself notices a dead worker (its heartbeat stops) and moves
the job it was running to the failed registry (AbandonedJobError), where it shows as FAILED.
A leased task found there is queued again the same way, once its lease since its start has
run out (the work-horse may outlive its worker for a while); its error then says WorkerLost.
A task without a lease stays failed, visibly: running it twice may not be safe.

Every task worker (`partnerspace task_worker`, `partnerspace db_worker`) runs it when it
starts and every PARTNERSPACE_RECOVERY_INTERVAL seconds after, together with the recoveries
the apps above core register with `recovery_register` (an import's own lease, renewed per
batch, does not fit a lease counted from the task's start).
"""

import logging
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, timedelta
from typing import Any, TypeVar

from django.core.exceptions import SuspiciousOperation
from django.db import close_old_connections, connections, transaction
from django.utils import timezone
from django_tasks.base import Task

log = logging.getLogger(__name__)

TaskT = TypeVar("TaskT", bound="Task[..., Any]")

_LEASES: dict[str, timedelta] = {}
_RECOVERIES: list[Callable[[], object]] = []


class WorkerLost(Exception):
    """The worker running the task stopped without finishing it; the task was queued again."""


def leased(lease: timedelta) -> Callable[[TaskT], TaskT]:
    """Mark a task (put above @task()) as safe to run again once `lease` has passed since it
    started: it holds a lease on its own work and does nothing another run still holds."""

    def register(task: TaskT) -> TaskT:
        _LEASES[task.module_path] = lease
        return task

    return register


def task_lease(task_path: str) -> timedelta | None:
    return _LEASES.get(task_path)


# The exception django-tasks-rq records for a job RQ found abandoned by its dead worker.
ABANDONED = "rq.exceptions.AbandonedJobError"
WORKER_LOST = f"{WorkerLost.__module__}.{WorkerLost.__qualname__}"


def lost_tasks_recover() -> int:
    """Queue again the leased tasks whose worker is gone; how many. The database backend's
    are left RUNNING, RQ's moved to its failed registry; other backends keep no such tasks."""
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks_db import DatabaseBackend

    backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
    if isinstance(backend, DatabaseBackend):
        return _database_lost_tasks_recover()
    try:
        from django_tasks_rq import RQBackend
    except ImportError:  # pragma: no cover - installed with the project
        return 0
    if isinstance(backend, RQBackend):
        return _rq_lost_tasks_recover(backend)
    return 0


def _database_lost_tasks_recover() -> int:
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
                exception_class_path=WORKER_LOST,
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


def _rq_lost_tasks_recover(backend: Any) -> int:
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.exceptions import NoSuchJobError
    from rq.registry import FailedJobRegistry

    now = timezone.now()
    recovered = 0
    for queue_name in sorted(backend.queues):
        connection = django_rq.get_connection(queue_name)
        registry = FailedJobRegistry(queue_name, connection=connection, job_class=Job)
        for job_id in registry.get_job_ids(0, 499):
            try:
                job = Job.fetch(job_id, connection=connection)
            except NoSuchJobError:
                continue
            errors = job.meta.get("_django_tasks_rq_exceptions") or []
            if not errors or errors[-1] != ABANDONED or job.started_at is None:
                continue  # failed on its own, or already queued again (WorkerLost)
            try:
                task = job.func  # importing its module registers its lease
            except (ImportError, AttributeError, SuspiciousOperation):  # not a task of ours
                continue
            lease = task_lease(job.func_name) if job.func_name else None
            started = job.started_at
            if started.tzinfo is None:
                started = started.replace(tzinfo=UTC)
            if lease is None or started > now - lease:
                continue
            # Only one worker wins the job; a claim left by one that died on the way runs out.
            claim = f"partnerspace:recovery:{job.id}"
            if not connection.set(claim, "1", nx=True, ex=int(lease.total_seconds())):
                continue
            again = task.enqueue(*job.args, **job.kwargs)
            job.meta["_django_tasks_rq_exceptions"] = [*errors[:-1], WORKER_LOST]
            job.meta["queued_again_as"] = str(again.id)
            job.save_meta()  # type: ignore[no-untyped-call]  # RQ's Job.save_meta has no annotations
            log.warning(
                "Task %s %s was abandoned by a worker that is gone; queued again as %s",
                job.func_name,
                job.id,
                again.id,
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


def _recover_apart(interval: float, stop: Any, parent: int) -> None:
    """The recovery loop in a process of its own; it ends with its worker, even one that was
    killed (its parent is then another process)."""
    try:
        while os.getppid() == parent:
            recovery_pass()
            if stop.wait(interval):
                return
    finally:
        connections.close_all()


@contextmanager
def recovering_apart(interval: float) -> Iterator[None]:
    """As `recovering`, in a process of its own, for a worker that forks a process per task
    (RQ's): a thread beside it may hold a lock (a log handler's, the database driver's) at
    the moment of a fork, and the forked process would then wait for ever on a lock nobody
    holds. This process is forked once, before the worker starts any thread."""
    connections.close_all()  # a connection is never shared with a forked process
    context = multiprocessing.get_context("fork")
    stop = context.Event()
    process = context.Process(
        target=_recover_apart,
        args=(interval, stop, os.getpid()),
        name="lost-task-recovery",
        daemon=True,
    )
    process.start()
    try:
        yield
    finally:
        stop.set()
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


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
