"""The task queue as an operator sees it: which backend runs, how long tasks wait, one log line
and the metrics per task, and the request id handed from a request to the tasks it queued.

Two backends are supported in production, both django-tasks backends chosen by TASKS_BACKEND:

- django-tasks-db's DatabaseBackend (the default): tasks are rows in the database, run by
  `partnerspace task_worker` (its db_worker). Nothing else to run.
- django-tasks-rq's RQBackend: tasks are RQ jobs in Redis (REDIS_URL), run by RQ workers
  (`partnerspace task_worker` again). RQ notices a worker that died (its heartbeat stops) and
  moves the job it was running to the failed registry, where it shows as FAILED.

The request id rides along with the task: in RQ's job meta (our Queue class), or beside the
arguments of the database row (a pre_save hook); the worker binds it for the task's log lines.
"""

import os
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import structlog
from django.conf import settings
from django.db.models.signals import pre_save
from django.utils import timezone
from django_rq.queues import DjangoRQ
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, TaskResult, task_backends
from django_tasks.signals import task_finished, task_started
from rq.worker import Worker as RQWorker

from partnerspace.operations import metrics

log = structlog.get_logger("partnerspace.tasks")

DATABASE = "database"
REDIS = "redis"
IN_PROCESS = "in-process"


def backend_kind(backend=None) -> str:
    """DATABASE, REDIS, or IN_PROCESS (the immediate and dummy backends of tests)."""
    from django_tasks_db import DatabaseBackend
    from django_tasks_rq import RQBackend

    backend = backend or default_backend()
    if isinstance(backend, RQBackend):
        return REDIS
    if isinstance(backend, DatabaseBackend):
        return DATABASE
    return IN_PROCESS


def default_backend():
    # The backend object itself: django_tasks.default_task_backend is a proxy, which
    # isinstance() does not see through.
    return task_backends[DEFAULT_TASK_BACKEND_ALIAS]


def current_request_id() -> str | None:
    return structlog.contextvars.get_contextvars().get("request_id")


# --------------------------------------------------------------------------------------
# The request id, from the request to its tasks
# --------------------------------------------------------------------------------------


class Queue(DjangoRQ):
    """RQ's queue (django-rq's), which stores the current request id in each new job's meta."""

    def create_job(self, *args, **kwargs):
        if request_id := current_request_id():
            kwargs["meta"] = {**(kwargs.get("meta") or {}), "request_id": request_id}
        return super().create_job(*args, **kwargs)


def _store_request_id_in_task_row(sender, instance, **kwargs) -> None:
    """A new database task row keeps the request id beside its arguments (the worker reads
    only "args" and "kwargs" from that field)."""
    if instance._state.adding and (request_id := current_request_id()):
        instance.args_kwargs = {**instance.args_kwargs, "request_id": request_id}


def _request_id_of(task_result: TaskResult) -> str | None:
    db_result = getattr(task_result, "db_result", None)
    if db_result is not None:
        return (db_result.args_kwargs or {}).get("request_id")
    # An RQ job's was bound by the worker from the job's meta (Worker.perform_job).
    return current_request_id()


# --------------------------------------------------------------------------------------
# One log line and the metrics per task
# --------------------------------------------------------------------------------------


def _task_name(task_result: TaskResult) -> str:
    return task_result.task.module_path


# What the context held before each running task bound its own (a task run inside a
# request, by the immediate backend, must give the request its id back).
_context_before: dict[str, Mapping] = {}


def _on_task_started(sender, task_result: TaskResult, **kwargs) -> None:
    _context_before[str(task_result.id)] = structlog.contextvars.bind_contextvars(
        request_id=_request_id_of(task_result),
        task=_task_name(task_result),
        task_id=str(task_result.id),
    )


def _seconds_between(started: datetime | None, finished: datetime | None) -> float | None:
    if started is None:
        return None
    return max(0.0, ((finished or timezone.now()) - started).total_seconds())


def task_outcome_record(
    *, name: str, task_id: str, outcome: str, seconds: float | None, **extra
) -> None:
    """The task's log line and its metrics: every way a task ends comes through here."""
    metrics.task_finished(name=name, outcome=outcome, seconds=seconds)
    line = log.info if outcome == "successful" else log.warning
    line(
        "task",
        task=name,
        task_id=task_id,
        outcome=outcome,
        duration_ms=None if seconds is None else round(seconds * 1000, 1),
        **extra,
    )


def _on_task_finished(sender, task_result: TaskResult, **kwargs) -> None:
    try:
        task_outcome_record(
            name=_task_name(task_result),
            task_id=str(task_result.id),
            outcome=task_result.status.value.lower(),
            seconds=_seconds_between(task_result.started_at, task_result.finished_at),
        )
    finally:
        before = _context_before.pop(str(task_result.id), None)
        if before is not None:
            structlog.contextvars.reset_contextvars(**before)
        else:  # failed by another process (RQ's clean-up of a dead worker's task)
            structlog.contextvars.unbind_contextvars("task", "task_id")


