"""Real `partnerspace db_worker` processes on a database of their own, for the tests that kill
one mid-task (kill -9) and show a second one finishing the work, once.

The pytest database cannot be shared with another process (SQLite's is in memory), so these
tests use a database on disk beside it: a SQLite file, or, when the suite runs on PostgreSQL,
a PostgreSQL database next to the test database. Every process (the steps that set the scene,
the workers) runs with the production settings (`partnerspace.settings`) and the environment
given here. Steps that set a scene or read the state run as `python -m tests.core.workers STEP`.
"""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import suppress
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[2]
AN_HOUR = 3600  # seconds: longer than any lease a task holds


class Workplace:
    """A migrated database and the environment every process of the test runs with."""

    def __init__(self, tmp_path: Path, **environment: str):
        self.tmp_path = tmp_path
        self.database_url, self._drop = _database(tmp_path)
        self.env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("DJANGO_", "PARTNERSPACE_", "EMAIL_", "TASKS_"))
        }
        self.env.update(
            DJANGO_SETTINGS_MODULE="partnerspace.settings",
            PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
            SECRET_KEY="test-only-key-for-the-worker-processes-0123456789abcdef",
            DATABASE_URL=self.database_url,
            TASKS_BACKEND="django_tasks_db.DatabaseBackend",
            PARTNERSPACE_BASE_URL="http://testserver",
            ALLOWED_HOSTS="testserver",
            PARTNERSPACE_VAR_DIR=str(tmp_path / "var"),
            PARTNERSPACE_STATIC_MANIFEST="0",
            # Each worker looks for the tasks of dead workers every half second.
            PARTNERSPACE_RECOVERY_INTERVAL="0.5",
            **environment,
        )
        self.workers: list[subprocess.Popen] = []
        self.manage("migrate", "--no-input", "-v", "0")

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "partnerspace", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=180,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        return result.stdout

    def step(self, name: str, **arguments) -> dict:
        """Run one of this module's steps in its own process; its JSON answer."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.core.workers", name, json.dumps(arguments)],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_worker(self, name: str) -> subprocess.Popen:
        log = open(self.tmp_path / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "partnerspace",
                "db_worker",
                "--no-reload",
                "--no-startup-delay",
                "--interval",
                "0.2",
                "--worker-id",
                name,
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        worker.log = log
        self.workers.append(worker)
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        """kill -9: no handler runs, nothing is cleaned up."""
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=10)
        worker.log.close()

    def log_of(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text()

    def wait_for(self, condition, *, timeout: float = 60, message: str = "") -> dict:
        """Read the state until `condition(state)` holds."""
        ends = time.monotonic() + timeout
        while True:
            state = self.step("state")
            if condition(state):
                return state
            if time.monotonic() > ends:
                logs = "\n".join(
                    f"--- {w.args[-1]}\n{self.log_of(w.args[-1])[-3000:]}" for w in self.workers
                )
                raise AssertionError(f"{message}: {json.dumps(state, indent=1)}\n{logs}")
            time.sleep(0.3)

    def close(self) -> None:
        for worker in self.workers:
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            worker.log.close()
        self._drop()


def _database(tmp_path: Path):
    """(url, drop): a SQLite file, or a PostgreSQL database beside the suite's."""
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp_path / 'workers.sqlite3'}", lambda: None
    import psycopg

    parts = urlsplit(base)
    name = f"{parts.path.lstrip('/') or 'partnerspace'}_workers_{os.getpid()}"
    admin_url = urlunsplit(parts._replace(path="/postgres"))

    def run(statement: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(statement)

    run(f'DROP DATABASE IF EXISTS "{name}"')
    run(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), lambda: run(
        f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
    )


# The steps, run in their own process.


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


def step_age(arguments: dict) -> dict:
    """Time passes: every running task, claim and lease is `seconds` older."""
    from datetime import timedelta

    from django.db.models import F
    from django_tasks_db.models import DBTaskResult

    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol

    delta = timedelta(seconds=arguments["seconds"])
    return {
        "tasks": DBTaskResult.objects.filter(status="RUNNING").update(
            started_at=F("started_at") - delta
        ),
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
    from django_tasks_db.models import DBTaskResult

    from partnerspace.clients.models import ClientHistory
    from partnerspace.invitations.models import Invitation
    from partnerspace.peppol.models import ClientPeppol, PeppolBatch

    state: dict = {
        "tasks": [
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
        ],
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
