"""Real processes for the tests: task workers, and processes that run out of memory, are
killed (kill -9), or race another. One way to start a task worker, on either backend:
:func:`worker_start` runs `partnerspace task_worker` (the database queue's worker, or RQ's on
Redis), its output in a log of its own; :meth:`Worker.kill` kills it and everything it forked,
as a lost machine would.

The backend is the run's (:func:`configured_backend`): the database queue in the ordinary run,
Redis with RQ workers in the second pass of .ci/run (`make test-redis`,
PARTNERSPACE_TEST_TASKS=redis), each run on a Redis database of its own (tests/redisdb.py).

Two places the workers work on:

- a :class:`ProcessDatabase`, a database of its own on disk: a migrated SQLite file, or, when
  the suite runs on PostgreSQL, a PostgreSQL database beside the test database. Every process
  a test starts on it runs with the production settings (`partnerspace.settings`) and the
  environment of :func:`process_env`: the commands (`manage`), Python code with Django set up
  (`python`), the scene steps of ``tests/process_steps.py`` (`step`), and task workers
  (`start_worker`, `kill`). Two fixtures give one:

  - ``process_database``: one for the whole session; each test makes its own firm in it
    (`firm`), so tests do not see each other's clients;
  - ``fresh_process_database(**environment)``: a database of the test's own, with more
    environment for every process (an SMTP server, an SML), for the tests that read all of
    its tasks or start workers that must find no one else's work.

- the test database itself, for the tests that queue from the test's own process: the
  ``task_workers`` fixture (tests/conftest.py) gives a :class:`TaskWorkerPool` of workers
  with the tests' settings::

      @pytest.mark.background
      def test_something(task_workers):
          pool = task_workers(2)           # two `partnerspace task_worker` processes
          some_task.enqueue(...)           # the test's process queues, the workers run it
          pool.wait_for(lambda: ..., timeout=30)

  Their log lines are JSON (`worker.log_records()`), their e-mail written to files in
  `pool.mail_dir`, and each has PARTNERSPACE_TEST_WORKER=<its number> in its environment, so
  a task can say which worker ran it.

Workers are stopped after the test, with anything they forked.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
AN_HOUR = 3600  # seconds: longer than any lease a task holds
_sequence = itertools.count(1)

DATABASE = "database"
REDIS = "redis"
BACKENDS = {DATABASE: "django_tasks_db.DatabaseBackend", REDIS: "django_tasks_rq.RQBackend"}
READY_MARKERS = {DATABASE: "Starting worker", REDIS: "started with PID"}
# RQ's timings shortened so a dead worker's task is noticed within seconds (production:
# minutes; see settings.py).
FAST_RQ = {
    "PARTNERSPACE_RQ_WORKER_TTL": "16",  # waits for work 1 s at a time
    "PARTNERSPACE_RQ_MONITORING_INTERVAL": "1",
    "PARTNERSPACE_RQ_MAINTENANCE_INTERVAL": "1",
    "PARTNERSPACE_RQ_HEARTBEAT_GRACE": "2",
}


def configured_backend() -> str:
    """The run's backend for real workers: REDIS in the Redis pass, else DATABASE."""
    from django.conf import settings

    return REDIS if settings.TASKS["default"]["BACKEND"] == BACKENDS[REDIS] else DATABASE


def backend_env(backend: str, redis_url: str | None = None) -> dict[str, str]:
    """What selects `backend` in a process's environment."""
    env = {"TASKS_BACKEND": BACKENDS[backend]}
    if backend == REDIS:
        env.update(REDIS_URL=redis_url or "", **FAST_RQ)
    return env


# --------------------------------------------------------------------------------------
# A task worker
# --------------------------------------------------------------------------------------


