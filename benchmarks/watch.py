"""The register watch: the pass after an update of 10,000 changed enterprises, against
100,000 clients spread over 100 firms.

A synthetic KBO Open Data full extract (the register benchmark's generator, by default
200,000 enterprises: the watch reads only the enterprises an update touches) is loaded; 100
firms get 1,000 clients each, drawn from a pool of 50,000 enterprises that holds the 10,000
the update changes, so that each changed enterprise is a client of about two firms; then an
update changes those 10,000 (1 % gone from the register, 5 % bankrupt, the others renamed,
moved, given another legal form, several at once). For SQLite and PostgreSQL (skipped when
unreachable), each in its own process:

- `kbo_update` with the watch's capture (the register data of the clients' enterprises,
  kept in the update's transaction), its pass left for later;
- the baseline, measured in the same run: a naive pass, one query per client (its company's
  data in the register now), compared in memory with the data kept before the update. It
  only reads: it writes no change, so it is a floor of what a per-client pass costs;
- the watch pass itself (`register.watch.watch_pass`): a few queries joining the update's
  numbers with the clients' numbers, and the changes written;
- the digest e-mails of the update (3 staff per firm, each client assigned to one; mails to
  Django's memory backend), and the menu's count of a firm's open changes (p50 and p95).

    python -m benchmarks watch
    python -m benchmarks watch --database sqlite --clients 20000

It reports; it does not assert: the exit code is 0 when it ran, whatever the figures.
"""

import argparse
import os
import random
import time
import zipfile
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import common
from benchmarks import register as register_bench

SEED = 20251207
CHANGED = 10_000
TARGET_SECONDS = 10.0
STAFF_PER_FIRM = 3
UPDATE_NAME = "KboOpenData_0141_2025_10_Watch_Update.zip"


