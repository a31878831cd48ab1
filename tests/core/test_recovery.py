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