@dataclass
class Worker:
    """A `partnerspace task_worker` process (see :func:`worker_start`)."""

    name: str
    backend: str
    process: subprocess.Popen
    log_path: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait(self, timeout: float | None = None) -> int:
        return self.process.wait(timeout=timeout)

    def poll(self) -> int | None:
        return self.process.poll()

    def ready(self) -> bool:
        return READY_MARKERS[self.backend] in self.log_text()

    def log_text(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def log_records(self) -> list[dict]:
        """The worker's JSON log lines (anything else it printed is left out)."""
        records = []
        for line in self.log_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if isinstance(record, dict):
                records.append(record)
        return records

    def kill(self) -> list[int]:
        """kill -9 the worker and everything below it (RQ's work-horse and scheduler are
        forks that leave its process group): no handler runs, nothing is cleaned up, as when
        the machine is lost. The processes killed."""
        victims = [self.pid, *descendants(self.pid)]
        for pid in victims:
            kill(pid)
        self.killed = True
        self.process.wait(timeout=30)
        return victims

    def stop(self) -> None:
        """SIGTERM (the worker finishes its task), then kill -9 whatever is left."""
        forks = descendants(self.pid)
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill(self.pid)
            self.process.wait()
        for pid in forks:
            kill(pid)


def worker_start(
    name: str, backend: str, env: dict[str, str], log_path: Path, *args: str
) -> Worker:
    """The one way the tests start a task worker: `partnerspace task_worker --name NAME
    ARGS` in `env` (which selects `backend`), its output in `log_path`."""
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "partnerspace", "task_worker", "--name", name, *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Worker(name, backend, process, log_path)


def descendants(pid: int) -> list[int]:
    """Every process below `pid`."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        children = [child for child, parent in parents.items() if parent == current]
        found += children
        todo += children
    return found


def kill(pid: int) -> None:
    """kill -9, ignoring a process that is already gone."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def wait_until(
    condition: Callable[[], object],
    *,
    timeout: float,
    what: str = "",
    workers: list[Worker] = (),
    every: float = 0.1,
):
    """Poll `condition` until it returns something true, and return that; fail after
    `timeout` seconds, or as soon as one of `workers` exits without having been killed."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        for worker in workers:
            if worker.poll() is not None and not worker.killed:
                raise AssertionError(
                    f"worker {worker.name} exited ({worker.process.returncode}) while waiting "
                    f"for {what or condition}:\n{worker.log_text()[-3000:]}"
                )
        if time.monotonic() > deadline:
            logs = "\n".join(f"-- {w.name}:\n{w.log_text()[-2000:]}" for w in workers)
            raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
        time.sleep(every)


# --------------------------------------------------------------------------------------
# A database of its own, with the production settings
# --------------------------------------------------------------------------------------


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
        TASKS_BACKEND=BACKENDS[DATABASE],
        EMAIL_URL="locmem://",
        PARTNERSPACE_BASE_URL="http://testserver",
        ALLOWED_HOSTS="testserver",
        PARTNERSPACE_STATIC_MANIFEST="0",
        PARTNERSPACE_ADMIN_PASSWORD="process-test-password-1",
        # Each worker looks for the tasks of dead workers every half second.
        PARTNERSPACE_RECOVERY_INTERVAL="0.5",
        # No VIES unless a test gives its local fake one: never the European Commission's
        # (a worker would otherwise spend its runs on calls that cannot leave this machine).
        PARTNERSPACE_VIES_URL=os.environ.get("PARTNERSPACE_TEST_VIES_URL", ""),
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
    """A migrated database on disk, the task queue of the run's backend (the database, or a
    Redis database of the run's own), and the processes a test runs on them."""

    def __init__(self, folder: Path, name: str, *, backend: str | None = None, **environment):
        self.folder = folder
        self.url, self.vendor, self._drop = _database(folder, name)
        self.backend = backend or configured_backend()
        self.redis_url = None
        if self.backend == REDIS:
            from tests.redisdb import claim

            # A Redis database of its own: a worker left on another ProcessDatabase (the
            # session's) would take its tasks and run them on the wrong database.
            self.redis_url = claim()
        self.environment = {**backend_env(self.backend, self.redis_url), **environment}
        self.workers: dict[str, Worker] = {}
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

    def start_worker(self, name: str, *args: str, **env: str) -> Worker:
        """A task worker named ``name`` on this database's backend (:func:`worker_start`),
        with ARGS (e.g. "--burst") or looking for tasks every 0.2 s; waits until it runs,
        unless it is a burst."""
        worker = worker_start(
            name,
            self.backend,
            self.env(**env),
            self.folder / f"{name}.log",
            *(args or ("--interval", "0.2")),
        )
        self.workers[name] = worker
        if "--burst" not in args:
            wait_until(worker.ready, timeout=60, what=f"{name} to start", workers=[worker])
        return worker

    def kill(self, worker: Worker) -> list[int]:
        """kill -9 the worker and what it forked: no handler runs, nothing is cleaned up."""
        return worker.kill()

    def log_of(self, name: str) -> str:
        return self.workers[name].log_text()

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
            worker.stop()
        self._drop()
        if self.redis_url:
            from tests.redisdb import release

            release(self.redis_url)

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


