"""What the benchmarks share: one Django process per database, scratch databases, timing, tables.

Django is configured once per process, so a benchmark runs itself again as a child process
for each database (`run_django_process`), with the production settings module and the
environment a deployment would give it (`django_environment`). The parent makes and drops
the scratch database around the child and only reads the results file the child writes.
"""

import argparse
import contextlib
import json
import math
import os
import platform
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/partnerspace_bench"
# Only ever used against the scratch databases a benchmark makes and drops.
BENCH_SECRET_KEY = "benchmark-only-key-3c1e9a7d5b2f4e6a8c0d1b3f5e7a9c2d4f6b8e0a1c3d5f7"


# --------------------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile: a value that was measured, never an interpolation."""
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Timing:
    samples_ms: list[float] = field(default_factory=list)
    # CPU time of this process in the same calls: unlike wall time, it does not grow when
    # other work on the machine takes the CPU away (a database server's CPU is not in it).
    cpu_samples_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.samples_ms)

    @property
    def cpu_median(self) -> float:
        return statistics.median(self.cpu_samples_ms)

    @property
    def p95(self) -> float:
        return percentile(self.samples_ms, 0.95)

    @property
    def best(self) -> float:
        return min(self.samples_ms)


def measure(
    action: Callable[[], object],
    *,
    repeat: int = 30,
    warmup: int = 3,
    after: Callable[[], object] | None = None,
) -> Timing:
    """Wall-clock time of `action` in ms, `repeat` times after `warmup` unmeasured calls.

    `after` runs after each call, untimed: the clean-up a server does once the answer is sent.
    """
    timing = Timing()
    for round_ in range(warmup + repeat):
        cpu_started = time.process_time()
        started = time.perf_counter()
        action()
        elapsed = time.perf_counter() - started
        cpu = time.process_time() - cpu_started
        if after is not None:
            after()
        if round_ >= warmup:
            timing.samples_ms.append(elapsed * 1000)
            timing.cpu_samples_ms.append(cpu * 1000)
    return timing


class Stopwatch:
    """`with Stopwatch() as watch: ...` then `watch.seconds`."""

    def __enter__(self) -> "Stopwatch":
        self.started = time.perf_counter()
        self.seconds = 0.0
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started


# --------------------------------------------------------------------------------------
# Printing
# --------------------------------------------------------------------------------------


def format_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A plain-text table; `align` has one letter per column, "l" or "r" (default: l, then r)."""
    align = align or "l" + "r" * (len(headers) - 1)
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(str(h)), *(len(row[i]) for row in cells)) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [
            value.ljust(width) if side == "l" else value.rjust(width)
            for value, width, side in zip(values, widths, align, strict=True)
        ]
        return "  ".join(parts).rstrip()

    rule = "  ".join("-" * width for width in widths)
    return "\n".join([line([str(h) for h in headers]), rule, *(line(row) for row in cells)])


def print_table(headers: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> None:
    print(format_table(headers, rows, align), flush=True)


def ms(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1f}" if value < 100 else f"{value:.0f}"


# --------------------------------------------------------------------------------------
# The environment
# --------------------------------------------------------------------------------------


def postgres_server_version(url: str) -> str | None:
    """The server's version, or None when it cannot be reached."""
    try:
        import psycopg

        with psycopg.connect(_maintenance_url(url), connect_timeout=3) as connection:
            return connection.execute("SHOW server_version").fetchone()[0]
    except Exception:  # any failure means "no PostgreSQL to measure"
        return None


def load_average() -> str:
    """The 1, 5 and 15 minute load: other work on the machine slows every figure down."""
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def busy_warning() -> str:
    """A warning when other work competes for the CPUs, or ""."""
    load, cpus = os.getloadavg()[0], os.cpu_count() or 1
    if load <= cpus * 0.75:
        return ""
    return (
        f"WARNING: the machine is busy (load {load:.1f} on {cpus} CPUs): wall-clock figures "
        "include waiting for a CPU; compare the CPU column, or run again when it is idle. "
        f"CPU check now: {cpu_check()}."
    )


def cpu_check() -> str:
    """A fixed pure-Python workload's CPU time, best of 5: on this kind of machine the speed
    of a core drifts (the same benchmark has needed twice the CPU within the hour), so the
    figures of two runs compare only beside this (lower is a faster machine)."""
    best = float("inf")
    for _ in range(5):
        started = time.process_time()
        table: dict[int, str] = {}
        for number in range(200_000):
            table[number % 1000] = f"{number:x}"
        best = min(best, time.process_time() - started)
    return f"{best * 1000:.1f} ms for a fixed pure-Python loop (best of 5; lower is faster)"


def environment(postgres_url: str | None = None) -> list[tuple[str, str]]:
    import django

    facts = [
        ("machine", f"{platform.machine()}, {os.cpu_count()} CPUs, {load_average()}"),
        ("CPU check", cpu_check()),
        ("system", platform.platform()),
        ("Python", platform.python_version()),
        ("Django", django.get_version()),
        ("SQLite", sqlite3.sqlite_version),
    ]
    if postgres_url:
        facts.append(("PostgreSQL", postgres_server_version(postgres_url) or "unreachable"))
    return facts


def print_environment(postgres_url: str | None = None) -> None:
    for name, value in environment(postgres_url):
        print(f"  {name + ':':<12} {value}")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------
# Scratch databases
# --------------------------------------------------------------------------------------


