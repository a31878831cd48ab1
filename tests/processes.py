"""Real processes against a real database on disk: for the tests in which a process runs
out of memory, is killed (kill -9), or races another.

The test database of pytest-django cannot be shared with another process (SQLite's is in
memory), so a :class:`ProcessDatabase` is a database of its own on disk: a migrated SQLite
file, or, when the suite runs on PostgreSQL, a PostgreSQL database beside the test
database. Every process a test starts on it runs with the production settings
(`partnerspace.settings`) and the environment of :func:`process_env`: the commands
(`manage`), Python code with Django set up (`python`), the scene steps of
``tests/process_steps.py`` (`step`), and real `partnerspace db_worker` processes
(`start_worker`, `kill`, each with a log of its own).

Two fixtures give one:

- ``process_database``: one for the whole session; each test makes its own firm in it
  (`firm`), so tests do not see each other's clients;
- ``fresh_process_database(**environment)``: a database of the test's own, with more
  environment for every process (an SMTP server, an SML), for the tests that read all of
  its tasks or start workers that must find no one else's work.
"""

from __future__ import annotations

import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AN_HOUR = 3600  # seconds: longer than any lease a task holds
_sequence = itertools.count(1)


def process_env(database_url: str, var_dir: Path | str | None = None, **extra: str) -> dict:
    """The environment of a process on ``database_url``: the production settings with what
    a test installation needs, nothing of the test run's own settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "PARTNERSPACE_", "EMAIL_", "TASKS_"))
        and key not in {"DEBUG", "SECRET_KEY", "DATABASE_URL", "ALLOWED_HOSTS"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="partnerspace.settings",
        PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "src")]),
        SECRET_KEY="test-only-key-for-the-processes-of-the-tests-0123456789abcdef",
        DATABASE_URL=database_url,
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        EMAIL_URL="locmem://",
        PARTNERSPACE_BASE_URL="http://testserver",
        ALLOWED_HOSTS="testserver",
        PARTNERSPACE_STATIC_MANIFEST="0",
        PARTNERSPACE_ADMIN_PASSWORD="process-test-password-1",
        # Each worker looks for the tasks of dead workers every half second.
        PARTNERSPACE_RECOVERY_INTERVAL="0.5",
    )
    if var_dir is not None:
        env["PARTNERSPACE_VAR_DIR"] = str(var_dir)
    env.update(extra)
    return env


def address_space_limit(limit_bytes: int):
    """A preexec_fn: the child may map at most ``limit_bytes`` (RLIMIT_AS)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return limit


