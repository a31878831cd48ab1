"""The client import at 10,000 and 100,000 rows: `import_clients` beside calamine and import-export.

For each file size, a realistic valid .xlsx is generated once (XlsxWriter, constant_memory,
the Dutch headers of the template) and cached under benchmarks/out/. For SQLite (a scratch
file) and PostgreSQL (a scratch database, skipped when the server is unreachable) the
benchmark migrates a database once and creates a firm with a template (one staff member, one
integration), then measures, each in a fresh process on a fresh copy of that database:

- python-calamine's bare read of the file (`CalamineWorkbook.from_path(...)
  .get_sheet_by_index(0).to_python()`): the floor no import can go below;
- `partnerspace import_clients --firm SLUG FILE --json`: the product, validating and
  importing every row, wall time and peak RSS of the process;
- django-import-export importing the same file into the same tables
  (benchmarks/import_export_baseline.py says how), in its default mode and in bulk mode.

Then it checks what each import wrote (clients, contacts, history, template staff and
integration links, and a digest of the stored values that must be the same for both) and
prints the figures beside the targets.

    python -m benchmarks imports                   # 10,000 and 100,000 rows, both databases
    python -m benchmarks imports --rows 10000      # a quick run
    python -m benchmarks imports --database sqlite --profile   # cProfile of the pipeline

It reports; it does not assert: the exit code is 0 when it ran, whatever the figures.
"""

import argparse
import contextlib
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import common
from benchmarks.client_list import (
    FIRST_NAMES_FR,
    FIRST_NAMES_NL,
    FR_STREETS,
    NL_STREETS,
    SURNAMES,
    ClientMaker,
    enterprise_number,
    messy_vat,
)

DEFAULT_ROWS = (10_000, 100_000)
DATABASES = ("sqlite", "postgresql")
DEFAULT_POSTGRES_URL = "postgres://postgres@127.0.0.1:5432/partnerspace_bench_import"
OUT_DIR = common.REPO_ROOT / "benchmarks" / "out"
COMMAND_PATH = common.REPO_ROOT / "src/partnerspace/imports/management/commands/import_clients.py"
# Bump when the generator changes: the cached files are named after it.
GENERATOR_VERSION = 2
SEED = 20240611

FIRM_SLUG = "bench-import"
ADMIN_EMAIL = "beheerder@bench.example"
TEMPLATE_NAME = "Vennootschap"
INTEGRATION_KEY = "exact_online"

# The targets, at 100,000 rows on this 2-core machine.
TARGET_ROWS = 100_000
TARGET_SQLITE_SECONDS = 10.0
TARGET_POSTGRES_SECONDS = 12.0
TARGET_CALAMINE_RATIO = 3.0
TARGET_IMPORT_EXPORT_FACTOR = 20.0
TARGET_PEAK_MB = 400.0
# Above this 1-minute load average the figures are slowed down by other work (2 cores).
BUSY_LOAD = 1.5