def _maintenance_url(url: str) -> str:
    """The same server, database `postgres`: where CREATE and DROP DATABASE are said."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/postgres", parts.query, ""))


def _database_name(url: str) -> str:
    name = urlsplit(url).path.lstrip("/")
    if not name:
        raise ValueError(f"No database name in {url}")
    return name


@contextlib.contextmanager
def scratch_directory(prefix: str = "partnerspace-bench-") -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix=prefix) as directory:
        yield Path(directory)


@contextlib.contextmanager
def sqlite_scratch(directory: Path) -> Iterator[str]:
    """The URL of a new SQLite file in `directory` (removed with the directory)."""
    yield f"sqlite:///{directory / 'bench.sqlite3'}"


@contextlib.contextmanager
def postgres_scratch(url: str) -> Iterator[str | None]:
    """Create the database named in `url` (dropping a leftover first) and drop it afterwards.

    Yields None, having printed one line, when the server cannot be reached.
    """
    try:
        import psycopg
        from psycopg import sql
    except ImportError:
        print("PostgreSQL skipped: psycopg is not installed.", flush=True)
        yield None
        return
    name = sql.Identifier(_database_name(url))
    try:
        admin = psycopg.connect(_maintenance_url(url), connect_timeout=3, autocommit=True)
    except psycopg.Error as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"PostgreSQL skipped: {_without_password(url)} is unreachable ({reason}).")
        yield None
        return
    try:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.execute(sql.SQL("CREATE DATABASE {}").format(name))
        yield url
    finally:
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        admin.close()


def _without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


# --------------------------------------------------------------------------------------
# A Django process per database
# --------------------------------------------------------------------------------------


def django_environment(database_url: str, var_dir: Path) -> dict[str, str]:
    """The environment of a production process (real settings module), pointed at scratch."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "partnerspace.settings",
            "SECRET_KEY": BENCH_SECRET_KEY,
            "DATABASE_URL": database_url,
            "DEBUG": "0",
            "PARTNERSPACE_STATIC_MANIFEST": "0",
            "ALLOWED_HOSTS": "testserver",
            "PARTNERSPACE_BASE_URL": "http://testserver",
            "PARTNERSPACE_VAR_DIR": str(var_dir),
            # As in tests.settings: nothing leaves the machine, no worker is needed.
            "EMAIL_URL": "locmem://",
            "TASKS_BACKEND": "django_tasks.backends.immediate.ImmediateBackend",
            "LOG_LEVEL": "WARNING",
            # No VIES checks: they would leave the machine (and, on the immediate backend,
            # run inside the import being timed).
            "PARTNERSPACE_VIES_URL": "",
            "PYTHONPATH": os.pathsep.join(
                [str(REPO_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
            ),
        }
    )
    return env


def run_django_process(module: str, argv: Sequence[str], database_url: str, var_dir: Path) -> int:
    """Run `python -m module *argv` configured for `database_url`; its output goes to ours."""
    # WhiteNoise warns when STATIC_ROOT is missing; the benchmark serves no static file.
    (var_dir / "static").mkdir(parents=True, exist_ok=True)
    sys.stdout.flush()
    completed = subprocess.run(
        [sys.executable, "-m", module, *argv],
        cwd=REPO_ROOT,
        env=django_environment(database_url, var_dir),
        check=False,
    )
    return completed.returncode


DATABASES = ("sqlite", "postgresql")


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """The options of a benchmark that runs once per database, each in its own process."""
    parser.add_argument("--database", choices=(*DATABASES, "all"), default="all")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    # Internal: the per-database child process.
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)


def chosen_databases(options: argparse.Namespace) -> tuple[str, ...]:
    return DATABASES if options.database == "all" else (options.database,)


def print_heading(title: str, options: argparse.Namespace) -> None:
    """A per-database benchmark's first lines: what it measures, and where it runs."""
    print(title)
    print("Environment:")
    chosen = chosen_databases(options)
    print_environment(options.postgres_url if "postgresql" in chosen else None)
    print(flush=True)


def run_per_database(
    module: str,
    argv: Sequence[str],
    options: argparse.Namespace,
    directory: Path,
    extra: Sequence[str] = (),
) -> tuple[list[dict], list[str]]:
    """Run `python -m module *argv --worker` once per chosen database, each on a scratch
    database of its own (PostgreSQL skipped when unreachable); the results the processes
    wrote, and a line for each that crashed."""
    results: list[dict] = []
    crashed: list[str] = []
    for database in chosen_databases(options):
        var_dir = directory / database
        results_path = directory / f"{database}.json"
        if database == "sqlite":
            scratch = sqlite_scratch(var_dir)
        else:
            scratch = postgres_scratch(options.postgres_url)
        with scratch as url:
            if url is None:
                continue
            status = run_django_process(
                module,
                [
                    *argv,
                    "--worker",
                    "--database",
                    database,
                    *extra,
                    "--results",
                    str(results_path),
                ],
                url,
                var_dir,
            )
        if status != 0:
            crashed.append(f"{database}: the benchmark process exited with {status}")
        results += read_json(results_path, [])
    return results, crashed


def setup_django() -> None:
    """In the child process: configure Django from the environment run_django_process set."""
    if os.environ.get("DJANGO_SETTINGS_MODULE") != "partnerspace.settings":
        raise RuntimeError("Run through benchmarks.common.run_django_process.")
    import django

    django.setup()


def write_json(path: Path | str, data: object) -> None:
    Path(path).write_text(json.dumps(data, indent=2))


def read_json(path: Path | str, default: object = None) -> object:
    path = Path(path)
    if not path.exists():
        return default
    return json.loads(path.read_text())
