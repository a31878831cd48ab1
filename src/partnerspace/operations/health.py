"""Readiness: may this process take requests? Each check answers "ok" or "failing"; the reason
goes to the log, never into the answer, which anyone can read."""

import time

import structlog
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from partnerspace.operations.taskqueue import queue_state

log = structlog.get_logger("partnerspace.health")

OK = "ok"
FAILING = "failing"

# Reading the migration files on every probe would cost more than the rest of the checks
# together, so a process that found every migration applied says so for a minute before it
# looks again: not for ever, since a backup restored under it (an older release's) takes
# migrations away without a restart.
MIGRATIONS_RECHECK_SECONDS = 60.0
_migrations_applied_at: float | None = None


def _database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def _migrations() -> None:
    global _migrations_applied_at
    now = time.monotonic()
    if (
        _migrations_applied_at is not None
        and now - _migrations_applied_at < MIGRATIONS_RECHECK_SECONDS
    ):
        return
    _migrations_applied_at = None
    connection = connections[DEFAULT_DB_ALIAS]
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrations_applied_at = now


def readiness() -> dict[str, str]:
    """{check: "ok" | "failing"} for the database, the migrations, the task queue and the
    age of the oldest waiting task."""
    results: dict[str, str] = {}

    def run(name: str, check) -> bool:
        try:
            check()
        except Exception as error:
            log.warning("readiness check failed", check=name, error=str(error)[:500])
            results[name] = FAILING
            return False
        results[name] = OK
        return True

    if run("database", _database):
        run("migrations", _migrations)
    else:
        results["migrations"] = FAILING
    state = None

    def queue() -> None:
        nonlocal state
        state = queue_state()

    if run("task_queue", queue) and state is not None:
        limit = settings.PARTNERSPACE_READY_MAX_TASK_WAIT
        if limit and state.oldest_wait_seconds > limit:
            log.warning(
                "readiness check failed",
                check="task_wait",
                oldest_wait_seconds=round(state.oldest_wait_seconds),
                waiting=state.waiting,
                limit_seconds=limit,
            )
            results["task_wait"] = FAILING
        else:
            results["task_wait"] = OK
    else:
        results["task_wait"] = FAILING
    return results