# Shares of the generated rows.
SHARE_COMPANY_NUMBER = 0.93  # the rest: VAT only (3%) or no number at all (4%)
SHARE_VAT_ONLY = 0.03
SHARE_VAT = 0.70
SHARE_MESSY = 0.10
SHARE_REFERENCE = 0.40
SHARE_IBAN = 0.50
SHARE_TEMPLATE = 0.60
BANK_CODES = ("001", "063", "068", "096", "103", "310", "363", "734", "735", "750", "979")


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks imports",
        description="Time import_clients on generated .xlsx files beside calamine's bare "
        "read and django-import-export, on SQLite and PostgreSQL.",
    )
    parser.add_argument(
        "--rows",
        type=int,
        action="append",
        help="rows of a file to import (repeatable; default: 10000 and 100000)",
    )
    parser.add_argument("--database", choices=(*DATABASES, "all"), default="all")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES_URL)
    parser.add_argument(
        "--import-export-max-rows",
        type=int,
        default=10_000,
        help="largest file import-export's default (one save per row) mode is run on; "
        "larger ones are extrapolated from it, and said so (default: 10000)",
    )
    parser.add_argument(
        "--no-import-export", action="store_true", help="skip the import-export baseline"
    )
    parser.add_argument("--no-bulk", action="store_true", help="skip import-export's bulk mode")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="also split the pipeline's time into phases and cProfile it on the largest "
        "file (first database measured)",
    )
    parser.add_argument(
        "--pipeline",
        action="store_true",
        help="measure pipeline.Importer in a script instead of the import_clients command "
        "(what happens anyway while the command does not exist)",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=3,
        help="fresh-process runs of calamine and of the product per file; the best counts "
        "(default: 3)",
    )
    parser.add_argument(
        "--import-export-repeat", type=int, default=1, help="runs of each import-export mode"
    )
    parser.add_argument("--regenerate", action="store_true", help="rewrite the cached files")
    # Internal: the child processes.
    parser.add_argument(
        "--worker",
        choices=("setup", "pipeline", "import-export", "verify", "profile"),
        help=argparse.SUPPRESS,
    )
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--firm", default=FIRM_SLUG, help=argparse.SUPPRESS)
    parser.add_argument("--bulk", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--phase", choices=("timing", "no-fts", "one-batch", "cprofile"), help=argparse.SUPPRESS
    )
    parser.add_argument("--results", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    options.rows = sorted(set(options.rows or DEFAULT_ROWS))
    if any(rows < 1 or rows > 100_000 for rows in options.rows):
        parser.error("--rows must be between 1 and 100000 (the import's limit)")
    return options


# --------------------------------------------------------------------------------------
# The files
# --------------------------------------------------------------------------------------


def belgian_iban(rng: random.Random) -> str:
    """A valid BE IBAN of a known bank: national check = first 10 digits mod 97 (0 → 97)."""
    account = f"{rng.choice(BANK_CODES)}{rng.randrange(10_000_000):07d}"
    bban = f"{account}{int(account) % 97 or 97:02d}"
    check = 98 - int(bban + "111400") % 97  # "BE00" moved to the end, B=11, E=14
    return f"BE{check:02d}{bban}"


def _mess(values: dict, rng: random.Random) -> tuple:
    """Spell one value of a valid row as people do; the import repairs it with a warning.

    Returns the row's values as written (a company number typed in Excel may be a number).
    """
    choices = ["locale", "country"]
    if values["vat_number"]:
        choices += ["vat", "vat"]
    if values["company_number"]:
        choices += ["dotted"]
        if values["company_number"].startswith("0"):
            choices += ["number"]
    if values["iban"]:
        choices += ["iban"]
    kind = rng.choice(choices)
    if kind == "vat":
        values["vat_number"] = messy_vat(values["vat_number"])  # "BE 0403.019.261"
    elif kind == "dotted":
        n = values["company_number"]
        values["company_number"] = f"{n[:4]}.{n[4:7]}.{n[7:]}"
    elif kind == "number":
        values["company_number"] = int(values["company_number"])  # leading zero lost
    elif kind == "iban":
        iban = values["iban"]
        values["iban"] = " ".join(iban[i : i + 4] for i in range(0, len(iban), 4))
    elif kind == "locale":
        values["contact_locale"] = values["contact_locale"].replace("-", "_")
    else:
        values["country"] = rng.choice(["België", "Belgique", "Belgium"])
    return kind


def generate(path: Path, rows: int) -> dict:
    """Write `rows` valid clients to `path`; returns what was written (the manifest)."""
    import xlsxwriter

    from partnerspace.imports.columns import KEYS, headers_for

    rng = random.Random(SEED * 1000 + rows)
    maker = ClientMaker(rng)
    firsts = rng.sample(range(2_000_000, 20_000_000), rows)
    manifest = {
        "rows": rows,
        "generator": GENERATOR_VERSION,
        "seed": SEED,
        "company_number": 0,
        "vat": 0,
        "messy": 0,
        "messy_kinds": {},
        "template": 0,
        "mandate": 0,
        "iban": 0,
        "reference": 0,
    }
    started = time.perf_counter()
    partial = path.with_suffix(".partial")
    workbook = xlsxwriter.Workbook(str(partial), {"constant_memory": True})
    sheet = workbook.add_worksheet("Klanten")
    sheet.write_row(0, 0, headers_for("nl"))
    # Name and contact address identify a client without numbers: no two rows share both, as
    # no two companies in a real portfolio do (the generator's names repeat; people's don't).
    taken: set[tuple[str, str]] = set()
    for index in range(rows):
        postal_code, city, region = maker.places.pick(rng)
        language = maker.language(region)
        legal_name = maker.name(language)
        number = enterprise_number(firsts[index])
        draw = rng.random()
        if draw < SHARE_COMPANY_NUMBER:
            company_number = number
            vat = f"BE{number}" if rng.random() < SHARE_VAT / SHARE_COMPANY_NUMBER else ""
        elif draw < SHARE_COMPANY_NUMBER + SHARE_VAT_ONLY:
            company_number, vat = "", f"BE{number}"
        else:
            company_number = vat = ""
        first = rng.choice(FIRST_NAMES_FR if language == "fr" else FIRST_NAMES_NL)
        last = rng.choice(SURNAMES)
        domain = "".join(c for c in maker.fold(legal_name.rsplit(" ", 1)[0]) if c.isalnum())
        local = "".join(c for c in maker.fold(f"{first}.{last}") if c.isalnum() or c == ".")
        if rng.random() < 0.15:
            local = "info"
        email = f"{local}@{domain[:24]}.be"
        while (maker.fold(legal_name), email) in taken:
            head, _, form = legal_name.rpartition(" ")
            legal_name = f"{head} {rng.randint(2, 999)} {form}" if head else f"{form} 2"
        taken.add((maker.fold(legal_name), email))
        # A few German-speaking contacts (East Belgium) among the Dutch-speaking ones.
        locale = "fr-BE" if language == "fr" else ("de-BE" if rng.random() < 0.02 else "nl-BE")
        reference = ""
        if rng.random() < SHARE_REFERENCE:
            # Half the firm's own code, half the number in the accounting package (digits).
            reference = f"KL-{index + 1:06d}" if rng.random() < 0.5 else str(100_000 + index)
        mandate = rng.random()
        values = {
            "legal_name": legal_name,
            "country": "BE",
            "contact_email": email,
            "contact_first_name": first,
            "contact_last_name": last,
            "contact_locale": locale,
            "company_number": company_number,
            "vat_number": vat,
            "external_reference": reference,
            "iban": belgian_iban(rng) if rng.random() < SHARE_IBAN else "",
            "street": rng.choice(FR_STREETS if language == "fr" else NL_STREETS),
            "house_number": str(rng.randint(1, 250)) + ("A" if rng.random() < 0.03 else ""),
            "box": str(rng.randint(1, 12)) if rng.random() < 0.05 else "",
            "postal_code": postal_code,
            "city": city,
            "peppol_mandate": "Ja" if mandate < 0.2 else ("Nee" if mandate < 0.7 else ""),
            "template": TEMPLATE_NAME if rng.random() < SHARE_TEMPLATE else "",
        }
        manifest["company_number"] += bool(company_number)
        manifest["vat"] += bool(vat)
        manifest["template"] += bool(values["template"])
        manifest["mandate"] += values["peppol_mandate"] == "Ja"
        manifest["iban"] += bool(values["iban"])
        manifest["reference"] += bool(reference)
        if rng.random() < SHARE_MESSY:
            kind = _mess(values, rng)
            manifest["messy"] += 1
            manifest["messy_kinds"][kind] = manifest["messy_kinds"].get(kind, 0) + 1
        sheet.write_row(index + 1, 0, [values[key] for key in KEYS])
    workbook.close()
    partial.replace(path)
    manifest["seconds"] = time.perf_counter() - started
    manifest["bytes"] = path.stat().st_size
    common.write_json(path.with_suffix(".json"), manifest)
    return manifest


def cached_file(rows: int, regenerate: bool) -> tuple[Path, dict]:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / f"clients-nl-{rows}-g{GENERATOR_VERSION}-s{SEED}.xlsx"
    manifest = common.read_json(path.with_suffix(".json"))
    if regenerate or not path.exists() or not manifest:
        manifest = generate(path, rows)
        print(
            f"generated {path.relative_to(common.REPO_ROOT)}: {rows:,} rows, "
            f"{manifest['bytes'] / 1e6:.1f} MB in {manifest['seconds']:.1f} s",
            flush=True,
        )
    else:
        print(
            f"cached    {path.relative_to(common.REPO_ROOT)}: {rows:,} rows, "
            f"{manifest['bytes'] / 1e6:.1f} MB",
            flush=True,
        )
    return path, manifest


# --------------------------------------------------------------------------------------
# Databases: one migrated base per database, a fresh copy of it for every measurement
# --------------------------------------------------------------------------------------


class SqliteDatabase:
    name = "SQLite"

    def __init__(self, directory: Path):
        self.directory = directory
        self.base_path = directory / "base.sqlite3"
        self.run_path = directory / "run.sqlite3"

    @contextlib.contextmanager
    def base(self) -> Iterator[str | None]:
        yield f"sqlite:///{self.base_path}"

    @contextlib.contextmanager
    def copy(self) -> Iterator[str]:
        self._remove(self.run_path)
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{self.base_path}{suffix}")
            if source.exists():
                shutil.copyfile(source, f"{self.run_path}{suffix}")
        try:
            yield f"sqlite:///{self.run_path}"
        finally:
            self._remove(self.run_path)

    @staticmethod
    def _remove(path: Path) -> None:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


class PostgresDatabase:
    """`NAME_base` is migrated once; each measurement runs in `NAME`, made from it."""

    name = "PostgreSQL"

    def __init__(self, url: str):
        self.url = url
        self.run_name = common._database_name(url)
        self.base_name = f"{self.run_name}_base"
        self.admin = None

    def _url_of(self, name: str) -> str:
        from urllib.parse import urlsplit, urlunsplit

        parts = urlsplit(self.url)
        return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, ""))

    def _execute(self, statement: str, *names: str) -> None:
        from psycopg import sql

        self.admin.execute(sql.SQL(statement).format(*(sql.Identifier(n) for n in names)))

    @contextlib.contextmanager
    def base(self) -> Iterator[str | None]:
        try:
            import psycopg
        except ImportError:
            print("PostgreSQL skipped: psycopg is not installed.", flush=True)
            yield None
            return
        try:
            self.admin = psycopg.connect(
                common._maintenance_url(self.url), connect_timeout=3, autocommit=True
            )
        except psycopg.Error as error:
            reason = (str(error).strip().splitlines() or [type(error).__name__])[0]
            print(
                f"PostgreSQL skipped: {common._without_password(self.url)} is unreachable "
                f"({reason}).",
                flush=True,
            )
            yield None
            return
        try:
            for name in (self.run_name, self.base_name):
                self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            self._execute("CREATE DATABASE {}", self.base_name)
            yield self._url_of(self.base_name)
        finally:
            for name in (self.run_name, self.base_name):
                self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", name)
            self.admin.close()

    @contextlib.contextmanager
    def copy(self) -> Iterator[str]:
        self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.run_name)
        self._execute("CREATE DATABASE {} TEMPLATE {}", self.run_name, self.base_name)
        try:
            yield self._url_of(self.run_name)
        finally:
            self._execute("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.run_name)


# --------------------------------------------------------------------------------------
# Measured child processes
# --------------------------------------------------------------------------------------


@dataclass
class Run:
    """One kind of measurement on one file: every sample, each in a fresh process."""

    label: str
    rows: int
    samples: list[float] = field(default_factory=list)  # wall seconds
    peaks: list[float] = field(default_factory=list)  # MB
    loads: list[float] = field(default_factory=list)  # 1-minute load average at the start
    ran: bool = True
    extrapolated: bool = False
    estimate: float = 0.0  # the extrapolated wall time
    inner: dict = field(default_factory=dict)  # what the (first) child said about itself
    checked: dict = field(default_factory=dict)  # what the verify child found after it
    problems: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        """The best (least disturbed) of the samples: other work only ever adds time."""
        return self.estimate if self.extrapolated else min(self.samples)

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else self.seconds

    @property
    def peak_mb(self) -> float:
        return max(self.peaks, default=0.0)

    @property
    def load(self) -> float:
        return max(self.loads, default=0.0)


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, int, str, str]:
    """Run `command`; its wall time (s), peak RSS (MB, this child's own), exit code, output.

    os.wait4 gives the rusage of exactly this child, where RUSAGE_CHILDREN would give the
    largest of every child waited for so far.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        sys.stdout.flush()
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=common.REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err
        )
        _, wait_status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(wait_status)
        out.seek(0)
        err.seek(0)
        return (
            seconds,
            usage.ru_maxrss / 1024,  # KiB on Linux
            process.returncode,
            out.read().decode("utf-8", "replace"),
            err.read().decode("utf-8", "replace"),
        )


def sample(run: Run, command: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    """Run one measured child and add its figures to `run`."""
    run.loads.append(os.getloadavg()[0])
    seconds, peak, status, out, err = run_measured(command, env)
    run.samples.append(seconds)
    run.peaks.append(peak)
    return status, out, err


CALAMINE_SCRIPT = """\
import json, sys, time
started = time.perf_counter()
import python_calamine
rows = python_calamine.CalamineWorkbook.from_path(sys.argv[1]).get_sheet_by_index(0).to_python()
print(json.dumps({"seconds": time.perf_counter() - started, "rows": len(rows) - 1}))
"""


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _json_from(text: str) -> dict | None:
    text = text.strip()
    try:
        return json.loads(text)
    except ValueError:
        start = text.find("{")
        if start < 0:
            return None
        try:
            return json.loads(text[start:])
        except ValueError:
            return None


def measure_calamine(run: Run, path: Path) -> None:
    status, out, err = sample(
        run, [sys.executable, "-c", CALAMINE_SCRIPT, str(path)], dict(os.environ)
    )
    inner = _json_from(out) or {}
    if status != 0 or inner.get("rows") != run.rows:
        run.problems.append(f"calamine read failed ({status}): {_tail(err or out)}")
        return
    # The read inside the process, without the interpreter's start-up.
    run.inner.setdefault("reads", []).append(inner["seconds"])


def product_command(path: Path, slug: str, use_command: bool) -> list[str]:
    if use_command:
        # The firm's administrator, as import-export's baseline records it too.
        return [
            str(Path(sys.executable).with_name("partnerspace")),
            "import_clients",
            "--firm",
            slug,
            "--actor",
            ADMIN_EMAIL,
            str(path),
            "--json",
        ]
    return [
        sys.executable, "-m", "benchmarks.imports", "--worker", "pipeline",
        "--firm", slug, "--file", str(path),
    ]  # fmt: skip


def measure_product(run: Run, path: Path, url: str, var_dir: Path, slug: str, manifest: dict):
    command = product_command(path, slug, run.label.startswith("import_clients"))
    status, out, err = sample(run, command, common.django_environment(url, var_dir))
    summary = _json_from(out) or {}
    rows = run.rows
    if status != 0:
        run.problems.append(f"exit {status}: {_tail(err or out)}")
    elif not summary:
        run.problems.append(f"no JSON summary on stdout: {_tail(out)}")
    elif summary.get("created") != rows or summary.get("refused"):
        first = (summary.get("errors") or [None])[0]
        run.problems.append(
            f"created {summary.get('created')} of {rows}, refused "
            f"{summary.get('refused')} (first error: {first})"
        )
    if not run.inner:
        run.inner = summary
        warnings = summary.get("warnings")
        if isinstance(warnings, list) and len(warnings) != manifest["messy"]:
            run.problems.append(
                f"{len(warnings)} warnings for {manifest['messy']} rows spelt messily"
            )


def measure_import_export(run: Run, path: Path, url: str, var_dir: Path, slug: str):
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "ie.json"
        command = [
            sys.executable, "-m", "benchmarks.imports", "--worker", "import-export",
            "--firm", slug, "--file", str(path), "--results", str(results),
            *(["--bulk"] if "bulk" in run.label else []),
        ]  # fmt: skip
        status, out, err = sample(run, command, common.django_environment(url, var_dir))
        inner = common.read_json(results, {})
    if not run.inner:
        run.inner = inner
    if status != 0:
        run.problems.append(f"exit {status}: {_tail(err or out)}")
    elif inner.get("new") != run.rows:
        run.problems.append(
            f"created {inner.get('new')} of {run.rows}: {inner.get('first_problem')}"
        )


def verify(url: str, var_dir: Path, slug: str, run: Run, manifest: dict) -> None:
    """What the import left in the database, read by a child process."""
    with tempfile.TemporaryDirectory() as scratch:
        results = Path(scratch) / "verify.json"
        _, _, status, out, err = run_measured(
            [
                sys.executable,
                "-m",
                "benchmarks.imports",
                "--worker",
                "verify",
                "--firm",
                slug,
                "--results",
                str(results),
            ],
            common.django_environment(url, var_dir),
        )
        run.checked = common.read_json(results, {})
    if status != 0 or not run.checked:
        run.problems.append(f"verification failed ({status}): {_tail(err or out)}")
        return
    rows, templated = manifest["rows"], manifest["template"]
    expected = {
        "clients": rows,
        "contacts": rows,
        "searchable": rows,
        "assignments": templated,
        "integrations": templated,
        "history": rows + templated,
        "mandates": manifest["mandate"],
    }
    for name, wanted in expected.items():
        if run.checked.get(name) != wanted:
            run.problems.append(f"{name}: {run.checked.get(name)} in the database, {wanted} wanted")


# --------------------------------------------------------------------------------------
# The parent
# --------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    if options.worker:
        return worker(options)
    databases = DATABASES if options.database == "all" else (options.database,)
    use_command = COMMAND_PATH.exists() and not options.pipeline
    load = os.getloadavg()
    print(
        f"Import benchmark: {', '.join(f'{r:,}' for r in options.rows)} rows; targets at "
        f"{TARGET_ROWS:,} rows: under {TARGET_SQLITE_SECONDS:.0f} s on SQLite and "
        f"{TARGET_POSTGRES_SECONDS:.0f} s on PostgreSQL, at most "
        f"{TARGET_CALAMINE_RATIO:.0f}x calamine's bare read, at least "
        f"{TARGET_IMPORT_EXPORT_FACTOR:.0f}x faster than django-import-export, peak memory "
        f"under {TARGET_PEAK_MB:.0f} MB"
    )
    print("Environment:")
    common.print_environment(options.postgres_url if "postgresql" in databases else None)
    print(f"  {'packages:':<12} {package_versions()}")
    print(
        f"  {'load:':<12} {load[0]:.2f} at start (1 min); "
        + (
            f"ABOVE {BUSY_LOAD} on {os.cpu_count()} CPUs: other work is running and every "
            "figure below is slowed down by it"
            if load[0] > BUSY_LOAD
            else "quiet enough"
        )
    )
    if not use_command:
        why = "--pipeline" if options.pipeline else f"{COMMAND_PATH.name} does not exist yet"
        print(
            f"  NOTE: {why}: the product is measured through pipeline.Importer in a script "
            "(read_table + Importer.run, as the command would), NOT through "
            "`partnerspace import_clients`."
        )
    print(flush=True)

    files = {rows: cached_file(rows, options.regenerate) for rows in options.rows}
    print(flush=True)
    sections: list[tuple[str, str, list[Run]]] = []
    profiled = False
    with common.scratch_directory("partnerspace-bench-import-") as directory:
        for database in databases:
            var_dir = directory / f"var-{database}"
            (var_dir / "static").mkdir(parents=True, exist_ok=True)
            db = (
                SqliteDatabase(directory)
                if database == "sqlite"
                else PostgresDatabase(options.postgres_url)
            )
            with db.base() as base_url:
                if base_url is None:
                    continue
                setup_path = directory / f"setup-{database}.json"
                status = common.run_django_process(
                    "benchmarks.imports",
                    ["--worker", "setup", "--results", str(setup_path)],
                    base_url,
                    var_dir,
                )
                setup = common.read_json(setup_path, {})
                if status != 0 or not setup:
                    print(f"{db.name}: the setup process exited with {status}; skipped.")
                    continue
                runs = measure_database(db, setup, files, var_dir, options, use_command)
                sections.append((db.name, setup["version"], runs))
                if options.profile and not profiled:
                    profiled = True
                    largest = files[max(files)][0]
                    phases = ["timing", "cprofile"]
                    if database == "sqlite":
                        phases[1:1] = ["no-fts", "one-batch"]
                    for phase in phases:
                        with db.copy() as url:
                            common.run_django_process(
                                "benchmarks.imports",
                                ["--worker", "profile", "--phase", phase, "--file", str(largest)],
                                url,
                                var_dir,
                            )
    failures = []
    for name, version, runs in sections:
        failures += report(name, version, runs, files, options, use_command)
    print_summary(failures, sections, use_command)
    return 0


def package_versions() -> str:
    from importlib.metadata import PackageNotFoundError, version

    parts = []
    for name in ("python-calamine", "XlsxWriter", "django-import-export", "tablib", "openpyxl"):
        try:
            parts.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            parts.append(f"{name} not installed")
    return ", ".join(parts)


def measure_database(db, setup, files, var_dir, options, use_command) -> list[Run]:
    slug = setup["slug"]
    product_label = (
        "import_clients (the product)"
        if use_command
        else "pipeline.Importer script (NOT the command)"
    )
    runs: list[Run] = []
    for rows, (path, manifest) in files.items():
        print(f"{db.name}, {rows:,} rows: measuring ({common.load_average()})", flush=True)
        calamine = Run("python-calamine bare read", rows)
        for _ in range(options.repeat):
            measure_calamine(calamine, path)
        runs.append(calamine)
        print(f"  {describe(calamine)}", flush=True)
        product = Run(product_label, rows)
        for attempt in range(options.repeat):
            with db.copy() as url:
                measure_product(product, path, url, var_dir, slug, manifest)
                if attempt == 0:
                    verify(url, var_dir, slug, product, manifest)
        runs.append(product)
        print(f"  {describe(product)}", flush=True)
        if options.no_import_export:
            continue
        labels = ["import-export, default mode"]
        if not options.no_bulk:
            labels.append("import-export, bulk mode")
        for label in labels:
            run = Run(label, rows)
            runs.append(run)
            if "default" in label and rows > options.import_export_max_rows:
                run.ran, run.extrapolated = False, True
                continue
            for attempt in range(options.import_export_repeat):
                with db.copy() as url:
                    measure_import_export(run, path, url, var_dir, slug)
                    if attempt == 0:
                        verify(url, var_dir, slug, run, manifest)
            print(f"  {describe(run)}", flush=True)
    extrapolate(runs)
    return runs


def describe(run: Run) -> str:
    times = ", ".join(f"{s:.2f}" for s in run.samples)
    text = (
        f"{run.label}: wall {times} s (best {run.seconds:.2f}), peak {run.peak_mb:.0f} MB, "
        f"load {', '.join(f'{x:.1f}' for x in run.loads)}"
    )
    if run.problems:
        text += "; PROBLEMS: " + " | ".join(run.problems)
    return text


def extrapolate(runs: list[Run]) -> None:
    """import-export's default mode on a file it was not run on: from the largest one it was
    run on, its fixed start-up kept and its per-row part scaled linearly with the rows."""
    measured = [r for r in runs if r.label == "import-export, default mode" and r.ran and r.samples]
    if not measured:
        for run in runs:
            if run.label == "import-export, default mode" and not run.ran:
                run.extrapolated = False  # nothing to extrapolate from: shown as "-"
        return
    basis = max(measured, key=lambda r: r.rows)
    startup = basis.inner.get("startup_seconds", 0.0)
    per_row = (basis.seconds - startup) / basis.rows
    for run in runs:
        if run.label == "import-export, default mode" and not run.ran:
            run.estimate = startup + per_row * run.rows
            run.inner = {"basis_rows": basis.rows}


def _find(runs: list[Run], rows: int, prefix: str) -> Run | None:
    return next((r for r in runs if r.rows == rows and r.label.startswith(prefix)), None)


def report(name, version, runs: list[Run], files, options, use_command) -> list[str]:
    product_prefix = "import_clients" if use_command else "pipeline"
    print(f"\n{name} {version}")
    details = []
    for run in runs:
        if not run.ran:
            details.append([run.label, f"{run.rows:,}", "0", "not run", *["-"] * 7])
            continue
        checked = run.checked
        warnings = run.inner.get("warnings")
        details.append(
            [
                run.label,
                f"{run.rows:,}",
                len(run.samples),
                f"{run.seconds:.2f}",
                f"{run.median:.2f}",
                f"{run.peak_mb:.0f}",
                f"{run.rows / run.seconds:,.0f}",
                f"{run.load:.1f}",
                f"{checked['clients']:,}" if checked else "-",
                f"{len(warnings):,}" if isinstance(warnings, list) else "-",
                "OK" if not run.problems else "PROBLEM",
            ]
        )
    common.print_table(
        [
            "run",
            "rows",
            "runs",
            "best s",
            "median s",
            "peak MB",
            "rows/s",
            "max load",
            "clients",
            "warnings",
            "check",
        ],
        details,
        align="lrrrrrrrrrl",
    )
    for run in runs:
        for problem in run.problems:
            print(f"  PROBLEM {run.label}, {run.rows:,} rows: {problem}")
        inner = run.inner
        if run.label.startswith("import-export") and run.ran and inner:
            print(
                f"  {run.label}, {run.rows:,} rows: start-up {inner['startup_seconds']:.2f} s, "
                f"reading {inner['read_seconds']:.2f} s ({inner['reader']}), import_data "
                f"{inner['import_seconds']:.2f} s"
            )
    digests = {(r.rows, r.label): r.checked.get("digest") for r in runs if r.checked}
    for rows in files:
        ours = digests.get(
            (rows, next((r.label for r in runs if r.label.startswith(product_prefix)), ""))
        )
        others = [
            label for (n, label), digest in digests.items()
            if n == rows and digest and ours and digest != ours
        ]  # fmt: skip
        if others:
            print(f"  NOTE {rows:,} rows: stored values differ from the product's: {others}")
        elif ours:
            print(f"  {rows:,} rows: every import stored the same values (digest {ours[:12]})")

    summary, checks, failures = [], [], []
    for rows in files:
        calamine = _find(runs, rows, "python-calamine")
        product = _find(runs, rows, product_prefix)
        default = _find(runs, rows, "import-export, default")
        bulk = _find(runs, rows, "import-export, bulk")
        if calamine is None or product is None:
            continue
        bare = min(calamine.inner.get("reads") or [calamine.seconds])
        ratio = product.seconds / bare
        summary.append(
            [
                f"{rows:,}",
                f"{bare:.2f}",
                f"{product.seconds:.2f}",
                f"{product.peak_mb:.0f}",
                f"{ratio:.1f}x",
                _ie_cell(default),
                _factor_cell(default, product),
                _ie_cell(bulk),
                _factor_cell(bulk, product),
            ]
        )
        target = rows >= TARGET_ROWS
        lines = []
        limit = TARGET_SQLITE_SECONDS if name == "SQLite" else TARGET_POSTGRES_SECONDS
        lines.append(
            (
                f"validated and imported in under {limit:.0f} s",
                f"{product.seconds:.2f} s",
                product.seconds < limit,
            )
        )
        lines.append(
            (
                f"at most {TARGET_CALAMINE_RATIO:.0f}x calamine's bare read",
                f"{ratio:.1f}x",
                ratio <= TARGET_CALAMINE_RATIO,
            )
        )
        if default is not None and (default.samples or default.extrapolated):
            factor = default.seconds / product.seconds
            basis = " (extrapolated)" if default.extrapolated else ""
            lines.append(
                (
                    f"at least {TARGET_IMPORT_EXPORT_FACTOR:.0f}x faster than import-export",
                    f"{factor:.1f}x{basis}",
                    factor >= TARGET_IMPORT_EXPORT_FACTOR,
                )
            )
        lines.append(
            (
                f"peak memory under {TARGET_PEAK_MB:.0f} MB",
                f"{product.peak_mb:.0f} MB",
                product.peak_mb < TARGET_PEAK_MB,
            )
        )
        if product.problems:
            lines.append(("imported every row correctly", "see PROBLEM above", False))
        for label, value, passed in lines:
            verdict = ("PASS" if passed else "FAIL") if target else (
                "(pass)" if passed else "(fail)"
            )  # fmt: skip
            checks.append([f"{rows:,}", label, value, verdict])
            if target and not passed:
                failures.append(f"{name}, {rows:,} rows: {label}: {value}")
    print()
    common.print_table(
        [
            "rows",
            "calamine read s",
            f"{product_prefix} s",
            "peak MB",
            "x calamine",
            "import-export s",
            "x faster",
            "i-e bulk s",
            "x faster",
        ],
        summary,
    )
    print()
    common.print_table(["rows", "target", "measured", "result"], checks, align="rllr")
    print(
        "  'calamine read': python-calamine's read of the whole sheet inside its process "
        "(the stricter divisor; its process's wall time is in the table above). "
        f"'{product_prefix}' and import-export: wall time of the whole process, Django's "
        "start-up, reading and writing included. Each figure is the best of its runs "
        "(other work on the machine only ever adds time); peak MB the largest of its "
        "runs. Targets are set at "
        f"{TARGET_ROWS:,} rows; (pass)/(fail) at other sizes are for information."
    )
    basis = next((r.inner.get("basis_rows") for r in runs if r.extrapolated), None)
    if basis:
        print(
            "  '~': import-export's default mode was NOT run on this file: extrapolated "
            f"linearly from its {basis:,}-row run (start-up kept, the rest times the rows). "
            "--import-export-max-rows 100000 runs it."
        )
    sys.stdout.flush()
    return failures


def _ie_cell(run: Run | None) -> str:
    if run is None:
        return "-"
    if run.extrapolated:
        return f"~{run.seconds:.0f}"
    return f"{run.seconds:.2f}" if run.samples else "-"


def _factor_cell(run: Run | None, product: Run) -> str:
    if run is None or not (run.samples or run.extrapolated):
        return "-"
    return ("~" if run.extrapolated else "") + f"{run.seconds / product.seconds:.1f}x"


def print_summary(failures: list[str], sections, use_command: bool) -> None:
    print("\nSummary:")
    print(f"  {common.load_average()} at the end")
    if not use_command:
        print("  NOTE: measured through pipeline.Importer, not the import_clients command.")
    if not sections:
        print("  nothing was measured")
        return
    problems = [
        f"{name}: {run.label}, {run.rows:,} rows"
        for name, _, runs in sections
        for run in runs
        if run.problems
    ]
    for line in problems:
        print(f"  PROBLEM {line} (see above)")
    for line in failures:
        print(f"  FAIL {line}")
    if not failures:
        print(f"  every target at {TARGET_ROWS:,} rows measured was met")
    else:
        print(f"  {len(failures)} target(s) failed (reported, not asserted).")
    sys.stdout.flush()


# --------------------------------------------------------------------------------------
# The child processes
# --------------------------------------------------------------------------------------


def worker(options: argparse.Namespace) -> int:
    started = time.perf_counter()
    common.setup_django()
    if options.worker == "setup":
        return worker_setup(options)
    if options.worker == "pipeline":
        return worker_pipeline(options)
    if options.worker == "import-export":
        return worker_import_export(options, started)
    if options.worker == "verify":
        return worker_verify(options)
    return worker_profile(options)


def worker_setup(options) -> int:
    """Migrate, and make the firm: an administrator, an accountant, an integration, and a
    template that assigns the accountant and links the integration."""
    from django.core.management import call_command
    from django.db import connection

    from partnerspace.accounts.models import User
    from partnerspace.configuration.services import integration_install, template_create
    from partnerspace.firms.models import Membership
    from partnerspace.firms.services import firm_create

    with common.Stopwatch() as watch:
        call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        sqlite = connection.vendor == "sqlite"
        cursor.execute("SELECT sqlite_version()" if sqlite else "SHOW server_version")
        version = cursor.fetchone()[0]
    created = firm_create(
        name="Boekhoudkantoor Benchmark",
        slug=FIRM_SLUG,
        admin_email=ADMIN_EMAIL,
        admin_password="benchmark-only-password-7f3a",
        admin_first_name="Anna",
        admin_last_name="Peeters",
    )
    admin = Membership.objects.get(firm=created.firm, user=created.administrator)
    accountant = Membership.objects.create(
        firm=created.firm,
        user=User.objects.create_user(
            "boekhouder@bench.example", None, first_name="Bart", last_name="Maes"
        ),
        is_accountant=True,
    )
    integration_install(membership=admin, key=INTEGRATION_KEY, settings={"region": "be"})
    template_create(
        membership=admin,
        name=TEMPLATE_NAME,
        user_ids=[accountant.pk],
        integrations=[{"integration": INTEGRATION_KEY, "settings": {}}],
    )
    print(
        f"{'SQLite' if sqlite else 'PostgreSQL'} {version}: migrated in {watch.seconds:.1f} s; "
        f"firm '{FIRM_SLUG}' with template '{TEMPLATE_NAME}' (1 staff member, "
        f"{INTEGRATION_KEY}) (not timed)",
        flush=True,
    )
    common.write_json(options.results, {"slug": FIRM_SLUG, "version": version})
    return 0


def _firm_and_actor(slug: str):
    from partnerspace.firms.models import Firm, Membership

    firm = Firm.objects.get(slug=slug)
    actor = Membership.objects.filter(firm=firm, is_administrator=True).first().user
    return firm, actor


def worker_pipeline(options) -> int:
    """What `import_clients --json` does, until it exists: read, check and import, summary."""
    from partnerspace.imports.pipeline import Importer
    from partnerspace.imports.reading import read_table

    firm, actor = _firm_and_actor(options.firm)
    path = Path(options.file)
    sheet = read_table(path.read_bytes(), filename=path.name)
    outcome = Importer(firm=firm, actor=actor).run(sheet)
    print(json.dumps(outcome.as_json()))
    return 0


def worker_import_export(options, started: float) -> int:
    from benchmarks.import_export_baseline import BulkClientResource, ClientResource, read_dataset

    firm, actor = _firm_and_actor(options.firm)
    startup = time.perf_counter() - started
    with common.Stopwatch() as reading:
        dataset, reader = read_dataset(options.file)
    resource_class = BulkClientResource if options.bulk else ClientResource
    resource = resource_class(firm=firm, actor=actor)
    with common.Stopwatch() as importing:
        result = resource.import_data(dataset, dry_run=False)
    first_problem = None
    if result.has_errors():
        errors = result.base_errors + [e for _, row in result.row_errors() for e in row]
        first_problem = repr(errors[0].error) if errors else "errors"
    elif result.has_validation_errors():
        invalid = result.invalid_rows[0]
        first_problem = f"row {invalid.number}: {invalid.error_dict}"
    common.write_json(
        options.results,
        {
            "startup_seconds": startup,
            "read_seconds": reading.seconds,
            "import_seconds": importing.seconds,
            "reader": reader,
            "new": result.totals.get("new", 0),
            "invalid": result.totals.get("invalid", 0),
            "error": result.totals.get("error", 0),
            "first_problem": first_problem,
        },
    )
    return 0


def worker_verify(options) -> int:
    """Counts of what the firm's import wrote, and a digest of the stored values."""
    import hashlib

    from partnerspace.clients.models import ClientAssignment, ClientHistory, Contact
    from partnerspace.configuration.models import ClientIntegration
    from partnerspace.firms.models import Firm

    firm = Firm.objects.get(slug=options.firm)
    clients = firm.clients.all()
    fields = (
        "legal_name", "country", "company_number", "vat_number", "external_reference", "iban",
        "street", "house_number", "box", "postal_code", "city", "peppol_mandate",
        "template_name", "status", "search_text", "sort_name",
    )  # fmt: skip
    contacts = {
        c[0]: c[1:]
        for c in Contact.objects.filter(client__firm=firm, is_primary=True).values_list(
            "client_id", "first_name", "last_name", "email", "locale"
        )
    }
    lines = sorted(
        repr((*values, *contacts.get(pk, ()))) for pk, *values in clients.values_list("pk", *fields)
    )
    digest = hashlib.sha256("\n".join(lines).encode()).hexdigest()
    common.write_json(
        options.results,
        {
            "clients": clients.count(),
            "contacts": Contact.objects.filter(client__firm=firm).count(),
            "searchable": clients.exclude(search_text="").exclude(sort_name="").count(),
            "assignments": ClientAssignment.objects.filter(client__firm=firm).count(),
            "integrations": ClientIntegration.objects.filter(client__firm=firm).count(),
            "history": ClientHistory.objects.filter(client__firm=firm).count(),
            "mandates": clients.filter(peppol_mandate=True).count(),
            "digest": digest,
        },
    )
    return 0


