"""The scenes the process tests set, and the state they read, each run as its own process
on a ProcessDatabase (tests/processes.py): ``python -m tests.process_steps STEP '{json}'``
prints the step's JSON answer."""

import json
import sys
import time
from contextlib import suppress


def _admin():
    """Firm Alfa's administrator (English), made on first use."""
    from partnerspace.firms.models import Firm
    from tests.factories import make_firm, make_member

    firm = Firm.objects.filter(slug="alfa").first()
    if firm is None:
        firm = make_firm("Boekhoudkantoor Alfa", "alfa")
        make_member(firm, "administrator", email="admin@alfa.example", language="en")
    return firm.memberships.get(user__email="admin@alfa.example")


def step_invitation(arguments: dict) -> dict:
    """A Draft client invited: the mail waits in the queue for a worker."""
    from partnerspace.invitations import services
    from tests.factories import make_client

    admin = _admin()
    contact = {
        "first_name": "Jan",
        "last_name": "Peeters",
        "email": "jan@peeters.example",
        "locale": "en-BE",
    }
    client = make_client(admin, "Bakkerij Peeters BV", contact=contact)
    [invitation] = services.client_invite(membership=admin, client=client)
    return {"invitation": invitation.pk, "client": client.pk}


def step_batch(arguments: dict) -> dict:
    """The firm's SMP configured, and `count` clients with a mandate activated at once."""
    from partnerspace.peppol.services import (
        peppol_settings_save,
        registration_bulk_request,
    )
    from tests.factories import make_client
    from tests.peppol.builders import be_number, settings_data

    admin = _admin()

    class Smp:
        url = arguments["smp_url"]
        username = arguments["username"]
        password = arguments["password"]

    peppol_settings_save(membership=admin, data=settings_data(Smp))
    clients = [
        make_client(
            admin,
            f"Klant {n} BV",
            company_number=be_number(n),
            peppol_mandate=True,
        )
        for n in range(arguments["count"])
    ]
    outcome = registration_bulk_request(membership=admin, clients=clients)
    return {"batch": outcome.batch.pk, "clients": [c.pk for c in clients]}


def _on_redis() -> bool:
    from partnerspace.operations.taskqueue import REDIS, backend_kind

    return backend_kind() == REDIS


def _rq_jobs() -> list:
    """Every job RQ keeps of the default queue, in the order they were made."""
    import django_rq
    from django_tasks_rq.backend import Job
    from rq.registry import (
        DeferredJobRegistry,
        FailedJobRegistry,
        FinishedJobRegistry,
        ScheduledJobRegistry,
        StartedJobRegistry,
    )

    connection = django_rq.get_connection("default")
    queue = django_rq.get_queue("default", job_class=Job)
    ids = set(queue.get_job_ids())
    for registry in (
        StartedJobRegistry,
        FinishedJobRegistry,
        FailedJobRegistry,
        ScheduledJobRegistry,
        DeferredJobRegistry,
    ):
        ids.update(registry("default", connection=connection, job_class=Job).get_job_ids())
    jobs = [job for job in Job.fetch_many(sorted(ids), connection=connection) if job is not None]
    return sorted(jobs, key=lambda job: job.created_at)


def _tasks() -> list[dict]:
    if _on_redis():
        tasks = []
        for job in _rq_jobs():
            result = job.task_result
            errors = job.meta.get("_django_tasks_rq_exceptions") or [""]
            tasks.append(
                {
                    "task": job.func_name.rsplit(".", 1)[-1],
                    "args": list(job.args),
                    "status": result.status.value,
                    "error": errors[-1].rsplit(".", 1)[-1],
                    "return": result.return_value if result.status == "SUCCESSFUL" else None,
                    "run_after_future": job.get_status() == "scheduled",
                }
            )
        return tasks
    from django_tasks_db.models import DBTaskResult

    return [
        {
            "task": task.task_path.rsplit(".", 1)[-1],
            "args": task.args_kwargs["args"],
            "status": task.status,
            "error": task.exception_class_path.rsplit(".", 1)[-1],
            "return": task.return_value,
            "run_after_future": task.run_after.year < 9999
            and task.run_after.timestamp() > time.time(),
        }
        for task in DBTaskResult.objects.order_by("enqueued_at")
    ]


