"""The company register at the size of the real KBO Open Data: load, update, look-up, search.

Generates a synthetic full extract in the exact KBO Open Data format (cookbook R018.00) at the
real sizes, by default 2 M enterprises, 3.3 M names, 2.8 M addresses and 0.7 M contacts (names,
addresses and contacts of establishments included, as in the real files), and an update that
changes 10,000 enterprises. Then, for SQLite (a scratch file) and PostgreSQL (a scratch
database, skipped when unreachable), each in its own process:

- the bare baseline, measured in the same run on the same CSV files: SQLite's own `.import`
  (the sqlite3 command-line shell) into bare tables of a new file, and PostgreSQL's
  `COPY ... FROM STDIN (FORMAT csv)` into bare tables; both read the CSV files unpacked,
  where kbo_load reads the ZIP; on PostgreSQL a CHECKPOINT before each of the two, so that
  neither pays for the other's WAL;
- `partnerspace kbo_load` of the ZIP, as its own process: wall time and peak memory (of the
  process and the processes it starts to read files beside it, together);
- `kbo_update` of the update (in the benchmark's process: without start-up);
- p50 and p95 of a look-up by number and of a name search (the selectors the API calls).

    python -m benchmarks register                        # real sizes, both databases
    python -m benchmarks register --enterprises 200000   # a quick run
    python -m benchmarks register --database sqlite

It reports; it does not assert: the exit code is 0 when it ran, whatever the figures.
"""

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import threading
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from benchmarks import common
from partnerspace.register.kbo import COLUMNS

SEED = 20251004
UPDATED_ENTERPRISES = 10_000

TARGETS = {
    "load_vs_baseline": 2.0,
    "load_seconds": 300.0,
    "peak_mb": 500.0,
    "update_seconds": 5.0,
    "lookup_p95_ms": 5.0,
    "search_p95_ms": 30.0,
}

