"""The site under load: gunicorn as in production beside Django's development server.

A scratch PostgreSQL database gets one firm with N clients (the client_list benchmark's
generator, 100,000 by default) and a second, small firm beside it. Then, for each server in
turn, wrk (Debian's `wrk`) sends 20 concurrent connections for 30 s to each of three pages,
logged in as the firm's administrator:

- the client list (Actief tab, first page);
- a name search in the list;
- a client's page.

Servers:
- "gunicorn": `gunicorn -c python:partnerspace.operations.gunicorn_conf` with 4 workers and the
  production settings (DEBUG off, JSON request log lines written to a file, hashed and
  compressed static files);
- "runserver": `partnerspace runserver` as `make run` starts it (DEBUG on), without the
  autoreloader.

It prints requests per second, p50 and p99 latency and the errors of each, and the targets.

    python -m benchmarks serving                       # 100,000 clients, 30 s per page
    python -m benchmarks serving --clients 10000 --duration 10
    python -m benchmarks serving --keep-database       # keep (and reuse) the filled database
    python -m benchmarks serving --pages list --servers gunicorn   # one page, one server

It reports; it does not assert: the exit code is 0 when it ran, whatever the figures; 2 when
wrk is missing.
"""

import argparse
import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import common

DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/partnerspace_bench_serving"
TARGET_RPS = 100.0
TARGET_P99_MS = 300.0
SEARCH_WORD = "peeters"
# --pages: label and path (filled in from the prepared database) of each page measured.
PAGES = {
    "list": ("client list", "/f/{slug}/clients/"),
    "search": (f"search '{SEARCH_WORD}'", f"/f/{{slug}}/clients/?q={SEARCH_WORD}"),
    "client": ("client page", "/f/{slug}/clients/{client_id}/"),
}


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks serving",
        description="Requests per second and latency of gunicorn and runserver under wrk.",
    )
    parser.add_argument("--clients", type=int, default=100_000, help="clients in the big firm")
    parser.add_argument("--duration", type=int, default=30, help="seconds of load per page")
    parser.add_argument("--connections", type=int, default=20, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--servers", default="gunicorn,runserver", help="which servers, comma-separated"
    )
    parser.add_argument(
        "--pages",
        default=",".join(PAGES),
        help=f"which pages, comma-separated ({', '.join(PAGES)})",
    )
    parser.add_argument(
        "--keep-database",
        action="store_true",
        help="keep the filled database afterwards, and reuse one left by an earlier run",
    )
    # Internal: the child process that fills the database.
    parser.add_argument("--prepare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--results", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    if options.prepare:
        return prepare(options)
    wrk = shutil.which("wrk")
    if wrk is None:
        print(
            "wrk is not installed: this benchmark needs Debian's load generator "
            "(apt-get install wrk). Nothing was measured.",
            flush=True,
        )
        return 2
    servers = [name.strip() for name in options.servers.split(",") if name.strip()]
    print(
        f"Serving benchmark: {options.clients:,} clients on PostgreSQL; wrk with "
        f"{options.connections} connections for {options.duration} s per page; "
        f"gunicorn with {options.workers} workers beside runserver"
    )
    print("Environment:")
    common.print_environment(options.postgres_url)
    print(f"  {'wrk:':<12} {wrk_version(wrk)}", flush=True)
    print(flush=True)
    with common.scratch_directory() as directory, database(options) as url:
        if url is None:
            return 1
        var_dir = directory / "var"
        prepared_path = directory / "prepared.json"
        status = common.run_django_process(
            "benchmarks.serving",
            [*argv, "--prepare", "--results", str(prepared_path)],
            url,
            var_dir,
        )
        if status != 0:
            print(f"CRASH: preparing the database exited with {status}")
            return 1
        prepared = common.read_json(prepared_path)
        # The hashed, compressed static files production serves (WhiteNoise's manifest).
        subprocess.run(
            [sys.executable, "-m", "partnerspace", "collectstatic", "--noinput", "-v0"],
            cwd=common.REPO_ROOT,
            env=server_environment(url, var_dir, debug=False),
            check=True,
        )
        chosen = {name.strip() for name in options.pages.split(",")}
        pages = {
            label: path.format(**prepared)
            for name, (label, path) in PAGES.items()
            if name in chosen
        }
        lines: list[Line] = []
        for server in servers:
            lines += measure_server(server, pages, prepared["cookie"], url, var_dir, options)
    print_report(lines, options)
    print(f"CPU check at the end: {common.cpu_check()}")
    if warning := common.busy_warning():
        print(warning)
    return 0


# --------------------------------------------------------------------------------------
# The database
# --------------------------------------------------------------------------------------


@contextlib.contextmanager
def database(options: argparse.Namespace):
    """The scratch database's URL, or None (said why). With --keep-database it is neither
    dropped first nor afterwards."""
    if not options.keep_database:
        with common.postgres_scratch(options.postgres_url) as url:
            yield url
        return
    import psycopg
    from psycopg import sql

    name = urlsplit_name(options.postgres_url)
    try:
        with psycopg.connect(
            common._maintenance_url(options.postgres_url), connect_timeout=3, autocommit=True
        ) as admin:
            exists = admin.execute(
                "SELECT 1 FROM pg_database WHERE datname = %s", [name]
            ).fetchone()
            if not exists:
                admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.Error as error:
        print(f"PostgreSQL unreachable: {error}")
        yield None
        return
    print(f"(keeping the database {name} for the next run)")
    yield options.postgres_url


def urlsplit_name(url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(url).path.lstrip("/")


def prepare(options: argparse.Namespace) -> int:
    """In the Django child process: migrate, fill (unless filled), and log the administrator
    in (a session cookie for wrk)."""
    common.setup_django()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.db import connection

    from benchmarks.client_list import fill
    from partnerspace.clients.models import Client
    from partnerspace.firms.models import Firm, Membership

    with common.Stopwatch() as watch:
        call_command("migrate", interactive=False, verbosity=0)
    print(f"migrated in {watch.seconds:.1f} s", flush=True)
    if not Firm.objects.filter(slug="groot").exists():
        with common.Stopwatch() as watch:
            data = fill(options.clients)
        print(
            f"filled {data.clients:,} clients in '{data.slug}' and {data.small_clients:,} in "
            f"'{data.small_slug}' in {watch.seconds:.0f} s",
            flush=True,
        )
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    else:
        print("reusing the filled database", flush=True)
    firm = Firm.objects.get(slug="groot")
    admin = Membership.objects.select_related("user").get(firm=firm, is_administrator=True)
    client = Client.objects.filter(firm=firm, contacts__isnull=False).order_by("pk")[
        Client.objects.filter(firm=firm).count() // 2
    ]
    session = SessionStore()
    session[SESSION_KEY] = str(admin.user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = admin.user.get_session_auth_hash()
    session.create()
    common.write_json(
        options.results,
        {
            "slug": firm.slug,
            "client_id": client.pk,
            "clients": Client.objects.filter(firm=firm).count(),
            "cookie": f"{settings.SESSION_COOKIE_NAME}={session.session_key}",
        },
    )
    return 0


# --------------------------------------------------------------------------------------
# The figures of one page on one server
# --------------------------------------------------------------------------------------


@dataclass
class Line:
    server: str
    page: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    error_detail: str
    # CPU time per request of the server's processes, and of the PostgreSQL backends serving
    # them: unlike the wall-clock figures, it does not grow when other work takes the CPUs.
    app_cpu_ms: float | None = None
    database_cpu_ms: float | None = None


# --------------------------------------------------------------------------------------
# CPU time, from /proc
# --------------------------------------------------------------------------------------

_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a process, its children that ended included (gunicorn
    replaces its workers every thousand requests), or None when it is gone."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # utime, stime, cutime, cstime: fields 14 to 17 of proc(5), counted from the state (3).
    return int(fields[1]), sum(int(value) for value in fields[11:15]) / _TICKS


def process_tree_cpu(root: int) -> float:
    """CPU seconds used so far by `root` and every process below it."""
    stats = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            stats[int(entry.name)] = stat
    children: dict[int, list[int]] = {}
    for pid, (parent, _cpu) in stats.items():
        children.setdefault(parent, []).append(pid)
    total, todo = 0.0, [root]
    while todo:
        pid = todo.pop()
        if pid in stats:
            total += stats[pid][1]
        todo += children.get(pid, [])
    return total


class DatabaseCpu(threading.Thread):
    """CPU seconds of the PostgreSQL backends connected to the benchmark's database (the server
    runs on this machine), sampled twice a second while the load runs: a backend that comes
    and goes between two samples is missed, one that lives longer counts to its last sample.
    """

    def __init__(self, database_url: str):
        super().__init__(daemon=True)
        import psycopg

        self.name_of_database = urlsplit_name(database_url)
        self.connection = psycopg.connect(common._maintenance_url(database_url), autocommit=True)
        self.first: dict[int, float] = self.sample()
        self.last: dict[int, float] = dict(self.first)
        self.done = threading.Event()

    def sample(self) -> dict[int, float]:
        rows = self.connection.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.name_of_database],
        ).fetchall()
        return {pid: stat[1] for (pid,) in rows if (stat := _stat(pid)) is not None}

    def run(self) -> None:
        while not self.done.wait(0.5):
            self.last.update(self.sample())

    def stop(self) -> float:
        """CPU seconds the backends used since the start."""
        self.done.set()
        self.join()
        self.last.update(self.sample())
        self.connection.close()
        return sum(cpu - self.first.get(pid, 0.0) for pid, cpu in self.last.items())


# --------------------------------------------------------------------------------------
# The servers and the load
# --------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_environment(database_url: str, var_dir: Path, *, debug: bool) -> dict[str, str]:
    env = common.django_environment(database_url, var_dir)
    env.update(
        {
            "DEBUG": "1" if debug else "0",
            # As in production: the manifest of hashed static names, JSON log lines.
            "PARTNERSPACE_STATIC_MANIFEST": "1",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "PARTNERSPACE_BASE_URL": "http://127.0.0.1",
            "LOG_LEVEL": "INFO",
        }
    )
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    return env


def server_command(server: str, port: int, options) -> list[str]:
    if server == "gunicorn":
        gunicorn = str(Path(sys.executable).with_name("gunicorn"))
        return [
            gunicorn,
            "-c",
            "python:partnerspace.operations.gunicorn_conf",
            "--workers",
            str(options.workers),
            "--bind",
            f"127.0.0.1:{port}",
            "partnerspace.wsgi",
        ]
    if server == "runserver":
        return [
            sys.executable,
            "-m",
            "partnerspace",
            "runserver",
            f"127.0.0.1:{port}",
            "--noreload",
        ]
    raise ValueError(f"unknown server {server!r}")


@contextlib.contextmanager
def running(server: str, database_url: str, var_dir: Path, options):
    port = free_port()
    env = server_environment(database_url, var_dir, debug=server == "runserver")
    if server == "gunicorn":
        metrics_dir = var_dir / "prometheus"
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    log_path = var_dir / f"{server}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            server_command(server, port, options),
            cwd=common.REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            wait_until_up(base, process, log_path)
            yield base, process.pid
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def wait_until_up(base: str, process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited: {log_path.read_text()[-2000:]}")
        try:
            # The server this benchmark started, over http: the scheme is ours.
            with urllib.request.urlopen(f"{base}/account/login/", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("the server did not answer within 60 s")


def measure_server(server, pages, cookie, database_url, var_dir, options) -> list[Line]:
    lines = []
    print(f"== {server} ==", flush=True)
    with running(server, database_url, var_dir, options) as (base, pid):
        for label, path in pages.items():
            cookie = check_page(base + path, cookie)
            run_wrk(base + path, cookie, duration=3, connections=options.connections)  # warm-up
            app_before = process_tree_cpu(pid)
            database = DatabaseCpu(database_url)
            database.start()
            output = run_wrk(
                base + path, cookie, duration=options.duration, connections=options.connections
            )
            database_used = database.stop()
            app_used = process_tree_cpu(pid) - app_before
            line = parse_wrk(server, label, output)
            if line.requests:
                line.app_cpu_ms = app_used / line.requests * 1000
                line.database_cpu_ms = database_used / line.requests * 1000
            lines.append(line)
            print(
                f"  {label}: {line.requests_per_second:.1f} req/s, p50 {common.ms(line.p50_ms)} "
                f"ms, p99 {common.ms(line.p99_ms)} ms, {line.errors} errors, CPU per request "
                f"{common.ms(line.app_cpu_ms)} ms (+ {common.ms(line.database_cpu_ms)} ms "
                f"PostgreSQL); {common.load_average()}",
                flush=True,
            )
    return lines


def check_page(url: str, cookie: str) -> str:
    """One request first: the page must answer 200 with the list or the client in it. The
    cookies a browser sends from then on: the session's and the CSRF cookie the page set
    (without it, every request of wrk would have a new CSRF secret made and set)."""
    request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
    with urllib.request.urlopen(request, timeout=60) as answer:  # noqa: S310
        body = answer.read().decode()
        if answer.status != 200 or "<html" not in body or "/account/login/" in answer.url:
            raise RuntimeError(f"{url} answered {answer.status} at {answer.url}")
        set_cookies = answer.headers.get_all("Set-Cookie") or []
    csrf = [header.split(";", 1)[0] for header in set_cookies if header.startswith("csrftoken=")]
    return "; ".join([cookie, *csrf])


def wrk_version(wrk: str) -> str:
    result = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False)
    return (result.stdout or result.stderr).splitlines()[0].strip()


def run_wrk(url: str, cookie: str, *, duration: int, connections: int) -> str:
    result = subprocess.run(
        [
            "wrk",
            "--threads",
            "2",
            "--connections",
            str(connections),
            "--duration",
            f"{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "--header",
            f"Cookie: {cookie}",
            url,
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"wrk failed: {result.stderr}")
    return result.stdout


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(server: str, page: str, output: str) -> Line:
    percentiles = dict(re.findall(r"^\s+(50|99)%\s+(\S+)", output, re.MULTILINE))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    detail = []
    if non_2xx:
        detail.append(f"{non_2xx.group(1)} non-2xx")
    if socket_errors:
        counts = [int(n) for n in re.findall(r"\d+", socket_errors.group(1))]
        errors += sum(counts)
        detail.append("socket errors: " + socket_errors.group(1).strip())
    return Line(
        server=server,
        page=page,
        requests_per_second=rps,
        p50_ms=_ms(percentiles["50"]),
        p99_ms=_ms(percentiles["99"]),
        requests=requests,
        errors=errors,
        error_detail="; ".join(detail),
    )


def print_report(lines: list[Line], options) -> None:
    print(
        f"\n{options.clients:,} clients on PostgreSQL, {options.connections} connections, "
        f"{options.duration} s per page (wrk); targets for gunicorn on the client list: "
        f"at least {TARGET_RPS:.0f} requests/s, p99 under {TARGET_P99_MS:.0f} ms, no errors"
    )
    baseline = {line.page: line for line in lines if line.server == "runserver"}
    rows = []
    for line in lines:
        base = baseline.get(line.page)
        speedup = (
            f"{line.requests_per_second / base.requests_per_second:.1f}x"
            if base and line.server != "runserver" and base.requests_per_second
            else "-"
        )
        rows.append(
            [
                line.server,
                line.page,
                f"{line.requests_per_second:.1f}",
                common.ms(line.p50_ms),
                common.ms(line.p99_ms),
                f"{line.requests:,}",
                line.errors,
                common.ms(line.app_cpu_ms),
                common.ms(line.database_cpu_ms),
                speedup,
            ]
        )
    common.print_table(
        [
            "server",
            "page",
            "req/s",
            "p50 ms",
            "p99 ms",
            "requests",
            "errors",
            "CPU ms",
            "PG CPU ms",
            "vs runserver",
        ],
        rows,
        align="llrrrrrrrr",
    )
    print(
        "  CPU ms: CPU time of the server's processes per request; PG CPU ms: of the\n"
        "  PostgreSQL backends serving them (sampled twice a second: a lower bound). 2 CPUs give\n"
        "  2,000 ms of CPU a second, shared with wrk, PostgreSQL and everything else."
    )
    for line in lines:
        if line.error_detail:
            print(f"  {line.server}, {line.page}: {line.error_detail}")
    target = next(
        (line for line in lines if line.server == "gunicorn" and line.page == "client list"), None
    )
    if target is not None:
        met = (
            target.requests_per_second >= TARGET_RPS
            and target.p99_ms < TARGET_P99_MS
            and target.errors == 0
        )
        print(
            f"  target (client list, gunicorn): {'MET' if met else 'NOT MET'} "
            f"({target.requests_per_second:.1f} req/s, p99 {common.ms(target.p99_ms)} ms, "
            f"{target.errors} errors)"
        )
    if options.results:
        common.write_json(options.results, [asdict(line) for line in lines])
    sys.stdout.flush()


if __name__ == "__main__":
    # The child process: `python -m benchmarks.serving ... --prepare`.
    sys.exit(main(sys.argv[1:]))