def _tasks_age(delta) -> int:
    """Every task started, and not finished, `delta` earlier; how many. On Redis those of
    the failed registry too: RQ fails an abandoned task before its lease runs out."""
    if _on_redis():
        import django_rq
        from rq.utils import utcformat

        connection = django_rq.get_connection("default")
        aged = 0
        for job in _rq_jobs():
            if job.started_at is not None and job.get_status() in ("started", "failed"):
                connection.hset(job.key, "started_at", utcformat(job.started_at - delta))
                aged += 1
        return aged
    from django.db.models import F
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.filter(status="RUNNING").update(started_at=F("started_at") - delta)


def _waiting_age(delta) -> int:
    """Every task waiting to run later (a retry, a run that comes back when a claim runs out)
    comes `delta` nearer; how many. Without it, a task deferred just before time passes would
    still wait for the real clock."""
    if _on_redis():
        import django_rq
        from rq.registry import ScheduledJobRegistry

        queue = django_rq.get_queue("default")
        key = ScheduledJobRegistry(queue=queue).key
        waiting = queue.connection.zrange(key, 0, -1, withscores=True)
        for job_id, due in waiting:
            queue.connection.zadd(key, {job_id: due - delta.total_seconds()})
        return len(waiting)
    from django.db.models import F
    from django_tasks_db.models import DBTaskResult, get_date_max

    return (
        DBTaskResult.objects.filter(status="READY")
        .exclude(run_after=get_date_max())
        .update(run_after=F("run_after") - delta)
    )


def step_task(arguments: dict) -> dict:
    """The status of the task `id`, on the run's backend (None: no such task)."""
    from django_tasks import default_task_backend
    from django_tasks.exceptions import TaskResultDoesNotExist

    try:
        return {"status": default_task_backend.get_result(arguments["id"]).status.value}
    except TaskResultDoesNotExist:
        return {"status": None}


def step_age(arguments: dict) -> dict:
    """Time passes: every running task, claim and lease is `seconds` older, and every task
    waiting to run later is `seconds` nearer."""
    from datetime import timedelta

    from django.db.models import F

    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol

    delta = timedelta(seconds=arguments["seconds"])
    return {
        "tasks": _tasks_age(delta),
        "waiting": _waiting_age(delta),
        "invitations": Invitation.objects.filter(sending_since__isnull=False).update(
            sending_since=F("sending_since") - delta
        ),
        "registrations": ClientPeppol.objects.filter(lease_until__isnull=False).update(
            lease_until=F("lease_until") - delta
        ),
    }


def step_state(arguments: dict) -> dict:
    from django.test import Client as Browser
    from django.urls import reverse

    from partnerspace.clients.models import ClientHistory
    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol, PeppolBatch

    state: dict = {
        "tasks": _tasks(),
        "invitations": [
            {
                "id": i.pk,
                "state": str(i.state),
                "sent": i.sent_at is not None,
                "claimed": i.sending_since is not None,
                "attempts": i.send_attempts,
                "error": i.last_error,
            }
            for i in Invitation.objects.order_by("pk")
        ],
        "registrations": {
            str(r.client_id): {
                "status": r.status,
                "steps": len(r.completed_steps),
                "leased": r.lease_until is not None,
                "error": r.smp_answer,
            }
            for r in ClientPeppol.objects.all()
        },
        "history": {
            str(client_id): list(
                ClientHistory.objects.filter(client_id=client_id, action__startswith="peppol_")
                .order_by("at", "id")
                .values_list("action", flat=True)
            )
            for client_id in ClientPeppol.objects.values_list("client_id", flat=True)
        },
    }
    batch = PeppolBatch.objects.order_by("-pk").first()
    if batch is not None:
        admin = _admin()
        browser = Browser()
        browser.force_login(admin.user)
        page = browser.get(reverse("peppol:batch", args=["alfa", batch.pk]))
        state["batch_page"] = {
            "status": page.status_code,
            "polling": "hx-trigger" in page.text,
            "done": "Done" in page.text,
        }
    return state


if __name__ == "__main__":
    import django

    django.setup()
    step = globals()[f"step_{sys.argv[1]}"]
    with suppress(BrokenPipeError):
        answer = step(json.loads(sys.argv[2]) if len(sys.argv) > 2 else {})
        sys.stdout.write(json.dumps(answer) + "\n")
