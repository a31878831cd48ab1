"""/healthz (the process lives) and /readyz (it can serve): JSON, no login, no data."""

from datetime import timedelta

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client as Browser
from django.utils import timezone

from partnerspace.operations import health

pytestmark = pytest.mark.django_db

CHECKS = {"database", "migrations", "task_queue", "task_wait"}
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
REDIS_TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}


@pytest.fixture(autouse=True)
def migrations_checked_again(monkeypatch):
    monkeypatch.setattr(health, "_migrations_applied_at", None)


def get(path: str, **headers):
    return Browser(headers=headers).get(path)


def test_liveness_answers_ok_to_anyone():
    response = get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_the_probes_answer_a_balancer_calling_by_address_over_plain_http(settings):
    settings.SECURE_SSL_REDIRECT = True
    for path in ("/healthz", "/readyz"):
        response = Browser(HTTP_HOST="10.0.0.7:8000").get(path)
        assert response.status_code == 200, path
    # Every other page keeps the host check and the redirect.
    assert Browser(HTTP_HOST="10.0.0.7:8000").get("/account/login/").status_code == 400


def test_readiness_checks_the_database_the_migrations_and_the_task_queue():
    response = get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": dict.fromkeys(CHECKS, "ok")}


def test_a_migration_not_applied_makes_the_process_not_ready(logs):
    # The clients app's last migration, and those it replaces: a squashed migration counts
    # as applied while every migration it replaces is recorded.
    [leaf] = MigrationExecutor(connection).loader.graph.leaf_nodes("clients")
    migration = MigrationExecutor(connection).loader.get_migration(*leaf)
    names = [leaf[1], *(name for _, name in migration.replaces)]
    MigrationRecorder.Migration.objects.filter(app="clients", name__in=names).delete()
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "failing"
    assert response.json()["checks"] == {**dict.fromkeys(CHECKS, "ok"), "migrations": "failing"}
    # The reason is in the log, not in the answer.
    assert "not applied" not in response.text
    [line] = [r for r in logs.events("readiness check failed") if r["check"] == "migrations"]
    assert "1 migration(s) not applied" in line["error"]


def test_a_task_waiting_too_long_makes_the_process_not_ready(settings, transactional_db):
    from django_tasks_db.models import DBTaskResult

    from partnerspace.firms.tasks import send_staff_invitation

    settings.TASKS = DATABASE_TASKS
    settings.PARTNERSPACE_READY_MAX_TASK_WAIT = 600
    result = send_staff_invitation.enqueue(1)
    assert get("/readyz").json()["checks"]["task_wait"] == "ok"

    DBTaskResult.objects.filter(pk=result.id).update(
        enqueued_at=timezone.now() - timedelta(minutes=11)
    )
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"] == {**dict.fromkeys(CHECKS, "ok"), "task_wait": "failing"}


def test_an_unreachable_redis_makes_the_process_not_ready(settings):
    settings.TASKS = REDIS_TASKS
    settings.RQ_QUEUES = {"default": {"URL": "redis://127.0.0.1:1/0"}}
    settings.PARTNERSPACE_HEALTH_TIMEOUT = 1
    response = get("/readyz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert (checks["database"], checks["task_queue"], checks["task_wait"]) == (
        "ok",
        "failing",
        "failing",
    )


def test_on_redis_a_deferred_task_overdue_with_no_worker_to_move_it_counts_as_waiting(
    settings, redis_url
):
    from partnerspace.firms.tasks import send_staff_invitation
    from tests.redisdb import empty

    empty(redis_url)
    settings.TASKS = REDIS_TASKS
    settings.RQ_QUEUES = {"default": {"URL": redis_url}}
    settings.PARTNERSPACE_READY_MAX_TASK_WAIT = 600
    send_staff_invitation.enqueue(1)
    assert get("/readyz").json()["checks"] == dict.fromkeys(CHECKS, "ok")

    send_staff_invitation.using(run_after=timezone.now() - timedelta(minutes=20)).enqueue(2)
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["task_wait"] == "failing"
    empty(redis_url)


def test_a_migration_taken_away_under_a_running_process_makes_it_not_ready(monkeypatch):
    """A backup of an older release restored while the process runs: within a minute."""
    assert get("/readyz").status_code == 200
    [leaf] = MigrationExecutor(connection).loader.graph.leaf_nodes("clients")
    migration = MigrationExecutor(connection).loader.get_migration(*leaf)
    names = [leaf[1], *(name for _, name in migration.replaces)]
    MigrationRecorder.Migration.objects.filter(app="clients", name__in=names).delete()
    assert get("/readyz").status_code == 200  # still within the minute it said so
    # A minute later.
    found_at = health._migrations_applied_at
    assert found_at is not None
    monkeypatch.setattr(
        health, "_migrations_applied_at", found_at - health.MIGRATIONS_RECHECK_SECONDS
    )
    response = get("/readyz")
    assert response.status_code == 503
    assert response.json()["checks"]["migrations"] == "failing"
