"""Tasks left RUNNING by a worker that died are queued again, once, and only tasks that hold
a lease on their own work (core.recovery.leased) and have outlived it."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from partnerspace.core.delivery import CLAIM_LEASE
from partnerspace.core.recovery import lost_tasks_recover, task_lease
from partnerspace.invitations.tasks import deliver_invitation

pytestmark = pytest.mark.django_db

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@task()
def not_leased(value: int) -> int:
    return value


@pytest.fixture
def database_tasks(settings):
    settings.TASKS = DATABASE_TASKS


def left_running(task, *args, started_ago: timedelta) -> DBTaskResult:
    """What a worker killed mid-task leaves: the result RUNNING, claimed by it."""
    result = DBTaskResult.objects.get(pk=task.enqueue(*args).id)
    result.claim("dead-worker")
    DBTaskResult.objects.filter(pk=result.pk).update(started_at=timezone.now() - started_ago)
    return result


def test_a_leased_task_running_past_its_lease_is_failed_and_queued_again_once(database_tasks):
    assert task_lease(deliver_invitation.module_path) == CLAIM_LEASE
    lost = left_running(deliver_invitation, 42, started_ago=CLAIM_LEASE + timedelta(seconds=1))

    assert lost_tasks_recover() == 1
    assert lost_tasks_recover() == 0  # a second worker looking finds nothing left to do

    lost.refresh_from_db()
    assert lost.status == "FAILED"
    assert lost.exception_class_path == "partnerspace.core.recovery.WorkerLost"
    assert "dead-worker" in lost.traceback
    [again] = DBTaskResult.objects.exclude(pk=lost.pk)
    assert (again.status, again.task_path, again.args_kwargs) == (
        "READY",
        lost.task_path,
        {"args": [42], "kwargs": {}},
    )


def test_a_task_within_its_lease_is_left_to_its_worker(database_tasks):
    running = left_running(deliver_invitation, 42, started_ago=CLAIM_LEASE - timedelta(seconds=5))
    assert lost_tasks_recover() == 0
    running.refresh_from_db()
    assert running.status == "RUNNING"
    assert DBTaskResult.objects.count() == 1


def test_a_task_without_a_lease_is_never_run_again_by_this(database_tasks):
    # Running it twice may not be safe: it has no lease to tell a dead run from a live one.
    running = left_running(not_leased, 1, started_ago=timedelta(days=1))
    assert task_lease(not_leased.module_path) is None
    assert lost_tasks_recover() == 0
    running.refresh_from_db()
    assert running.status == "RUNNING"


# On Redis: RQ moves the job of a worker that died to its failed registry (AbandonedJobError).


@pytest.fixture
def rq_tasks(settings, redis_url):
    from tests.redisdb import empty

    empty(redis_url)
    settings.TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    settings.RQ_QUEUES = {"default": {"URL": redis_url, "DEFAULT_TIMEOUT": 600}}
    yield
    empty(redis_url)


def abandoned(task, *args, started_ago: timedelta):
    """What RQ makes of a job whose worker died: a worker took it (started, in the started
    registry), its heartbeat stopped, and RQ's clean-up (the one the surviving workers run)
    failed it as abandoned. Its id."""
    import time

    import django_rq
    from django_tasks_rq.backend import Job
    from rq.executions import Execution
    from rq.registry import StartedJobRegistry
    from rq.utils import utcformat

    connection = django_rq.get_connection("default")
    job = Job.fetch(task.enqueue(*args).id, connection=connection)
    django_rq.get_queue("default").remove(job)  # taken from the queue by the worker
    with connection.pipeline() as pipeline:
        job.prepare_for_execution("dead-worker", pipeline)
        Execution.create(job, ttl=60, pipeline=pipeline, worker_name="dead-worker")
        pipeline.execute()
    connection.hset(job.key, "started_at", utcformat(timezone.now() - started_ago))
    StartedJobRegistry("default", connection=connection, job_class=Job).cleanup(time.time() + 120)
    assert task.get_result(job.id).status == "FAILED"
    return job.id


def queued_jobs():
    import django_rq
    from django_tasks_rq.backend import Job

    queue = django_rq.get_queue("default", job_class=Job)
    return [(job.func_name, list(job.args)) for job in queue.get_jobs()]


def test_on_redis_an_abandoned_leased_task_past_its_lease_is_queued_again_once(rq_tasks):
    lost = abandoned(deliver_invitation, 42, started_ago=CLAIM_LEASE + timedelta(seconds=1))
    assert queued_jobs() == []

    assert lost_tasks_recover() == 1
    assert lost_tasks_recover() == 0  # a second worker looking finds nothing left to do

    assert queued_jobs() == [(deliver_invitation.module_path, [42])]
    result = deliver_invitation.get_result(lost)
    assert result.status == "FAILED"  # still visible as failed, saying why
    assert result.errors[-1].exception_class_path == "partnerspace.core.recovery.WorkerLost"


def test_on_redis_an_abandoned_task_within_its_lease_waits(rq_tasks):
    # Its work-horse may still be at work although its worker is gone.
    lost = abandoned(deliver_invitation, 42, started_ago=CLAIM_LEASE - timedelta(seconds=5))
    assert lost_tasks_recover() == 0
    assert queued_jobs() == []
    assert deliver_invitation.get_result(lost).errors[-1].exception_class_path == (
        "rq.exceptions.AbandonedJobError"
    )


def test_on_redis_an_abandoned_task_without_a_lease_stays_failed(rq_tasks):
    lost = abandoned(not_leased, 1, started_ago=timedelta(days=1))
    assert lost_tasks_recover() == 0
    assert queued_jobs() == []
    assert not_leased.get_result(lost).status == "FAILED"


def test_a_forking_worker_runs_its_recovery_passes_in_a_process_of_its_own(tmp_path, monkeypatch):
    """RQ forks a work-horse per task. A recovery thread beside the worker could hold a lock
    at the moment of a fork, and the work-horse then waited for ever (an import killed on
    Redis was never resumed). For such a worker the passes run in a process of its own: the
    worker gains no thread, and the process ends with the block."""
    import os
    import threading
    import time

    from partnerspace.core import recovery

    passes = tmp_path / "passes"

    def note_pass() -> None:
        with passes.open("a") as out:
            out.write(f"{os.getpid()}\n")

    monkeypatch.setattr(recovery, "lost_tasks_recover", lambda: 0)
    monkeypatch.setattr(recovery, "_RECOVERIES", [note_pass])
    threads = threading.active_count()
    with recovery.recovering_apart(0.05):
        assert threading.active_count() == threads
        ends = time.monotonic() + 30
        while not (passes.exists() and len(passes.read_text().split()) >= 2):
            assert time.monotonic() < ends, "no recovery pass ran"
            time.sleep(0.05)
    [runner] = set(passes.read_text().split())
    assert int(runner) != os.getpid()
    assert not os.path.exists(f"/proc/{runner}")  # ended and reaped with the block
