"""Imports whose process died: noticed by their lease, then resumed or given up.

A process checking or importing a file holds the job's lease and renews it with every
batch (services._claim, services._batch_recorder). A lease that ran out means the process
died (killed, out of memory, a deploy): nothing tells us otherwise. Two things notice it,
neither needing a person:

- reading the job (its page, the API) marks an import INTERRUPTED, which offers Doorgaan;
- `partnerspace imports_recover` (run it from cron, every few minutes) resumes every such
  import from its last batch, or gives it up after MAX_ATTEMPTS runs (FAILED, and still
  Doorgaan). A background check of a large file is queued again, or refused after
  MAX_CHECK_ATTEMPTS: a file that stops the process each time it is read is not read again.

Either way the dead task's result row (django-tasks' database backend) is closed as
failed, so that it does not say "running" for ever.

A job waiting in the queue (QUEUED, or UPLOADED for a background check) holds a lease too,
given when it was queued: a worker must take it up before it runs out. When it has run out
and the job's task is not waiting (READY) or just taken (RUNNING within a lease of its
start), the enqueue was lost (the process died between the commit and the enqueue, or the
queue refused it) or the worker died between taking the task and claiming the job: the
recovery pass queues it again. A task still waiting in a busy queue only renews the lease.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from partnerspace.imports.models import ImportIssue, ImportJob, ImportStatus
from partnerspace.imports.services import import_enqueue, lease_end, undo_enqueue, undo_stalled

# Runs a job gets before it is given up, its check included (ImportJob.runs counts both).
MAX_ATTEMPTS = 4
# Runs a background check gets: a file that stops the process twice is not read again.
MAX_CHECK_ATTEMPTS = 2
# Statuses in which a process holds the job (UPLOADED: a background check).
_HELD = (ImportStatus.UPLOADED, ImportStatus.RUNNING)
# Statuses in which a job may be waiting in the queue for a worker.
_WAITING = (ImportStatus.UPLOADED, ImportStatus.QUEUED)


class WorkerStopped(Exception):
    """Written into the dead task's result: the process running it stopped."""


def lease_expired(job: ImportJob, now=None) -> bool:
    now = now or timezone.now()
    if job.status == ImportStatus.QUEUED:  # queued before queued jobs held a lease: expired
        return job.lease_until is None or job.lease_until < now
    return job.status in _HELD and job.lease_until is not None and job.lease_until < now


def _task_waiting(job: ImportJob, now, *, undo: bool = False) -> bool:
    """Whether the job's task (with `undo`, its undo's) is waiting for a worker (READY), or
    was taken so lately that its worker may still claim the job (RUNNING, within a lease of
    its start)."""
    from django_tasks.base import TaskResultStatus

    from partnerspace.imports.tasks import run_import, run_import_undo

    task_id = job.undo_task_id if undo else job.task_id
    if not task_id:
        return False
    try:
        result = (run_import_undo if undo else run_import).get_result(task_id)
    except Exception:  # no such task, or a backend that keeps none: nothing waits
        return False
    if result.status == TaskResultStatus.READY:
        return True
    lease = timedelta(seconds=settings.PARTNERSPACE_IMPORT_LEASE_SECONDS)
    return (
        result.status == TaskResultStatus.RUNNING
        and result.started_at is not None
        and result.started_at > now - lease
    )


def import_stop_notice(*, job: ImportJob) -> ImportJob:
    """Called when the job is read: an import whose process died becomes INTERRUPTED (its
    page offers Doorgaan); a background check is queued again (or refused). Returns the
    job as it is now."""
    if job.status == ImportStatus.QUEUED or not lease_expired(job):
        return job  # a queued import is the recovery pass's (imports_recover)
    with transaction.atomic():
        fresh = ImportJob.objects.select_for_update().get(pk=job.pk)
        if lease_expired(fresh) and not _task_waiting(fresh, timezone.now()):
            if fresh.import_started_at is not None:
                _interrupt(fresh)
            else:
                _check_again_or_refuse(fresh)
    job.refresh_from_db()
    return job


@dataclass
class Recovery:
    resumed: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    checked_again: list[int] = field(default_factory=list)
    refused: list[int] = field(default_factory=list)
    requeued: list[int] = field(default_factory=list)


