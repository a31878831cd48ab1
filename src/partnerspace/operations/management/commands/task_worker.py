import logging

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from partnerspace.operations import taskqueue


class Command(BaseCommand):
    help = (
        "Run background tasks with the configured backend's worker: RQ's (with its scheduler, "
        "for deferred retries) for TASKS_BACKEND=django_tasks_rq.RQBackend, else django-tasks-db's "
        "db_worker. Stops after the running task on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="append", dest="queues", help="a queue to work on (default: all)"
        )
        parser.add_argument(
            "--burst", action="store_true", help="run the tasks waiting now, then stop"
        )
        parser.add_argument("--name", help="the worker's name (RQ)")

    def handle(self, *args, queues, burst, name, **options):
        backend = taskqueue.default_backend()
        kind = taskqueue.backend_kind(backend)
        queues = queues or sorted(backend.queues)
        if kind == taskqueue.DATABASE:
            call_command(
                _database_worker(),
                queue_name=",".join(queues),
                batch=burst,
                reload=False,
                verbosity=options["verbosity"],
            )
        elif kind == taskqueue.REDIS:
            self.run_rq(queues, burst=burst, name=name)
        else:
            raise CommandError(
                f"{type(backend).__name__} runs tasks in the process that queues them; "
                "there is no worker to start."
            )

    def run_rq(self, queues: list[str], *, burst: bool, name: str | None) -> None:
        from django_rq.utils import reset_db_connections
        from django_rq.workers import get_worker
        from redis.exceptions import ConnectionError as RedisConnectionError

        try:
            worker = get_worker(*queues, name=name, **taskqueue.rq_worker_options())
            # The work-horse processes are forks: none may inherit an open database connection.
            reset_db_connections()
            worker.work(burst=burst, with_scheduler=True)
        except RedisConnectionError as error:
            raise CommandError(f"Redis is unreachable: {error}") from error


def _database_worker():
    """django-tasks-db's db_worker, leaving django-tasks' own per-task lines out (it turns
    them on): the task line of operations.taskqueue says more. Its errors still show."""
    from django_tasks_db.management.commands.db_worker import Command as DbWorker

    class Quieter(DbWorker):
        def configure_logging(self, verbosity: int) -> None:
            super().configure_logging(verbosity)
            if verbosity <= 1:
                logging.getLogger("django_tasks").setLevel(logging.WARNING)

    return Quieter()