FILES = ("meta", "code", "enterprise", "establishment", "denomination", "address", "contact")
# The register's own reading of the cookbook's columns, and the establishments it skips.
HEADERS = {**COLUMNS, "establishment": ("EstablishmentNumber", "StartDate", "EnterpriseNumber")}


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks register",
        description="Load, update, look up and search the KBO register at the real sizes.",
    )
    parser.add_argument("--enterprises", type=int, default=2_000_000)
    parser.add_argument("--repeat", type=int, default=200, help="measured look-ups/searches")
    common.add_database_options(parser)
    parser.add_argument("--files", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.enterprises < 20_000:
        parser.error("--enterprises must be at least 20000 (the update changes 10,000)")
    return options


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    if options.worker:
        return worker(options)
    common.print_heading(
        f"Register benchmark: a synthetic KBO Open Data full extract of "
        f"{options.enterprises:,} enterprises, an update of {UPDATED_ENTERPRISES:,}",
        options,
    )
    with common.scratch_directory() as directory:
        files = directory / "files"
        with common.Stopwatch() as watch:
            sizes = generate(files, options.enterprises)
        print(
            f"generated {sizes['enterprise']:,} enterprises, {sizes['denomination']:,} names, "
            f"{sizes['address']:,} addresses, {sizes['contact']:,} contacts "
            f"({sizes['csv_bytes'] / 1e6:,.0f} MB of CSV, {sizes['zip_bytes'] / 1e6:,.0f} MB "
            f"zipped) in {watch.seconds:.0f} s (not measured)\n",
            flush=True,
        )
        results, crashed = common.run_per_database(
            "benchmarks.register", argv, options, directory, extra=["--files", str(files)]
        )
    print_summary(results, crashed)
    print(f"\n{common.load_average()}")
    if warning := common.busy_warning():
        print(warning)
    return 1 if crashed else 0


# --------------------------------------------------------------------------------------
# The synthetic extract
# --------------------------------------------------------------------------------------

SURNAMES = [
    "Peeters",
    "Janssens",
    "Maes",
    "Jacobs",
    "Mertens",
    "Willems",
    "Claes",
    "Goossens",
    "Wouters",
    "Dubois",
    "Lambert",
    "Dupont",
    "Martin",
    "Simon",
    "Laurent",
    "Leclercq",
    "Lefèvre",
    "Vermeulen",
    "Hermans",
    "Desmet",
    "Verstraeten",
    "Michiels",
    "Aerts",
    "Coppens",
    "Pauwels",
    "Renard",
    "Dumont",
    "Lemaire",
    "Mathieu",
    "Gilson",
    "François",
    "Noël",
    "Hendrickx",
    "Segers",
    "Declercq",
    "Vandenberghe",
    "Cools",
    "Smets",
    "Bogaerts",
    "Stevens",
    "Verhoeven",
    "Jansen",
    "Wuyts",
    "Vervoort",
    "Lenaerts",
    "Thys",
    "Dierckx",
    "Verbeke",
    "Delvaux",
    "Gérard",
    "Denis",
    "Collard",
    "Müller",
    "Schmitz",
]
ACTIVITIES = [
    "Bouw",
    "Bakkerij",
    "Boulangerie",
    "Consult",
    "Transport",
    "Immo",
    "Garage",
    "Schrijnwerkerij",
    "Menuiserie",
    "Elektro",
    "Électricité",
    "Dakwerken",
    "Toitures",
    "Tuinaanleg",
    "Jardins",
    "Kapsalon",
    "Coiffure",
    "Apotheek",
    "Pharmacie",
    "Brasserie",
    "Taverne",
    "Frituur",
    "Slagerij",
    "Boucherie",
    "Architecten",
    "Advocaten",
    "Avocats",
    "Verzekeringen",
    "Assurances",
    "Boekhouding",
    "Comptabilité",
    "Schilderwerken",
    "Peinture",
    "Loodgieterij",
    "Plomberie",
    "Installaties",
    "Software",
    "Solutions",
    "Services",
    "Invest",
    "Holding",
    "Management",
    "Beheer",
]
PLACES = [
    "Antwerpen",
    "Gent",
    "Brugge",
    "Leuven",
    "Mechelen",
    "Hasselt",
    "Kortrijk",
    "Aalst",
    "Namur",
    "Liège",
    "Charleroi",
    "Mons",
    "Bruxelles",
    "Brussel",
    "Wavre",
    "Eupen",
    "Arlon",
    "Tournai",
    "Genk",
    "Oostende",
]
FORMS = ("610", "014", "706", "017", "030", "012", "008")
SYLLABLES = [
    "ka",
    "lo",
    "mi",
    "ne",
    "ra",
    "vo",
    "zu",
    "ti",
    "be",
    "de",
    "fa",
    "gi",
    "ho",
    "ju",
    "ke",
    "la",
    "ma",
    "no",
    "pe",
    "ri",
    "so",
    "te",
    "va",
    "wi",
    "xo",
    "ze",
]
MUNICIPALITIES = [
    ("1000", "Brussel", "Bruxelles"),
    ("2000", "Antwerpen", "Anvers"),
    ("3000", "Leuven", "Louvain"),
    ("4000", "Luik", "Liège"),
    ("5000", "Namen", "Namur"),
    ("8000", "Brugge", "Bruges"),
    ("9000", "Gent", "Gand"),
    ("4700", "Eupen", "Eupen"),
]
STREETS = ["Kerkstraat", "Stationsstraat", "Dorpstraat", "Rue de la Station", "Marktplein"]


def dotted(number: str) -> str:
    return f"{number[:4]}.{number[4:7]}.{number[7:]}"


def _number(index: int) -> str:
    """The index-th enterprise number: valid mod 97; one in fifty of the 1-series."""
    body = f"{2_000_000 + index * 4:08d}" if index % 50 else f"1{index:07d}"
    return body + f"{97 - int(body) % 97:02d}"


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if value else ""


def _line(values) -> str:
    return ",".join(_quote(value) for value in values) + "\r\n"


def _word(rng: random.Random) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _name(rng: random.Random) -> str:
    pattern = rng.random()
    if pattern < 0.3:
        return f"{rng.choice(SURNAMES)} {rng.choice(ACTIVITIES)}"
    if pattern < 0.5:
        return f"{rng.choice(ACTIVITIES)} {_word(rng)}"
    if pattern < 0.65:
        return f"{_word(rng)} {_word(rng)}"
    if pattern < 0.8:
        return f"{rng.choice(ACTIVITIES)} {rng.choice(SURNAMES)} & {rng.choice(SURNAMES)}"
    if pattern < 0.9:
        return f"{_word(rng)} {rng.choice(ACTIVITIES)} {rng.choice(PLACES)}"
    return f"{rng.choice(SURNAMES)}, {_word(rng)}"


def _codes():
    rows = [("JuridicalSituation", "000", "NL", "Normale toestand")]
    rows.append(("JuridicalSituation", "000", "FR", "Situation normale"))
    for code in FORMS:
        rows += [("JuridicalForm", code, "NL", f"Rechtsvorm {code}")]
        rows += [("JuridicalForm", code, "FR", f"Forme juridique {code}")]
    for code, nl, fr in [
        ("1", "Natuurlijk persoon", "Personne physique"),
        ("2", "Rechtspersoon", "Personne morale"),
    ]:
        rows += [("TypeOfEnterprise", code, "NL", nl), ("TypeOfEnterprise", code, "FR", fr)]
    for code, nl, fr in [
        ("001", "Naam", "Dénomination"),
        ("002", "Afkorting", "Abréviation"),
        ("003", "Commerciële naam", "Dénomination commerciale"),
    ]:
        rows += [("TypeOfDenomination", code, "NL", nl), ("TypeOfDenomination", code, "FR", fr)]
    for code, nl, fr in [
        ("REGO", "Maatschappelijke zetel", "Siège social"),
        ("BAET", "Vestigingseenheid", "Unité d'établissement"),
    ]:
        rows += [("TypeOfAddress", code, "NL", nl), ("TypeOfAddress", code, "FR", fr)]
    for index in range(6000):  # the NACE codes a real code.csv has, which the register skips
        rows += [("Nace2008", f"{index:05d}", "NL", f"Activiteit {index}")]
    return rows


@dataclass
class _Enterprise:
    number: str
    natural: bool
    names: list[tuple[str, str, str]]
    seat: tuple | None
    contacts: list[tuple[str, str]]
    establishments: list[str] = field(default_factory=list)


def _enterprise(rng: random.Random, index: int) -> _Enterprise:
    number = _number(index)
    natural = rng.random() < 0.4
    language = rng.choice("2222211")
    names = [(language, "001", _name(rng))]
    extra = rng.random()
    if extra < 0.15:
        names.append(("1" if language == "2" else "2", "001", _name(rng)))
    elif extra < 0.25:
        names.append((language, "003", _name(rng)))
    elif extra < 0.30:
        names.append((language, "002", "".join(w[0] for w in names[0][2].split()).upper()))
    seat = None
    if not natural:
        zipcode, nl, fr = rng.choice(MUNICIPALITIES)
        street = rng.choice(STREETS)
        seat = (
            "REGO",
            "",
            "",
            zipcode,
            nl,
            fr,
            street,
            street,
            str(rng.randint(1, 250)),
            "",
            "",
            "",
        )
    contacts = []
    if rng.random() < 0.25:
        digits = [rng.randint(10, 99) for _ in range(4)]
        contacts.append(("TEL", "0{} {} {} {}".format(*digits)))
    return _Enterprise(number, natural, names, seat, contacts)


def generate(directory: Path, enterprises: int) -> dict:
    """The full extract's CSV files and ZIP, and an update of UPDATED_ENTERPRISES, in
    `directory`; the counts of rows."""
    directory.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    counts = dict.fromkeys(FILES, 0)
    handles = {
        name: open(directory / f"{name}.csv", "w", encoding="utf-8", newline="")  # noqa: SIM115
        for name in FILES
    }
    for name, handle in handles.items():
        handle.write(_line(HEADERS[name]))
    handles["meta"].writelines(
        _line(row)
        for row in [
            ("SnapshotDate", "03-10-2025"),
            ("ExtractTimestamp", "05-10-2025 07:41:38"),
            ("ExtractType", "full"),
            ("ExtractNumber", "140"),
            ("Version", "1.0.0"),
        ]
    )
    handles["code"].writelines(_line(row) for row in _codes())
    establishment_index = 0
    sample_numbers, sample_names = [], []
    for index in range(enterprises):
        item = _enterprise(rng, index)
        dotted_number = dotted(item.number)
        form = "" if item.natural else rng.choice(FORMS)
        start = f"{rng.randint(1, 28):02d}-{rng.randint(1, 12):02d}-{rng.randint(1950, 2025)}"
        handles["enterprise"].write(
            _line((dotted_number, "AC", "000", "1" if item.natural else "2", form, "", start))
        )
        counts["enterprise"] += 1
        for language, kind, name in item.names:
            handles["denomination"].write(_line((dotted_number, language, kind, name)))
        counts["denomination"] += len(item.names)
        if item.seat:
            handles["address"].write(_line((dotted_number, *item.seat)))
            counts["address"] += 1
        for kind, value in item.contacts:
            handles["contact"].write(_line((dotted_number, "ENT", kind, value)))
            counts["contact"] += 1
        # Establishments: their names, addresses and contacts are in the same files.
        for _ in range(1 if rng.random() < 0.55 else 2 if rng.random() < 0.3 else 0):
            establishment_index += 1
            digits = f"{establishment_index:09d}"
            est = f"2.{digits[:3]}.{digits[3:6]}.{digits[6:]}"
            handles["establishment"].write(_line((est, start, dotted_number)))
            zipcode, nl, fr = rng.choice(MUNICIPALITIES)
            street = rng.choice(STREETS)
            handles["address"].write(
                _line((est, "BAET", "", "", zipcode, nl, fr, street, street, "1", "", "", ""))
            )
            counts["address"] += 1
            if rng.random() < 0.45:
                handles["denomination"].write(_line((est, item.names[0][0], "003", _name(rng))))
                counts["denomination"] += 1
            if rng.random() < 0.12:
                handles["contact"].write(_line((est, "EST", "TEL", "02 123 45 67")))
                counts["contact"] += 1
        if index % 997 == 0:
            sample_numbers.append(item.number)
            sample_names.append(item.names[0][2])
    for handle in handles.values():
        handle.close()
    csv_bytes = sum((directory / f"{name}.csv").stat().st_size for name in FILES)
    full_zip = directory / "KboOpenData_0140_2025_10_Full.zip"
    with zipfile.ZipFile(full_zip, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for name in FILES:
            archive.write(directory / f"{name}.csv", f"{name}.csv")
    _generate_update(directory, rng, enterprises)
    (directory / "samples.txt").write_text(
        "\n".join(sample_numbers) + "\n--\n" + "\n".join(sample_names), encoding="utf-8"
    )
    return {**counts, "csv_bytes": csv_bytes, "zip_bytes": full_zip.stat().st_size}


def _generate_update(directory: Path, rng: random.Random, enterprises: int) -> None:
    """10,000 enterprises changed: 1% struck off, the others renamed, moved or both."""
    chosen = sorted(rng.sample(range(enterprises), UPDATED_ENTERPRISES))
    parts = {
        name: {"delete": [], "insert": []}
        for name in ("enterprise", "establishment", "denomination", "address", "contact")
    }
    for index in chosen:
        number = dotted(_number(index))
        for name in ("enterprise", "denomination", "address", "contact"):
            parts[name]["delete"].append((number,))
        if rng.random() < 0.01:
            continue  # struck off: deleted, nothing inserted
        item = _enterprise(rng, index)
        parts["enterprise"]["insert"].append(
            (
                number,
                "AC",
                "000",
                "1" if item.natural else "2",
                "" if item.natural else "610",
                "",
                "01-01-2000",
            )
        )
        parts["denomination"]["insert"] += [(number, *name) for name in item.names]
        if item.seat:
            parts["address"]["insert"].append((number, *item.seat))
        parts["contact"]["insert"] += [(number, "ENT", *contact) for contact in item.contacts]
    path = directory / "KboOpenData_0141_2025_10_Update.zip"
    meta = [
        ("SnapshotDate", "04-10-2025"),
        ("ExtractTimestamp", "05-10-2025 09:00:00"),
        ("ExtractType", "update"),
        ("ExtractNumber", "141"),
        ("Version", "1.0.0"),
    ]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        archive.writestr("meta.csv", _line(HEADERS["meta"]) + "".join(_line(r) for r in meta))
        archive.writestr("code.csv", _line(HEADERS["code"]) + "".join(_line(r) for r in _codes()))
        for name, rows in parts.items():
            first = HEADERS[name][0]
            archive.writestr(
                f"{name}_delete.csv", _line((first,)) + "".join(_line(r) for r in rows["delete"])
            )
            archive.writestr(
                f"{name}_insert.csv",
                _line(HEADERS[name]) + "".join(_line(r) for r in rows["insert"]),
            )


# --------------------------------------------------------------------------------------
# The child process of one database
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    baseline_seconds: float = 0.0
    baseline_what: str = ""
    baseline_peak_mb: float = 0.0
    load_seconds: float = 0.0
    load_peak_mb: float = 0.0
    update_seconds: float = 0.0
    lookup_p50: float = 0.0
    lookup_p95: float = 0.0
    search_p50: float = 0.0
    search_p95: float = 0.0
    searches: list = field(default_factory=list)
    problem: str = ""


def _run_measured(command: list[str], **kwargs) -> tuple[float, float, int]:
    """Wall seconds, peak memory (MB) and exit status of a child process. The peak is the
    largest sum of the resident memory of the process and the processes it started, sampled
    ten times a second (kbo_load reads some files in processes of its own), or the process's
    own peak when larger."""
    started = time.perf_counter()
    process = subprocess.Popen(command, **kwargs)
    done = threading.Event()
    tree_peak = [0.0]

    def sample() -> None:
        while not done.wait(0.1):
            tree_peak[0] = max(tree_peak[0], _tree_resident_mb(process.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    process.returncode = os.waitstatus_to_exitcode(status)
    return seconds, max(usage.ru_maxrss / 1024, tree_peak[0]), process.returncode


def _tree_resident_mb(root: int) -> float:
    """The resident memory (MB) of process `root` and its descendants now, read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", "rb") as stat:
                parent = int(stat.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue  # ended meanwhile
        children.setdefault(parent, []).append(int(entry.name))
    pages, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo += children.get(pid, [])
        try:
            with open(f"/proc/{pid}/statm", "rb") as statm:
                pages += int(statm.read().split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


def _partnerspace(*args: str) -> list[str]:
    return [sys.executable, "-m", "partnerspace", *args]


def worker(options: argparse.Namespace) -> int:
    common.setup_django()
    from django.core.management import call_command
    from django.db import connection

    files = Path(options.files)
    call_command("migrate", interactive=False, verbosity=0)
    result = Result(database=options.database)
    print(f"== {options.database} ==", flush=True)

    _checkpoint()
    result.baseline_seconds, result.baseline_peak_mb, result.baseline_what = baseline(files)
    print(
        f"bare baseline ({result.baseline_what}): {result.baseline_seconds:.1f} s, "
        f"peak {result.baseline_peak_mb:.0f} MB",
        flush=True,
    )
    _checkpoint()
    seconds, peak, status = _run_measured(
        _partnerspace("kbo_load", str(files / "KboOpenData_0140_2025_10_Full.zip"))
    )
    if status != 0:
        result.problem = f"kbo_load exited with {status}"
        common.write_json(options.results, [asdict(result)])
        return 0
    result.load_seconds, result.load_peak_mb = seconds, peak
    print(f"kbo_load: {seconds:.1f} s, peak {peak:.0f} MB", flush=True)
    # In this process: the update's own work, without a Python and Django start-up.
    with common.Stopwatch() as watch:
        call_command("kbo_update", str(files / "KboOpenData_0141_2025_10_Update.zip"))
    result.update_seconds = watch.seconds
    print(f"kbo_update of {UPDATED_ENTERPRISES:,} enterprises: {watch.seconds:.1f} s", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")  # what autovacuum does after such a load
    measure_reads(files, result, options.repeat)
    common.write_json(options.results, [asdict(result)])
    return 0


def _checkpoint() -> None:
    """PostgreSQL: write out what the steps before left in the WAL, so that each timed step
    starts clean and none pays for another's writing (the baseline's 600 MB, say). Left out
    where the role may not (CHECKPOINT needs a superuser or pg_checkpoint)."""
    from django.db import DatabaseError, connection

    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("CHECKPOINT")
    except DatabaseError as error:
        print(f"(no CHECKPOINT before the step: {error})", flush=True)


def baseline(files: Path) -> tuple[float, float, str]:
    from django.db import connection

    names = ("code", "enterprise", "denomination", "address", "contact")
    create = "".join(
        f"CREATE TABLE bare_{name} ({', '.join(f'{column} TEXT' for column in HEADERS[name])});\n"
        for name in names
    )
    if connection.vendor == "sqlite":
        target = files.parent / "bare.sqlite3"
        sqlite3_shell = shutil.which("sqlite3")
        if sqlite3_shell:
            script = create + "".join(
                f".import --csv --skip 1 {files / (name + '.csv')} bare_{name}\n" for name in names
            )
            seconds, peak, _status = _sqlite_shell(sqlite3_shell, target, script)
            target.unlink(missing_ok=True)
            return seconds, peak, "sqlite3 .import into bare tables"
        return (
            *_python_baseline(files, target, create, names),
            "Python csv + executemany (no sqlite3 shell here)",
        )
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(create)
    for name in names:
        with connection.cursor() as cursor:
            sql = f"COPY bare_{name} FROM STDIN (FORMAT csv, HEADER true)"
            with cursor.cursor.copy(sql) as copy, open(files / f"{name}.csv", "rb") as source:
                while chunk := source.read(1 << 20):
                    copy.write(chunk)
    seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        for name in names:
            cursor.execute(f"DROP TABLE bare_{name}")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return seconds, peak, "COPY (FORMAT csv) into bare tables"


def _sqlite_shell(shell: str, target: Path, script: str) -> tuple[float, float, int]:
    started = time.perf_counter()
    process = subprocess.Popen([shell, str(target)], stdin=subprocess.PIPE, text=True)
    process.stdin.write(script)
    process.stdin.close()
    _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - started, usage.ru_maxrss / 1024, process.returncode


def _python_baseline(files: Path, target: Path, create: str, names) -> tuple[float, float]:
    import csv
    import sqlite3

    started = time.perf_counter()
    database = sqlite3.connect(target)
    database.executescript(create)
    for name in names:
        with open(files / f"{name}.csv", encoding="utf-8", newline="") as source:
            reader = csv.reader(source)
            next(reader)
            marks = ", ".join("?" * len(HEADERS[name]))
            database.executemany(f"INSERT INTO bare_{name} VALUES ({marks})", reader)
        database.commit()
    database.close()
    target.unlink(missing_ok=True)
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def measure_reads(files: Path, result: Result, repeat: int) -> None:
    from partnerspace.register.selectors import register_companies_search, register_company_get

    numbers_text, names_text = (files / "samples.txt").read_text(encoding="utf-8").split("\n--\n")
    numbers = numbers_text.split()
    names = names_text.splitlines()
    rng = random.Random(SEED + 1)
    lookups = [rng.choice(numbers) for _ in range(repeat)]
    calls = iter(lookups * 2)
    timing = common.measure(lambda: register_company_get(next(calls)), repeat=repeat, warmup=5)
    result.lookup_p50, result.lookup_p95 = timing.median, timing.p95
    print(f"look-up by number: p50 {common.ms(timing.median)} ms, p95 {common.ms(timing.p95)} ms")

    # What people type: a whole name, its words in another order, a name cut short (the
    # last word a prefix), a single common word or its start.
    queries = []
    for _ in range(repeat):
        words = rng.choice(names).replace(",", "").replace("&", "").split()
        kind = rng.random()
        if kind < 0.3:
            queries.append(" ".join(words))
        elif kind < 0.5:
            queries.append(" ".join(reversed(words)))
        elif kind < 0.8:
            cut = words[-1][: max(2, len(words[-1]) // 2)]
            queries.append(" ".join([*words[:-1], cut]))
        else:
            queries.append(words[0][: rng.randint(3, len(words[0]) if len(words[0]) > 3 else 3)])
    query_calls = iter(queries * 2)
    found = []
    timing = common.measure(
        lambda: found.append(len(register_companies_search(next(query_calls)))),
        repeat=repeat,
        warmup=5,
    )
    result.search_p50, result.search_p95 = timing.median, timing.p95
    slowest = sorted(zip(timing.samples_ms, queries[5 : 5 + repeat], strict=False), reverse=True)
    result.searches = [(round(ms, 1), query) for ms, query in slowest[:5]]
    print(
        f"name search: p50 {common.ms(timing.median)} ms, p95 {common.ms(timing.p95)} ms "
        f"({sum(1 for n in found if n) / max(len(found), 1):.0%} of queries found something); "
        f"slowest: {result.searches}",
        flush=True,
    )


def print_summary(results: list[dict], crashed: list[str]) -> None:
    print(
        "\nSummary (targets: load within 2x the bare baseline and under 5 min, peak under "
        "500 MB, update under 5 s, look-up p95 under 5 ms, search p95 under 30 ms):"
    )
    for line in crashed:
        print(f"  CRASH {line}")
    rows = []
    for r in results:
        ratio = r["load_seconds"] / r["baseline_seconds"] if r["baseline_seconds"] else 0
        rows.append(
            (
                r["database"],
                f"{r['baseline_seconds']:.1f}",
                f"{r['load_seconds']:.1f}",
                f"{ratio:.2f}x",
                f"{r['load_peak_mb']:.0f}",
                f"{r['update_seconds']:.1f}",
                f"{common.ms(r['lookup_p50'])}/{common.ms(r['lookup_p95'])}",
                f"{common.ms(r['search_p50'])}/{common.ms(r['search_p95'])}",
                r["problem"],
            )
        )
    if rows:
        common.print_table(
            (
                "database",
                "baseline s",
                "kbo_load s",
                "ratio",
                "peak MB",
                "update s",
                "look-up p50/p95 ms",
                "search p50/p95 ms",
                "problem",
            ),
            rows,
            "lrrrrrrrl",
        )
    for r in results:
        print(f"  {r['database']} baseline: {r['baseline_what']}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