def imports_recover(*, now=None) -> Recovery:
    """Resume (or give up) every import whose process died; see the module docstring."""
    now = now or timezone.now()
    report = Recovery()
    stopped = ImportJob.objects.filter(
        Q(status__in=_HELD, lease_until__lt=now)
        | Q(status=ImportStatus.INTERRUPTED)
        | Q(status=ImportStatus.QUEUED, lease_until__lt=now)
        | Q(status=ImportStatus.QUEUED, lease_until__isnull=True)
    ).values_list("pk", flat=True)
    for pk in list(stopped):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=pk)
            if (job.status in _WAITING and lease_expired(job, now)) and _task_waiting(job, now):
                job.lease_until = lease_end()  # still in the queue: a worker will come
                job.save(update_fields=["lease_until"])
            elif job.status == ImportStatus.QUEUED and lease_expired(job, now):
                _task_close(job)
                _queue(job, ImportStatus.QUEUED)
                report.requeued.append(pk)
            elif job.status == ImportStatus.INTERRUPTED or lease_expired(job, now):
                if job.import_started_at is not None:
                    _interrupt(job)
                    if job.runs < MAX_ATTEMPTS:
                        _queue(job, ImportStatus.QUEUED)
                        report.resumed.append(pk)
                    else:
                        job.status = ImportStatus.FAILED
                        job.finished_at = now
                        job.save(update_fields=["status", "finished_at"])
                        report.failed.append(pk)
                elif _check_again_or_refuse(job):
                    report.checked_again.append(pk)
                else:
                    report.refused.append(pk)
    return report


def _interrupt(job: ImportJob) -> None:
    _task_close(job)
    job.status = ImportStatus.INTERRUPTED
    job.lease_until = None
    job.save(update_fields=["status", "lease_until"])


def _queue(job: ImportJob, status: str) -> None:
    job.status = status
    job.lease_until = lease_end()  # a worker takes it up before this, or it is queued again
    job.save(update_fields=["status", "lease_until"])
    import_enqueue(job, preview=status == ImportStatus.UPLOADED)


def _check_again_or_refuse(job: ImportJob) -> bool:
    """A background check whose process died: queued again, or after MAX_CHECK_ATTEMPTS
    runs refused. True when queued again."""
    _task_close(job)
    if job.runs < MAX_CHECK_ATTEMPTS:
        _queue(job, ImportStatus.UPLOADED)
        return True
    with translation.override(job.language):
        message = _(
            "Checking this file stopped our server every time it was tried, so it is not "
            "tried again. Save the list in a new file (or as .csv) and upload that one."
        )
    job.file_error = {"code": "check_stopped", "detail": {}, "message": message}
    job.status = ImportStatus.REFUSED
    job.lease_until = None
    job.finished_at = timezone.now()
    job.save(update_fields=["file_error", "status", "lease_until", "finished_at"])
    ImportIssue.objects.filter(job=job).delete()
    ImportIssue.objects.create(job=job, is_error=True, code="check_stopped", message=message)
    return False


def _task_close(job: ImportJob, *, undo: bool = False) -> None:
    """The dead task's result row, if the database backend keeps one: failed, not running.
    (On Redis, RQ fails the task of a worker that died on its own.)"""
    task_id = job.undo_task_id if undo else job.task_id
    if not task_id:
        return
    from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
    from django_tasks.base import TaskResultStatus
    from django_tasks_db import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    if not isinstance(task_backends[DEFAULT_TASK_BACKEND_ALIAS], DatabaseBackend):
        return  # another tasks backend: nothing of ours to close
    result = DBTaskResult.objects.filter(pk=task_id, status=TaskResultStatus.RUNNING).first()
    if result is not None:
        what = "the undo of import" if undo else "import"
        result.set_failed(WorkerStopped(f"The process running {what} {job.pk} stopped."))


def import_undos_recover(*, now=None) -> list[int]:
    """Queue again every confirmed undo whose run died (or whose enqueue was lost): its
    lease ran out and its task is not waiting for a worker. The new run goes on after the
    last batch the dead one committed (imports.services.import_undo_continue); the ids.
    Run with every recovery pass of the workers, and by `partnerspace imports_recover`."""
    now = now or timezone.now()
    stalled = ImportJob.objects.filter(
        Q(undo_lease_until__lt=now) | Q(undo_lease_until__isnull=True),
        undone_at__isnull=False,
        undo_result__isnull=True,
    ).values_list("pk", flat=True)
    queued = []
    for pk in list(stalled):
        with transaction.atomic():
            job = ImportJob.objects.select_for_update().get(pk=pk)
            if not undo_stalled(job, now):
                continue
            if _task_waiting(job, now, undo=True):
                job.undo_lease_until = lease_end()  # still in the queue: a worker will come
                job.save(update_fields=["undo_lease_until"])
                continue
            _task_close(job, undo=True)
            undo_enqueue(job)
            queued.append(pk)
    return queued