# --------------------------------------------------------------------------------------
# Workers on the test database (the `task_workers` fixture of tests/conftest.py)
# --------------------------------------------------------------------------------------


@dataclass
class TaskWorkerPool:
    backend: str
    directory: Path
    environment: dict[str, str]
    workers: list[Worker] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.directory / "mail"

    def start(self, count: int) -> list[Worker]:
        started = []
        for _ in range(count):
            number = len(self.workers) + 1
            worker = worker_start(
                f"worker-{number}",
                self.backend,
                {**self.environment, "PARTNERSPACE_TEST_WORKER": str(number)},
                self.directory / f"worker-{number}.log",
            )
            self.workers.append(worker)
            started.append(worker)
        for worker in started:
            self.wait_for(worker.ready, timeout=60, what=f"{worker.name} to start")
        return started

    def wait_for(self, condition: Callable[[], object], *, timeout: float, what: str = ""):
        """Poll `condition` until it returns something true; fail after `timeout` seconds."""
        return wait_until(condition, timeout=timeout, what=what, workers=self.workers)

    def kill_running(self, pid: int) -> list[int]:
        """kill -9 the process with `pid` and, when it is a work-horse, the worker above it
        with everything it forked (RQ's scheduler), as a lost machine would: what was killed.
        """
        parent = _parent_of(pid)
        owner = next((w for w in self.workers if w.pid in (pid, parent)), None)
        if owner is None:
            kill(pid)
            return [pid]
        # The worker first: killed after its work-horse, it may still see the horse die and
        # fail the task itself (a log line of its own), which a lost machine never does.
        victims = owner.kill()
        kill(pid)
        return list(dict.fromkeys([pid, *victims]))

    def stop(self) -> None:
        for worker in self.workers:
            worker.stop()


def database_url_of_the_tests() -> str:
    """The test database, as a DATABASE_URL another process can open."""
    from django.db import connection

    params = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(params["NAME"])
        if name == ":memory:" or "mode=memory" in name:
            raise RuntimeError("Worker processes need the SQLite test database in a file.")
        return f"sqlite:///{name}"
    user = params.get("USER") or ""
    password = f":{params['PASSWORD']}" if params.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    port = f":{params['PORT']}" if params.get("PORT") else ""
    return f"postgres://{auth}{params.get('HOST') or 'localhost'}{port}/{params['NAME']}"


def worker_environment(backend: str, directory: Path, redis_url: str | None) -> dict[str, str]:
    """The environment of a worker on the test database, with the tests' settings."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PARTNERSPACE_TEST_TASKS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url_of_the_tests(),
            "PYTHONPATH": os.pathsep.join([str(ROOT), *filter(None, [env.get("PYTHONPATH")])]),
            "PARTNERSPACE_TEST_EMAIL_URL": f"file://{directory / 'mail'}",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "TASKS_BACKEND": BACKENDS[backend],
        }
    )
    if backend == REDIS:
        env["PARTNERSPACE_TEST_REDIS_URL"] = redis_url or ""
        env.update(FAST_RQ)
    return env
