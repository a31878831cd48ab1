"""`make serve`: the site as in production, with gunicorn, the task worker, WhiteNoise's
static files, JSON log lines and the metrics of every process, in real processes."""

import gc
import gzip
import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from gunicorn.config import Config

from partnerspace.operations import gunicorn_conf
from tests.operations.conftest import REPO_ROOT, production_environment

TOKEN = "serving-test-metrics-token-0123456789"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(url: str, **headers) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, dict(answer.headers), answer.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited ({process.returncode}):\n{log.read_text()[-4000:]}")
        try:
            if fetch(url)[0] == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    pytest.fail(f"{url} did not answer within {timeout} s:\n{log.read_text()[-4000:]}")


def log_records(log: Path) -> list[dict]:
    records = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
    return records


@pytest.fixture
def served(migrated, tmp_path):
    """`make serve` on a copy of a migrated SQLite database; stopped afterwards."""
    database = tmp_path / "var" / "partnerspace.sqlite3"
    database.parent.mkdir()
    shutil.copy(migrated, database)
    port = free_port()
    env = production_environment(
        database,
        HOST=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        PARTNERSPACE_METRICS_TOKEN=TOKEN,
        ALLOWED_HOSTS="127.0.0.1",
        LOG_LEVEL="INFO",
    )
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/healthz", process, log)
        yield base, database, env, log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_make_serve_runs_the_site_as_in_production(served):
    base, database, env, log = served

    # Ready: the database, its migrations and the task queue.
    status, _headers, body = fetch(f"{base}/readyz")
    assert status == 200, body
    assert json.loads(body)["status"] == "ok"

    # DEBUG is off: a missing page is the site's 404, not Django's technical page.
    status, headers, body = fetch(f"{base}/no/such/page/")
    assert status == 404
    assert b"URLconf" not in body and b"Traceback" not in body

    # The page's stylesheet is a hashed name, served compressed and cached for ever.
    status, headers, page = fetch(f"{base}/account/login/")
    assert status == 200
    request_id = headers["X-Request-ID"]
    stylesheet = re.search(rb'href="(/static/core/app\.[0-9a-f]{12}\.css)"', page).group(1)
    status, headers, body = fetch(base + stylesheet.decode(), **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Encoding"] == "gzip"
    assert b"{" in gzip.decompress(body)
    assert "immutable" in headers["Cache-Control"]
    assert "max-age=315360000" in headers["Cache-Control"]

    # The task worker runs beside the web processes: a task queued now is run.
    queued = subprocess.run(
        [
            sys.executable,
            "-m",
            "partnerspace",
            "shell",
            "-c",
            "from partnerspace.firms.tasks import send_staff_invitation; "
            "print(send_staff_invitation.enqueue(424242).id)",
        ],
        cwd=REPO_ROOT,
        env={**env, "DEBUG": "0"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    task_id = queued.stdout.strip().splitlines()[-1].replace("-", "")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        connection = sqlite3.connect(database, timeout=30)
        try:
            [[status_of_task]] = connection.execute(
                "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?", (task_id,)
            ).fetchall()
        finally:
            connection.close()
        if status_of_task == "SUCCESSFUL":
            break
        time.sleep(0.3)
    assert status_of_task == "SUCCESSFUL"

    # The metrics add up every process: the two web workers' requests, the worker's task.
    for _ in range(6):
        fetch(f"{base}/account/login/")
    status, _headers, body = fetch(f"{base}/metrics", Authorization=f"Bearer {TOKEN}")
    assert status == 200
    text = body.decode()
    [requests] = re.findall(
        r'partnerspace_requests_total\{method="GET",status="200",view="accounts:login"\} (\S+)',
        text,
    )
    assert float(requests) == 7
    assert re.search(
        r'partnerspace_tasks_total\{outcome="successful",'
        r'task="partnerspace.firms.tasks.send_staff_invitation"\} 1.0',
        text,
    )

    # One JSON object a line, the request's own line among them.
    records = log_records(log)
    [line] = [r for r in records if r.get("request_id") == request_id and r["event"] == "request"]
    assert line["route"] == "account/login/" and line["status"] == 200
    assert any(r["logger"] == "gunicorn.error" for r in records)
    assert any(r["event"] == "task" and r["outcome"] == "successful" for r in records)


def test_liveness_needs_no_database_and_readiness_says_it_is_missing(migrated, tmp_path):
    port = free_port()
    env = production_environment(
        tmp_path / "none.sqlite3",
        DATABASE_URL="postgres://nobody@127.0.0.1:1/none",
        ALLOWED_HOSTS="127.0.0.1",
        PARTNERSPACE_STATIC_MANIFEST="0",
        LOG_LEVEL="INFO",
    )
    log = tmp_path / "gunicorn.log"
    gunicorn = str(Path(sys.executable).with_name("gunicorn"))
    with log.open("wb") as output:
        process = subprocess.Popen(
            [
                gunicorn,
                "-c",
                "python:partnerspace.operations.gunicorn_conf",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "partnerspace.wsgi",
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", process, log)
        status, _headers, body = fetch(f"http://127.0.0.1:{port}/readyz")
        assert status == 503
        assert json.loads(body)["checks"]["database"] == "failing"
        assert b"127.0.0.1:1" not in body and b"nobody" not in body
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_a_gunicorn_worker_freezes_what_it_loaded_before_serving():
    """After loading the application a worker moves what it holds into the collector's
    permanent generation, so collections during requests no longer walk it; gunicorn knows
    the hook by that name and accepts the function."""
    config = Config()
    config.set("post_worker_init", gunicorn_conf.post_worker_init)
    before = gc.get_freeze_count()
    try:
        config.post_worker_init(None)
        assert gc.get_freeze_count() > before
    finally:
        gc.unfreeze()