def worker_profile(options) -> int:
    """Where the pipeline's time goes: its phases and parts timed (`--phase timing`), or the
    whole import under cProfile (`--phase cprofile`). Each in its own fresh database."""
    from django.db import connection

    from partnerspace.imports.pipeline import Importer
    from partnerspace.imports.reading import read_table

    firm, actor = _firm_and_actor(options.firm)
    path = Path(options.file)
    raw = path.read_bytes()
    if options.phase == "cprofile":
        return _cprofile(lambda: Importer(firm=firm, actor=actor).run(
            read_table(raw, filename=path.name)
        ))  # fmt: skip
    if options.phase == "no-fts":
        # An experiment on this scratch copy only: what the search index's trigger costs.
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER clients_client_fts_insert")
    with common.Stopwatch() as reading:
        sheet = read_table(raw, filename=path.name)
    peak_read = _peak_mb()
    with common.Stopwatch() as checking:
        Importer(firm=firm, actor=actor, dry_run=True).run(sheet)
    peak_checked = _peak_mb()
    spent = _instrument()
    # An experiment: every row in one batch, so one transaction (the product writes 2,000
    # rows per transaction).
    batch = {"batch_size": len(sheet.rows)} if options.phase == "one-batch" else {}
    with common.Stopwatch() as importing:
        outcome = Importer(firm=firm, actor=actor, **batch).run(sheet)
    experiment = {
        "no-fts": ", WITHOUT the FTS5 insert trigger (dropped in this scratch copy, to measure it)",
        "one-batch": ", all rows in ONE batch and transaction (the product: 2,000 per batch)",
    }.get(options.phase, "")
    print(
        f"\nWhere the pipeline's time goes, {sheet.row_count:,} rows on {connection.vendor}"
        f"{experiment} (in one process, Django already set up; {common.load_average()}):"
    )
    rows = [
        ["read_table (calamine + the reader's checks and conversion)", reading.seconds, peak_read],
        ["a dry run: every row checked, nothing written", checking.seconds, peak_checked],
        [
            f"the import: checked and written ({outcome.created:,} created)",
            importing.seconds,
            _peak_mb(),
        ],
    ]
    common.print_table(
        ["phase", "s", "peak RSS MB so far"],
        [[label, f"{value:.2f}", f"{peak:.0f}"] for label, value, peak in rows],
        align="lrr",
    )
    print(f"\n  inside the import ({importing.seconds:.2f} s):")
    parts = sorted(spent.items(), key=lambda item: -item[1])
    common.print_table(
        ["part (timed by wrapping the function)", "s", "share"],
        [[name, f"{value:.2f}", f"{value / importing.seconds:.0%}"] for name, value in parts],
        align="lrr",
    )
    sys.stdout.flush()
    return 0