class ProcessDatabase:
    """A migrated database on disk, and the processes a test runs on it."""

    def __init__(self, folder: Path, name: str, **environment: str):
        self.folder = folder
        self.url, self.vendor, self._drop = _database(folder, name)
        self.environment = environment
        self.workers: dict[str, subprocess.Popen] = {}
        result = self.manage("migrate", "--no-input", "-v", "0", timeout=600)
        assert result.returncode == 0, result.stderr

    def env(self, **extra: str) -> dict[str, str]:
        return process_env(self.url, self.folder / "var", **{**self.environment, **extra})

    # Processes

    def manage(self, *args: str, limit_bytes: int | None = None, timeout: float = 300, **kw):
        """`partnerspace ARGS`; its CompletedProcess (text), whatever its exit status."""
        return subprocess.run(
            [sys.executable, "-m", "partnerspace", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=address_space_limit(limit_bytes) if limit_bytes else None,
            cwd=ROOT,
            **kw,
        )

    def python(
        self, code: str, *args: str, limit_bytes: int | None = None, timeout=300, **env: str
    ):
        """Run ``code`` in a new interpreter with Django set up on this database."""
        prelude = "import django, sys\ndjango.setup()\n"
        return subprocess.run(
            [sys.executable, "-c", prelude + code, *args],
            env=self.env(**env),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=address_space_limit(limit_bytes) if limit_bytes else None,
            cwd=ROOT,
        )

    def step(self, name: str, **arguments) -> dict:
        """Run a step of tests/process_steps.py in its own process; its JSON answer."""
        result = subprocess.run(
            [sys.executable, "-m", "tests.process_steps", name, json.dumps(arguments)],
            env=self.env(),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr + result.stdout
        return json.loads(result.stdout.strip().splitlines()[-1])

    def start_worker(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        """A real `partnerspace db_worker` named ``name``, its output in its own log; ARGS
        (e.g. "--batch") after the usual ones, or polling every 0.2 s."""
        log = open(self.folder / f"{name}.log", "w")  # noqa: SIM115 - closed with the process
        worker = subprocess.Popen(
            [
                sys.executable, "-m", "partnerspace", "db_worker",
                "--no-reload", "--no-startup-delay", "--worker-id", name,
                *(args or ("--interval", "0.2")),
            ],
            env=self.env(**env),
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        worker.log = log
        self.workers[name] = worker
        return worker

    def kill(self, worker: subprocess.Popen) -> None:
        """kill -9: no handler runs, nothing is cleaned up."""
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        worker.log.close()

    def log_of(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text()

    def wait_for(self, condition, *, timeout: float = 60, message: str = "") -> dict:
        """Read the state (the step "state") until ``condition(state)`` holds."""
        ends = time.monotonic() + timeout
        while True:
            state = self.step("state")
            if condition(state):
                return state
            if time.monotonic() > ends:
                logs = "\n".join(f"--- {n}\n{self.log_of(n)[-3000:]}" for n in self.workers)
                raise AssertionError(f"{message}: {json.dumps(state, indent=1)}\n{logs}")
            time.sleep(0.3)

    def close(self) -> None:
        """Stop the workers still running, and drop the database."""
        for worker in self.workers.values():
            if worker.poll() is None:
                worker.terminate()
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
                    worker.wait()
            worker.log.close()
        self._drop()

    # Reading and setting the scene

    def query(self, sql: str, *params) -> list[tuple]:
        """Rows of ``sql`` (placeholders ``%s``), read from this process, committed data only."""
        if self.vendor == "postgresql":
            import psycopg

            with psycopg.connect(self.url, autocommit=True) as connection:
                return connection.execute(sql, params).fetchall()
        import sqlite3

        connection = sqlite3.connect(self.url.removeprefix("sqlite:///"), timeout=30)
        try:
            return connection.execute(sql.replace("%s", "?"), params).fetchall()
        finally:
            connection.close()

    def firm(self) -> str:
        """A new firm with an administrator (admin@<slug>.example); its slug."""
        slug = f"proc{os.getpid()}n{next(_sequence)}"
        result = self.manage(
            "create_firm", "--slug", slug, "--name", f"Firm {slug}",
            "--admin-email", f"admin@{slug}.example",
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return slug

    def token(self, slug: str) -> str:
        result = self.manage("create_api_token", "--email", f"admin@{slug}.example", "--firm", slug)
        assert result.returncode == 0, result.stderr
        return result.stdout.strip().split()[-1]


def _database(folder: Path, name: str):
    """(url, vendor, drop): a SQLite file in ``folder``, or a PostgreSQL database beside the
    suite's when it runs on PostgreSQL."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        path = folder / f"{name}.sqlite3"
        return f"sqlite:///{path}", "sqlite", lambda: None
    import psycopg

    settings_dict = settings.DATABASES["default"]
    database = f"{settings_dict['NAME']}_{name}"[:63]
    admin_url = _postgres_url(settings_dict, "postgres")

    def run(statement: str) -> None:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(statement)

    run(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    run(f'CREATE DATABASE "{database}"')
    return (
        _postgres_url(settings_dict, database),
        "postgresql",
        lambda: run(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'),
    )


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@pytest.fixture(scope="session")
def process_database(tmp_path_factory):
    """A database on disk that the session's process tests share; see the module docstring."""
    database = ProcessDatabase(tmp_path_factory.mktemp("processes"), "processes")
    yield database
    database.close()
    shutil.rmtree(database.folder, ignore_errors=True)


@pytest.fixture
def fresh_process_database(tmp_path):
    """A factory: ``fresh_process_database(**environment)``, a database of this test's own;
    see the module docstring."""
    made: list[ProcessDatabase] = []

    def make(**environment: str) -> ProcessDatabase:
        name = f"fresh{os.getpid()}n{next(_sequence)}"
        database = ProcessDatabase(tmp_path, name, **environment)
        made.append(database)
        return database

    yield make
    for database in made:
        database.close()
