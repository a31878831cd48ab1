"""Background tasks in real worker processes: each runs once with two workers competing, a
worker killed half-way leaves nothing written, and on Redis the task then shows as failed.

The `background` tests run on the database queue in the ordinary run and again on Redis with
RQ workers in .ci/run's second pass; the RQ-only ones ask for Redis whatever the run.
"""

import pytest
from django_tasks import TaskResultStatus, default_task_backend

from partnerspace.firms.models import Firm
from tests.operations.background_tasks import record_run
from tests.processes import REDIS, kill

pytestmark = pytest.mark.background

FINISHED = {TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED}


def result_of(task_result):
    return default_task_backend.get_result(task_result.id)


def task_lines(pool, task_id: str) -> list[dict]:
    return [
        record
        for worker in pool.workers
        for record in worker.log_records()
        if record.get("event") == "task" and record.get("task_id") == str(task_id)
    ]


def test_each_task_runs_once_with_two_workers_competing_for_them(task_workers):
    pool = task_workers(2)
    # Each task works a moment with no transaction open: long enough for the whole batch to
    # outlast the database worker's polling interval (1 s), so both get their share.
    queued = [record_run.enqueue(f"once-{number}", work=0.2) for number in range(30)]

    pool.wait_for(
        lambda: all(result_of(result).status in FINISHED for result in queued),
        timeout=120,
        what="every task to finish",
    )

    results = [result_of(result) for result in queued]
    assert {result.status for result in results} == {TaskResultStatus.SUCCESSFUL}
    for number in range(30):
        assert Firm.objects.filter(name=f"once-{number}").count() == 1, number
    # Both workers took tasks: the "once" above held with two of them taking from one queue.
    assert {result.return_value for result in results} == {"1", "2"}
    # One log line per task, written by the worker that ran it.
    for result in queued:
        [line] = task_lines(pool, result.id)
        assert line["outcome"] == "successful"
        assert line["task"] == "tests.operations.background_tasks.record_run"
        assert line["duration_ms"] >= 0


def test_a_worker_killed_half_way_through_a_task_leaves_nothing_written(task_workers, tmp_path):
    pool = task_workers(2)
    halfway = tmp_path / "halfway"
    record_run.enqueue("killed", rows=10, pause=120, halfway_file=str(halfway))
    pool.wait_for(halfway.exists, timeout=60, what="the task to be half-way")
    assert Firm.objects.filter(name="killed").count() == 0  # not committed yet

    pool.kill_running(int(halfway.read_text().split()[0]))

    # The other worker carries on; by the time its task is done, the killed one's
    # connection is gone and its transaction with it.
    after = record_run.enqueue("after the kill")
    pool.wait_for(lambda: result_of(after).status in FINISHED, timeout=60, what="the next task")
    assert result_of(after).status == TaskResultStatus.SUCCESSFUL
    assert Firm.objects.filter(name="killed").count() == 0
    assert Firm.objects.filter(name="after the kill").count() == 1


def test_on_redis_a_task_whose_worker_died_is_marked_failed_not_lost(task_workers, tmp_path):
    from rq.registry import FailedJobRegistry

    from partnerspace.operations.taskqueue import redis_connection

    pool = task_workers(2, backend=REDIS)
    halfway = tmp_path / "halfway"
    queued = record_run.enqueue("orphaned", rows=10, pause=120, halfway_file=str(halfway))
    pool.wait_for(halfway.exists, timeout=60, what="the task to be half-way")

    # The work-horse running the task and the worker above it, as the OOM killer or a lost
    # machine would: no process is left to say what happened.
    horse = int(halfway.read_text().split()[0])
    killed = pool.kill_running(horse)
    [dead] = [worker for worker in pool.workers if worker.killed]
    assert horse != dead.pid and {horse, dead.pid} <= set(killed)

    # The surviving worker notices the silent heartbeat and fails the task.
    pool.wait_for(
        lambda: result_of(queued).status == TaskResultStatus.FAILED,
        timeout=60,
        what="the orphaned task to be marked failed",
    )
    assert Firm.objects.filter(name="orphaned").count() == 0
    assert queued.id in FailedJobRegistry("default", connection=redis_connection()).get_job_ids()
    [line] = task_lines(pool, queued.id)
    assert line["outcome"] == "failed"
    assert line["level"] == "warning"


def test_on_redis_a_task_whose_process_was_killed_is_marked_failed_at_once(task_workers, tmp_path):
    pool = task_workers(1, backend=REDIS)
    halfway = tmp_path / "halfway"
    queued = record_run.enqueue("horse", rows=4, pause=120, halfway_file=str(halfway))
    pool.wait_for(halfway.exists, timeout=60, what="the task to be half-way")

    kill(int(halfway.read_text().split()[0]))  # the work-horse only; its worker sees it die

    pool.wait_for(
        lambda: result_of(queued).status == TaskResultStatus.FAILED,
        timeout=30,
        what="the task to be marked failed",
    )
    assert Firm.objects.filter(name="horse").count() == 0
    [line] = task_lines(pool, queued.id)
    assert line["outcome"] == "failed"
    assert line["reason"] == "work-horse killed by signal 9"
    # The worker itself lives on and takes the next task.
    after = record_run.enqueue("after the horse")
    pool.wait_for(lambda: result_of(after).status in FINISHED, timeout=30, what="the next task")
    assert result_of(after).status == TaskResultStatus.SUCCESSFUL


def test_a_request_passes_its_id_to_the_tasks_it_queued(task_workers, firm_a, web):
    pool = task_workers(1)
    request_id = "req-from-the-proxy-0042"
    response = web(firm_a.admin).post(
        "/f/alfa/users/invite/",
        {
            "first_name": "Lotte",
            "last_name": "Claes",
            "email": "lotte.claes@alfa.example",
            "language": "nl",
            "roles": ["accountant"],
        },
        headers={"X-Request-ID": request_id},
    )
    assert response.status_code == 302
    assert response.headers["X-Request-ID"] == request_id

    def delivered():
        return [
            record
            for worker in pool.workers
            for record in worker.log_records()
            if record.get("event") == "task"
            and record.get("task") == "partnerspace.firms.tasks.send_staff_invitation"
        ]

    [line] = pool.wait_for(delivered, timeout=60, what="the invitation task")
    assert line["request_id"] == request_id
    assert line["outcome"] == "successful"
    assert len(list(pool.mail_dir.iterdir())) == 1


def test_a_deferred_task_runs_once_its_time_has_come(task_workers):
    # What a retry with back-off is (core.retry.enqueue_after): on Redis, RQ's scheduler in
    # the worker moves it to the queue when it is due.
    from datetime import timedelta

    from django.utils import timezone

    pool = task_workers(1)
    due = timezone.now() + timedelta(seconds=3)
    queued = record_run.using(run_after=due).enqueue("deferred")
    assert result_of(queued).status == TaskResultStatus.READY
    pool.wait_for(lambda: result_of(queued).status in FINISHED, timeout=60, what="the task")
    assert result_of(queued).status == TaskResultStatus.SUCCESSFUL
    # Not before it was due (RQ keeps the time to the whole second, so it may start within
    # the second before).
    assert result_of(queued).started_at >= due - timedelta(seconds=1)
    assert Firm.objects.filter(name="deferred").count() == 1