def _peak_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _instrument() -> dict[str, float]:
    """Wrap the pipeline's parts with timers (in this child process only)."""
    from collections import defaultdict

    from partnerspace.configuration import services as configuration_services
    from partnerspace.imports import pipeline

    spent: dict[str, float] = defaultdict(float)

    def timed(owner, name: str, label):
        original = getattr(owner, name)

        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                key = label(args) if callable(label) else label
                spent[key] += time.perf_counter() - started

        setattr(owner, name, wrapper)

    timed(pipeline, "client_clean", "client_clean (company rules, per row)")
    timed(pipeline, "contact_clean", "contact_clean (contact rules, per row)")
    timed(pipeline.Importer, "_match", "duplicate and existing-client checks")
    timed(pipeline.Importer, "_template", "template look-up")
    timed(pipeline, "client_search_fields", "client_search_fields (per row)")
    timed(pipeline, "creation_changes", "history JSON built (creation_changes)")
    timed(pipeline, "reserve_ids", "reserve_ids")
    timed(pipeline, "insert_rows", lambda args: f"INSERT {args[0]._meta.db_table} (executemany)")
    timed(
        configuration_services,
        "template_apply",
        "template_apply (assignments, integration links, history: ORM bulk_create)",
    )
    timed(pipeline, "_after_import", "_after_import (Peppol hook)")
    timed(pipeline, "check_row", "  all of check_row (the rule rows above are inside it)")
    timed(pipeline.Importer, "_decide", "  all of _decide (the matching rows above are inside it)")
    timed(pipeline.Importer, "_write", "  all of _write (incl. its transaction's COMMIT)")
    return spent


def _cprofile(action) -> int:
    import cProfile
    import io
    import pstats

    profiler = cProfile.Profile()
    profiler.enable()
    outcome = action()
    profiler.disable()
    stats = pstats.Stats(profiler)
    print(
        f"\ncProfile of read_table + Importer.run ({outcome.created:,} created; "
        f"{stats.total_tt:.2f} s under the profiler, which slows Python code down; "
        f"{common.load_average()}):"
    )
    for order in ("tottime", "cumulative"):
        buffer = io.StringIO()
        pstats.Stats(profiler, stream=buffer).sort_stats(order).print_stats(25)
        lines = buffer.getvalue().splitlines()
        start = next(i for i, line in enumerate(lines) if "ncalls" in line)
        print(f"\n  top 25 by {order}:")
        for line in lines[start:]:
            if line.strip():
                line = line.replace(str(common.REPO_ROOT) + "/", "")
                print("  " + line.replace(".venv/lib/python3.11/site-packages/", "")[:150])
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    # The child processes: `python -m benchmarks.imports --worker ...`.
    sys.exit(main(sys.argv[1:]))