def connect_signals() -> None:
    from django_tasks_db.models import DBTaskResult

    pre_save.connect(
        _store_request_id_in_task_row,
        sender=DBTaskResult,
        dispatch_uid="partnerspace-task-request-id",
    )
    task_started.connect(_on_task_started, dispatch_uid="partnerspace-task-started")
    task_finished.connect(_on_task_finished, dispatch_uid="partnerspace-task-finished")


# --------------------------------------------------------------------------------------
# The RQ worker
# --------------------------------------------------------------------------------------


class Worker(RQWorker):
    """RQ's forking worker, with the grace after a missed heartbeat as a setting and a log
    line for a task whose work-horse process was killed (RQ fails it without the callbacks
    that write the others)."""

    def perform_job(self, job, queue, execution) -> bool:
        # In the work-horse process: the task's log lines carry the request that queued it.
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=job.meta.get("request_id"))
        try:
            return super().perform_job(job, queue, execution)
        finally:
            structlog.contextvars.clear_contextvars()

    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        # RQ adds a fixed minute after the monitoring interval before a silent job counts as
        # abandoned; PARTNERSPACE_RQ_HEARTBEAT_GRACE sets it (tests shorten it).
        ttl = super().get_heartbeat_ttl(job, working_time)
        return ttl - 60 + settings.PARTNERSPACE_RQ_HEARTBEAT_GRACE

    def handle_work_horse_killed(self, job, retpid, ret_val, rusage) -> None:
        super().handle_work_horse_killed(job, retpid, ret_val, rusage)
        signal = os.WTERMSIG(ret_val) if ret_val and os.WIFSIGNALED(ret_val) else None
        task_outcome_record(
            name=job.func_name,
            task_id=job.id,
            outcome="failed",
            seconds=_seconds_between(job.started_at, job.ended_at),
            request_id=job.meta.get("request_id"),
            reason=f"work-horse killed by signal {signal}" if signal else "work-horse died",
        )


def rq_worker_options() -> dict:
    """What an RQ worker is started with (`partnerspace task_worker`), from the settings."""
    return {
        "worker_ttl": settings.PARTNERSPACE_RQ_WORKER_TTL,
        "job_monitoring_interval": settings.PARTNERSPACE_RQ_MONITORING_INTERVAL,
        "maintenance_interval": settings.PARTNERSPACE_RQ_MAINTENANCE_INTERVAL,
    }


# --------------------------------------------------------------------------------------
# How the queue is doing (readiness, metrics)
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueState:
    waiting: int
    oldest_wait_seconds: float  # 0 when nothing waits


def redis_connection(queue_name: str = "default", *, timeout: float | None = None):
    import django_rq

    connection = django_rq.get_connection(queue_name)
    if timeout is not None:
        connection.connection_pool.connection_kwargs.update(
            socket_connect_timeout=timeout, socket_timeout=timeout
        )
    return connection


def queue_state() -> QueueState:
    """Tasks waiting to run (due, not yet started) and how long the oldest has waited.

    Raises when the queue cannot be reached (Redis down, database down).
    """
    kind = backend_kind()
    if kind == DATABASE:
        return _database_queue_state()
    if kind == REDIS:
        return _redis_queue_state()
    return QueueState(waiting=0, oldest_wait_seconds=0.0)


def _database_queue_state() -> QueueState:
    from django_tasks_db.models import DBTaskResult, get_date_max

    ready = DBTaskResult.objects.ready().filter(backend_name=default_backend().alias)
    now = timezone.now()
    oldest = [
        ready.filter(run_after=get_date_max()).order_by("enqueued_at")
        .values_list("enqueued_at", flat=True).first(),
        ready.exclude(run_after=get_date_max()).order_by("run_after")
        .values_list("run_after", flat=True).first(),
    ]  # fmt: skip
    since = min((moment for moment in oldest if moment is not None), default=now)
    return QueueState(waiting=ready.count(), oldest_wait_seconds=(now - since).total_seconds())


def _redis_queue_state() -> QueueState:
    from rq.job import Job
    from rq.queue import Queue as RQQueue
    from rq.registry import ScheduledJobRegistry

    now = time.time()
    waiting, since = 0, now
    for name in sorted(default_backend().queues):
        connection = redis_connection(name, timeout=settings.PARTNERSPACE_HEALTH_TIMEOUT)
        queue = RQQueue(name, connection=connection)
        waiting += queue.count
        for job_id in queue.get_job_ids(0, 1):
            job = Job.fetch(job_id, connection=connection)
            if job.enqueued_at is not None:
                since = min(since, job.enqueued_at.timestamp())
        # A deferred task that is due but not moved to the queue yet (no scheduler running?)
        # waits too: since the time it was due.
        scheduled = ScheduledJobRegistry(name, connection=connection)
        due = connection.zrangebyscore(scheduled.key, 0, now, start=0, num=1, withscores=True)
        if due:
            waiting += connection.zcount(scheduled.key, 0, now)
            since = min(since, due[0][1])
    return QueueState(waiting=waiting, oldest_wait_seconds=max(0.0, now - since))
