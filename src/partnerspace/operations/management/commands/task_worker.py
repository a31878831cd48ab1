import logging

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from partnerspace.core.recovery import recovering_apart, recovery_pass
from partnerspace.operations import taskqueue


class Command(BaseCommand):
    help = (
        "Run background tasks with the configured backend's worker: RQ's (with its scheduler, "
        "for deferred retries) for TASKS_BACKEND=django_tasks_rq.RQBackend, else django-tasks-db's "
        "db_worker. Either also takes up the work of workers that died (the recovery pass, every "
        "PARTNERSPACE_RECOVERY_INTERVAL seconds). Stops after the running task on SIGTERM."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--queue", action="append", dest="queues", help="a queue to work on (default: all)"
        )
        parser.add_argument(
            "--burst", action="store_true", help="run the tasks waiting now, then stop"
        )
        parser.add_argument("--name", help="the worker's name, unique among the workers")
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="seconds between two looks for new tasks (database queue; default 1)",
        )

    def handle(self, *args, queues, burst, name, interval, **options):
        backend = taskqueue.default_backend()
        kind = taskqueue.backend_kind(backend)
        queues = queues or sorted(backend.queues)
        if kind == taskqueue.DATABASE:
            call_command(
                _database_worker(),
                queue_name=",".join(queues),
                batch=burst,
                reload=False,
                interval=interval,
                verbosity=options["verbosity"],
                **({"worker_id": name} if name else {}),
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
            if burst:
                recovery_pass()
                reset_db_connections()
                worker.work(burst=True, with_scheduler=True)
                return
            # RQ forks a work-horse process per task: the recovery pass runs in a process
            # of its own, never as a thread that a fork could catch holding a lock.
            with recovering_apart(settings.PARTNERSPACE_RECOVERY_INTERVAL):
                # No work-horse may inherit an open connection of the worker's.
                reset_db_connections()
                worker.work(with_scheduler=True)
        except RedisConnectionError as error:
            raise CommandError(f"Redis is unreachable: {error}") from error


def _database_worker():
    """The project's db_worker (django-tasks-db's with the recovery pass), leaving
    django-tasks' own per-task lines out (it turns them on): the task line of
    operations.taskqueue says more. Its errors still show."""
    from partnerspace.core.management.commands.db_worker import Command as DbWorker

    class Quieter(DbWorker):
        def configure_logging(self, verbosity: int) -> None:
            super().configure_logging(verbosity)
            if verbosity <= 1:
                logging.getLogger("django_tasks").setLevel(logging.WARNING)

    return Quieter()