def parse_options(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks watch",
        description="The register watch's pass after an update, against many firms' clients.",
    )
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=100_000)
    parser.add_argument("--firms", type=int, default=100)
    common.add_database_options(parser)
    parser.add_argument(
        "--profile", action="store_true", help="print where the watch pass spends its time"
    )
    parser.add_argument("--files", help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.enterprises < 5 * CHANGED:
        parser.error(f"--enterprises must be at least {5 * CHANGED}")
    if options.clients // options.firms > 5 * CHANGED:
        parser.error("a firm holds each enterprise once: more firms, or fewer clients")
    return options


def main(argv: list[str]) -> int:
    options = parse_options(argv)
    if options.worker:
        return worker(options)
    common.print_heading(
        f"Register watch benchmark: an update of {CHANGED:,} changed enterprises against "
        f"{options.clients:,} clients in {options.firms} firms (register of "
        f"{options.enterprises:,} enterprises)",
        options,
    )
    with common.scratch_directory() as directory:
        files = directory / "files"
        with common.Stopwatch() as watch:
            register_bench.generate(files, options.enterprises)
            generate_update(files, options.enterprises)
        print(f"generated the extract and the update in {watch.seconds:.0f} s (not measured)\n")
        results, crashed = common.run_per_database(
            "benchmarks.watch", argv, options, directory, extra=["--files", str(files)]
        )
    print_summary(results, crashed)
    print(f"\n{common.load_average()}")
    if warning := common.busy_warning():
        print(warning)
    return 1 if crashed else 0


# --------------------------------------------------------------------------------------
# The update and the clients
# --------------------------------------------------------------------------------------


def _pool(enterprises: int) -> tuple[list[int], list[int]]:
    """The indices of the enterprises the update changes, and of the clients' pool (those
    and 40,000 more)."""
    rng = random.Random(SEED)
    drawn = rng.sample(range(enterprises), 5 * CHANGED)
    return sorted(drawn[:CHANGED]), drawn


def generate_update(directory: Path, enterprises: int) -> None:
    rng = random.Random(SEED + 1)
    changed, _pool_indices = _pool(enterprises)
    names = ("enterprise", "establishment", "denomination", "address", "contact")
    parts = {name: {"delete": [], "insert": []} for name in names}
    line = register_bench._line
    for index in changed:
        number = register_bench.dotted(register_bench._number(index))
        for name in ("enterprise", "denomination", "address", "contact"):
            parts[name]["delete"].append((number,))
        if rng.random() < 0.01:
            continue  # gone from the register
        item = register_bench._enterprise(rng, index)
        situation = "012" if rng.random() < 0.05 else "000"
        form = "" if item.natural else rng.choice(register_bench.FORMS)
        parts["enterprise"]["insert"].append(
            (number, "AC", situation, "1" if item.natural else "2", form, "", "01-01-2000")
        )
        parts["denomination"]["insert"] += [(number, *name) for name in item.names]
        if item.seat:
            parts["address"]["insert"].append((number, *item.seat))
        parts["contact"]["insert"] += [(number, "ENT", *contact) for contact in item.contacts]
    meta = [
        ("SnapshotDate", "04-10-2025"),
        ("ExtractTimestamp", "05-10-2025 09:00:00"),
        ("ExtractType", "update"),
        ("ExtractNumber", "141"),
        ("Version", "1.0.0"),
    ]
    codes = [
        *register_bench._codes(),
        ("JuridicalSituation", "012", "NL", "Opening faillissement"),
        ("JuridicalSituation", "012", "FR", "Ouverture de faillite"),
    ]
    headers = register_bench.HEADERS
    with zipfile.ZipFile(directory / UPDATE_NAME, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("meta.csv", line(headers["meta"]) + "".join(line(r) for r in meta))
        archive.writestr("code.csv", line(headers["code"]) + "".join(line(r) for r in codes))
        for name, rows in parts.items():
            first = headers[name][0]
            archive.writestr(
                f"{name}_delete.csv", line((first,)) + "".join(line(r) for r in rows["delete"])
            )
            archive.writestr(
                f"{name}_insert.csv",
                line(headers[name]) + "".join(line(r) for r in rows["insert"]),
            )


def make_clients(options: argparse.Namespace) -> None:
    """`options.clients` clients over `options.firms` firms, written in bulk: each firm's
    drawn from the pool, each assigned to one of its STAFF_PER_FIRM staff."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from partnerspace.clients.models import Client, ClientAssignment, ClientStatus
    from partnerspace.firms.models import Firm, Membership

    rng = random.Random(SEED + 2)
    _changed, pool = _pool(options.enterprises)
    per_firm = options.clients // options.firms
    statuses = [ClientStatus.ACTIVE] * 7 + [ClientStatus.DRAFT, ClientStatus.INVITED]
    statuses.append(ClientStatus.ARCHIVED)
    now = timezone.now()
    user_model = get_user_model()
    for firm_index in range(options.firms):
        firm = Firm.objects.create(name=f"Kantoor {firm_index}", slug=f"kantoor-{firm_index}")
        staff = [
            Membership.objects.create(
                firm=firm,
                user=user_model.objects.create_user(
                    email=f"staff{person}@kantoor-{firm_index}.example",
                    password=None,
                    first_name=f"Staff {person}",
                    last_name="Bench",
                    language=rng.choice(("nl", "nl", "fr", "en")),
                ),
                is_accountant=True,
            )
            for person in range(STAFF_PER_FIRM)
        ]
        clients = Client.objects.bulk_create(
            [
                Client(
                    firm=firm,
                    legal_name=f"Klant {firm_index}-{index} BV",
                    sort_name=f"klant {firm_index}-{index} bv",
                    country="BE",
                    company_number=register_bench._number(enterprise),
                    city="Gent",
                    status=rng.choice(statuses),
                    created_at=now,
                    updated_at=now,
                )
                for index, enterprise in enumerate(rng.sample(pool, per_firm))
            ],
            batch_size=1_000,
        )
        ClientAssignment.objects.bulk_create(
            [
                ClientAssignment(client=client, membership=staff[index % STAFF_PER_FIRM])
                for index, client in enumerate(clients)
            ],
            batch_size=1_000,
        )


# --------------------------------------------------------------------------------------
# The child process of one database
# --------------------------------------------------------------------------------------


@dataclass
class Result:
    database: str
    update_seconds: float = 0.0
    capture_seconds: float = 0.0
    watched: int = 0
    baseline_seconds: float = 0.0
    baseline_cpu: float = 0.0
    baseline_queries: int = 0
    baseline_clients_flagged: int = 0
    pass_seconds: float = 0.0
    pass_cpu: float = 0.0
    pass_queries: int = 0
    changes: int = 0
    clients_flagged: int = 0
    digest_seconds: float = 0.0
    digests: int = 0
    count_p50: float = 0.0
    count_p95: float = 0.0


def worker(options: argparse.Namespace) -> int:
    # The digest is the worker's job: here it is queued, not run, and timed on its own.
    os.environ["TASKS_BACKEND"] = "django_tasks.backends.dummy.DummyBackend"
    common.setup_django()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    from partnerspace.register import watch
    from partnerspace.register.digest import register_digests_send
    from partnerspace.register.models import RegisterChange, RegisterWatchPending
    from partnerspace.register.selectors import register_changes_count
    from partnerspace.register.services import register_update

    files = Path(options.files)
    call_command("migrate", interactive=False, verbosity=0)
    result = Result(database=options.database)
    print(f"== {options.database} ==", flush=True)
    call_command("kbo_load", str(files / "KboOpenData_0140_2025_10_Full.zip"), verbosity=0)
    with common.Stopwatch() as clock:
        make_clients(options)
    print(f"{options.clients:,} clients written in {clock.seconds:.0f} s (not measured)")
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")

    capture = watch.watch_capture
    captured_seconds = []

    def timed_capture(**kwargs):
        with common.Stopwatch() as inner:
            watched = capture(**kwargs)
        captured_seconds.append(inner.seconds)
        return watched

    watch.watch_capture = timed_capture
    with common.Stopwatch() as clock:
        register_update(path=files / UPDATE_NAME, watch_now=False)
    watch.watch_capture = capture
    result.update_seconds = clock.seconds
    result.capture_seconds = sum(captured_seconds)
    result.watched = RegisterWatchPending.objects.count()
    print(
        f"kbo_update: {clock.seconds:.1f} s, of which the watch's capture "
        f"{result.capture_seconds:.1f} s "
        f"({result.watched:,} clients' enterprises kept)",
        flush=True,
    )

    cpu = time.process_time()
    with common.Stopwatch() as clock:
        queries, flagged = naive_pass()
    result.baseline_cpu = time.process_time() - cpu
    result.baseline_seconds = clock.seconds
    result.baseline_queries = queries
    result.baseline_clients_flagged = flagged
    print(
        f"baseline, a query per client: {clock.seconds:.1f} s (CPU here "
        f"{result.baseline_cpu:.1f} s), {queries:,} queries, "
        f"{flagged:,} clients with a change",
        flush=True,
    )

    profiler = None
    if options.profile:
        import cProfile

        profiler = cProfile.Profile()
    cpu = time.process_time()
    with CaptureQueriesContext(connection) as captured, common.Stopwatch() as clock:
        run = watch.watch_pass if profiler is None else lambda: profiler.runcall(watch.watch_pass)
        outcome = run()
    result.pass_cpu = time.process_time() - cpu
    result.pass_seconds = clock.seconds
    result.pass_queries = len(captured)
    reset_queries()
    result.changes = RegisterChange.objects.count()
    result.clients_flagged = outcome.clients
    print(
        f"watch pass: {clock.seconds:.1f} s (CPU here {result.pass_cpu:.1f} s), "
        f"{result.pass_queries} queries, {result.changes:,} "
        f"changes for {outcome.clients:,} clients",
        flush=True,
    )

    if profiler is not None:
        import pstats

        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
        for query in captured.captured_queries:
            print(f"{query['time']} s: {query['sql'][:160]}")
    with common.Stopwatch() as clock:
        result.digests = register_digests_send(extract_number=141)
    result.digest_seconds = clock.seconds
    print(f"digests: {result.digests} e-mails in {clock.seconds:.1f} s", flush=True)

    from partnerspace.firms.models import Membership

    admin = Membership.objects.filter(firm__slug="kantoor-0").first()
    admin.is_administrator = True
    timing = common.measure(lambda: register_changes_count(admin), repeat=100, warmup=5)
    result.count_p50, result.count_p95 = timing.median, timing.p95
    print(f"menu count: p50 {common.ms(timing.median)} ms, p95 {common.ms(timing.p95)} ms")
    common.write_json(options.results, [asdict(result)])
    return 0


def naive_pass() -> tuple[int, int]:
    """The baseline: each client's company read from the register with a query of its own
    and compared with the data kept before the update; the queries made, and how many clients
    have a change."""
    from django.db import connection

    from partnerspace.clients.models import Client, ClientStatus
    from partnerspace.register import tables
    from partnerspace.register.models import RegisterWatchPending
    from partnerspace.register.watch import COMPARED, _plain

    live = tables.LIVE
    befores = dict(RegisterWatchPending.objects.values_list("number", "before"))
    columns = ", ".join(f"a.{column}" for column in tables.columns("address")[2:])
    sql = (
        f"SELECT e.number, e.form, e.situation, n.language, n.name, {columns} "
        f"FROM {live}enterprise e "
        f"LEFT JOIN {live}name n ON n.number = e.number AND n.type = '001' "
        f"LEFT JOIN {live}address a ON a.number = e.number AND a.type = 'REGO' "
        "WHERE e.number = %s"
    )
    flagged = queries = 0
    clients = (
        Client.objects.filter(country="BE", company_number__isnull=False)
        .exclude(status=ClientStatus.ARCHIVED)
        .values_list("company_number", flat=True)
        .iterator(chunk_size=5_000)
    )
    with connection.cursor() as cursor:
        for number in clients:
            cursor.execute(sql, [number])
            queries += 1
            rows = cursor.fetchall()
            before = befores.get(number)
            if before is None:
                continue
            if not rows:
                flagged += before["active"]
                continue
            form, situation = rows[0][1] or None, rows[0][2] or None
            names = sorted({(row[3], row[4]) for row in rows if row[4]})
            address = tuple(None if value in (None, "") else _plain(value) for value in rows[0][5:])
            now = {
                "legal_form": form,
                "situation": situation,
                "name": [list(name) for name in names],
                "address": address,
            }
            kept = {**before, "address": _address_values(before["address"])}
            if any(kept[kind] != now[kind] for kind in COMPARED):
                flagged += 1
    return queries + 1, flagged


def _address_values(address: dict | None) -> tuple:
    from partnerspace.register import tables

    columns = tables.columns("address")[2:]
    if not address:
        return (None,) * len(columns)
    return tuple(address.get(column) for column in columns)


def print_summary(results: list[dict], crashed: list[str]) -> None:
    print(f"\nSummary (target: the watch pass under {TARGET_SECONDS:.0f} s on each database):")
    print("  (CPU: of the benchmark's own process, which holds SQLite but not PostgreSQL's server)")
    for line in crashed:
        print(line)
    if not results:
        return
    rows = []
    for r in results:
        ratio = r["baseline_seconds"] / r["pass_seconds"] if r["pass_seconds"] else 0
        rows.append(
            (
                r["database"],
                f"{r['update_seconds']:.1f} ({r['capture_seconds']:.1f})",
                f"{r['baseline_seconds']:.1f} ({r['baseline_cpu']:.1f})",
                f"{r['baseline_queries']:,}",
                f"{r['pass_seconds']:.1f} ({r['pass_cpu']:.1f})",
                r["pass_queries"],
                f"{ratio:.0f}×",
                f"{r['changes']:,}",
                f"{r['clients_flagged']:,}",
                f"{r['digest_seconds']:.1f} ({r['digests']})",
                f"{common.ms(r['count_p95'])}",
                "yes" if r["pass_seconds"] < TARGET_SECONDS else "NO",
            )
        )
    common.print_table(
        (
            "database",
            "update s (capture)",
            "baseline s (CPU)",
            "queries",
            "pass s (CPU)",
            "queries",
            "faster",
            "changes",
            "clients",
            "digest s (mails)",
            "count p95 ms",
            "target met",
        ),
        rows,
    )


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
