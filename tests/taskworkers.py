"""Real task worker processes for the `background` tests, on the backend under test.

A test asks for the `task_workers` fixture and starts as many as it needs:

    @pytest.mark.background
    def test_something(task_workers):
        pool = task_workers(2)           # two `partnerspace task_worker` processes
        some_task.enqueue(...)           # the test's process queues, the workers run it
        pool.wait_for(lambda: ..., timeout=30)

The backend is the one configured for the run: the database queue (django-tasks-db) in the
ordinary run, where the fixture switches the tests' in-process backend for it; Redis with RQ
workers in the second pass of .ci/run (PARTNERSPACE_TEST_TASKS=redis). A test that needs RQ
whatever the run asks for `task_workers(2, backend=REDIS)`.

The workers use the test database (a file, on SQLite: see tests/conftest.py), the tests'
settings module, JSON log lines (in `worker.log_path`, parsed by `worker.log_records()`), and
e-mail written to files in `pool.mail_dir`. Each has PARTNERSPACE_TEST_WORKER=<its number>
in its environment, so a task can say which worker ran it. They are stopped after the test,
with anything they forked.
"""

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection

REPO_ROOT = Path(__file__).resolve().parents[1]
DATABASE = "database"
REDIS = "redis"
DATABASE_BACKEND = "django_tasks_db.DatabaseBackend"
REDIS_BACKEND = "django_tasks_rq.RQBackend"
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
    return REDIS if settings.TASKS["default"]["BACKEND"] == REDIS_BACKEND else DATABASE


def database_url() -> str:
    """The test database, as a DATABASE_URL another process can open."""
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


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (RQ's work-horses are forks that leave its process group)."""
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


@dataclass
class TaskWorker:
    number: int
    process: subprocess.Popen
    log_path: Path
    killed: bool = False

    @property
    def pid(self) -> int:
        return self.process.pid

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


@dataclass
class TaskWorkerPool:
    backend: str
    directory: Path
    environment: dict[str, str]
    workers: list[TaskWorker] = field(default_factory=list)

    @property
    def mail_dir(self) -> Path:
        return self.directory / "mail"

    def start(self, count: int) -> list[TaskWorker]:
        started = []
        for _ in range(count):
            number = len(self.workers) + 1
            log_path = self.directory / f"worker-{number}.log"
            env = {**self.environment, "PARTNERSPACE_TEST_WORKER": str(number)}
            with log_path.open("wb") as log:
                process = subprocess.Popen(
                    [sys.executable, "-m", "partnerspace", "task_worker"],
                    cwd=REPO_ROOT,
                    env=env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            worker = TaskWorker(number, process, log_path)
            self.workers.append(worker)
            started.append(worker)
        for worker in started:
            self.wait_for(
                lambda worker=worker: READY_MARKERS[self.backend] in worker.log_text(),
                timeout=60,
                what=f"worker {worker.number} to start",
            )
        return started

    def wait_for(self, condition: Callable[[], object], *, timeout: float, what: str = ""):
        """Poll `condition` until it returns something true; fail after `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            result = condition()
            if result:
                return result
            for worker in self.workers:
                if worker.process.poll() is not None and not worker.killed:
                    raise AssertionError(
                        f"worker {worker.number} exited ({worker.process.returncode}) while "
                        f"waiting for {what or condition}:\n{worker.log_text()[-3000:]}"
                    )
            if time.monotonic() > deadline:
                logs = "\n".join(
                    f"-- worker {w.number}:\n{w.log_text()[-2000:]}" for w in self.workers
                )
                raise AssertionError(f"timed out after {timeout} s waiting for {what}\n{logs}")
            time.sleep(0.1)

    def kill_running(self, pid: int) -> list[int]:
        """kill -9 the process with `pid` and, when it is a work-horse, the worker above it
        with everything it forked (RQ's scheduler), as a lost machine would: what was killed.
        """
        parent = _parent_of(pid)
        owner = next((w for w in self.workers if w.pid in (pid, parent)), None)
        killed = [pid]
        if owner is not None:
            killed += [owner.pid, *descendants(owner.pid)]
        for victim in dict.fromkeys(killed):
            kill(victim)
        if owner is not None:
            owner.killed = True
            owner.process.wait(timeout=10)
        return list(dict.fromkeys(killed))

    def stop(self) -> None:
        for worker in self.workers:
            forks = descendants(worker.pid)
            if worker.process.poll() is None:
                worker.process.send_signal(signal.SIGTERM)
            try:
                worker.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                kill(worker.pid)
                worker.process.wait()
            for pid in forks:
                kill(pid)


def _parent_of(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except OSError:
        return None


def worker_environment(backend: str, directory: Path, redis_url: str | None) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"PARTNERSPACE_TEST_TASKS", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "DATABASE_URL": database_url(),
            "PYTHONPATH": os.pathsep.join([str(REPO_ROOT), *filter(None, [env.get("PYTHONPATH")])]),
            "PARTNERSPACE_TEST_EMAIL_URL": f"file://{directory / 'mail'}",
            "LOG_FORMAT": "json",
            "LOG_LEVEL": "INFO",
            "TASKS_BACKEND": REDIS_BACKEND if backend == REDIS else DATABASE_BACKEND,
        }
    )
    if backend == REDIS:
        env["PARTNERSPACE_TEST_REDIS_URL"] = redis_url or ""
        env.update(FAST_RQ)
    return env
