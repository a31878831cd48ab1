"""Real processes against a real database on disk: for the tests in which a process runs
out of memory, is killed, or races another.

The test database of pytest-django is in memory on SQLite, so another process cannot see
it: ``process_database`` makes one on disk (a migrated SQLite file, or a PostgreSQL
database beside the test database when the suite runs on PostgreSQL), once per session.
Each test makes its own firm in it (``ProcessDatabase.firm``), so tests do not see each
other's clients.
"""

from __future__ import annotations

import itertools
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
_sequence = itertools.count(1)


def process_env(database_url: str, **extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DJANGO_ALLOW_ASYNC_UNSAFE", "DEBUG"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="tests.settings",
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH", "")])),
        DATABASE_URL=database_url,
        TASKS_BACKEND="django_tasks_db.DatabaseBackend",
        PARTNERSPACE_ADMIN_PASSWORD="process-test-password-1",
    )
    env.update(extra)
    return env


def address_space_limit(limit_bytes: int):
    """A preexec_fn: the child may map at most ``limit_bytes`` (RLIMIT_AS)."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))

    return limit


@dataclass
class ProcessDatabase:
    url: str
    vendor: str

    def env(self, **extra: str) -> dict[str, str]:
        return process_env(self.url, **extra)

    def manage(self, *args: str, limit_bytes: int | None = None, timeout: float = 300, **kw):
        return subprocess.run(
            [sys.executable, "-m", "partnerspace", *args],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            preexec_fn=address_space_limit(limit_bytes) if limit_bytes else None,
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

    def worker(self, *args: str, **env: str) -> subprocess.Popen:
        """A real `partnerspace db_worker` on this database."""
        return subprocess.Popen(
            [sys.executable, "-m", "partnerspace", "db_worker", "--no-startup-delay", *args],
            env=self.env(**env),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )

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


def _postgres_url(settings_dict: dict, name: str) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = f":{settings_dict['PASSWORD']}" if settings_dict.get("PASSWORD") else ""
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{name}"


@pytest.fixture(scope="session")
def process_database(tmp_path_factory):
    """A migrated database on disk that other processes share; see the module docstring."""
    from django.conf import settings
    from django.db import connection

    settings_dict = settings.DATABASES["default"]
    if connection.vendor == "postgresql":
        import psycopg

        name = f"{settings_dict['NAME']}_processes"[:63]
        admin_url = _postgres_url(settings_dict, "postgres")
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{name}"')
        database = ProcessDatabase(_postgres_url(settings_dict, name), "postgresql")
    else:
        path = tmp_path_factory.mktemp("processes") / "partnerspace.sqlite3"
        database = ProcessDatabase(f"sqlite:///{path}", "sqlite")
    result = database.manage("migrate", "-v0", timeout=600)
    assert result.returncode == 0, result.stderr
    yield database
    if database.vendor == "postgresql":
        import psycopg

        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        shutil.rmtree(Path(database.url.removeprefix("sqlite:///")).parent, ignore_errors=True)
