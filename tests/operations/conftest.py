import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
DJANGO_ENVIRONMENT = {
    "DEBUG",
    "DJANGO_SETTINGS_MODULE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "ALLOWED_HOSTS",
    "REDIS_URL",
    "LOG_FORMAT",
}
PRODUCTION_KEY = "operations-test-key-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978"


def production_environment(database: Path, **extra: str) -> dict[str, str]:
    """The environment of a production process (the real settings) on a scratch database."""
    # Not what tests/settings.py put in this process's environment for the tests.
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in DJANGO_ENVIRONMENT and not key.startswith(("PARTNERSPACE_", "PROMETHEUS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="partnerspace.settings",
        SECRET_KEY=PRODUCTION_KEY,
        DATABASE_URL=f"sqlite:///{database}",
        PARTNERSPACE_VAR_DIR=str(database.parent),
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
        EMAIL_URL="locmem://",
        LOG_LEVEL="WARNING",
    )
    env.update(extra)
    return env


def partnerspace(*args, database: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """`partnerspace ARGS` in a production process on `database`."""
    return subprocess.run(
        [sys.executable, "-m", "partnerspace", *args],
        cwd=REPO_ROOT,
        env=production_environment(database),
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="session")
def migrated(tmp_path_factory) -> Path:
    """An empty Partner Space database on SQLite, migrated once for the run (copy it)."""
    path = tmp_path_factory.mktemp("migrated") / "partnerspace.sqlite3"
    result = partnerspace("migrate", "--noinput", database=path)
    assert result.returncode == 0, result.stderr
    return path


class JsonLines(logging.Handler):
    """Every record as production writes it (the formatter of the configured handler), parsed
    back from its JSON line."""

    def __init__(self, formatter: logging.Formatter):
        super().__init__(level=logging.DEBUG)
        self.setFormatter(formatter)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))

    @property
    def records(self) -> list[dict]:
        return [json.loads(line) for line in self.lines]

    def events(self, event: str) -> list[dict]:
        return [record for record in self.records if record.get("event") == event]


@pytest.fixture
def logs():
    root = logging.getLogger()
    [production] = [handler for handler in root.handlers if handler.get_name() == "default"]
    handler = JsonLines(production.formatter)
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)
