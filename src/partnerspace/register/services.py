"""Loading the KBO Open Data register: a full extract replaces the copy, an update changes it.

`register_load` fills a second set of tables (register_load_*) from the ZIP, streaming, in
batches of their own transactions so that the rest of the site keeps writing meanwhile; it
indexes them, and then renames them into place in one short transaction, with the record of
what is loaded. Until that transaction commits every reader sees the old copy; when anything
fails before it, the second set is dropped and nothing has changed.

`register_update` applies an update in one transaction: per file, the rows of the entities
in `<name>_delete.csv` go first, then the rows of `<name>_insert.csv` come in.
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from itertools import count, islice
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import DatabaseError, DataError, IntegrityError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.utils import timezone
from django.utils.translation import gettext as _

from partnerspace.clients.history import history_record
from partnerspace.clients.models import Client, HistorySource
from partnerspace.clients.selectors import client_get_for_user
from partnerspace.clients.services import ClientResult, client_update
from partnerspace.core.errors import Conflict, ServiceError
from partnerspace.firms.models import Membership
from partnerspace.register import kbo, loading_process, tables, watch
from partnerspace.register.counts import register_changes_changed
from partnerspace.register.models import (
    ChangeKind,
    ChangeState,
    ExtractKind,
    RegisterChange,
    RegisterExtract,
)
from partnerspace.register.selectors import (
    change_shown,
    client_register_comparison,
    codes_forget,
    register_change_get_for_user,
)

logger = logging.getLogger(__name__)
T = TypeVar("T")

# Rows per batch: large enough for the databases' bulk paths, small enough that memory
# stays flat (a batch of names is a few MB).
LOAD_BATCH = 50_000
UPDATE_BATCH = 2_000
# pg_advisory_lock key of a load or an update: one at a time per database.
_PG_LOCK_KEY = 0x4B424F  # "KBO"

Progress = Callable[[str, int, int], None]
"""progress(phase, done, total): phase "read" (bytes of the ZIP's CSV read), "index" and
"switch" (done and total 0)."""


class RegisterRefused(ServiceError):
    """A file the register will not take; nothing was changed."""


def _refuse_extract(error: kbo.ExtractError) -> RegisterRefused:
    return RegisterRefused(
        "not_an_extract",
        _("This file is not a KBO Open Data extract that can be read: %(reason)s")
        % {"reason": error},
    )


def _batches(rows: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(rows)
    while batch := list(islice(iterator, size)):
        yield batch


@contextlib.contextmanager
def _one_at_a_time() -> Iterator[None]:
    """Refuse a second load or update while one runs (both would fill the same tables)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [_PG_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise _busy()
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK_KEY])
        return
    # Beside the database file: one lock per database.
    lock_path = Path(f"{connection.settings_dict['NAME']}.register-lock")
    with open(lock_path, "a") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise _busy() from None
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _busy() -> RegisterRefused:
    return RegisterRefused(
        "busy", _("Another load or update of the register is running; try again when it ends.")
    )


def _fill(prefix: str, name: str, rows: Iterable[tuple[Any, ...]]) -> int:
    """Write rows into an unindexed table nobody reads yet; the number written."""
    written = 0
    if connection.vendor == "postgresql":
        sql = tables.copy_sql(f"{prefix}{name}", name)
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
            for row in rows:
                copy.write_row(row)
                written += 1
        return written
    connection.ensure_connection()
    raw = connection.connection
    sql = tables.insert_sql(f"{prefix}{name}", name, "?")
    for batch in _batches(rows, LOAD_BATCH):
        with transaction.atomic():
            raw.executemany(sql, batch)
        written += len(batch)
    return written


def _stage_columns(name: str) -> str:
    return ", ".join(f"c{index}" for index in range(len(kbo.COLUMNS[name])))


def _fill_converted(prefix: str, name: str, extract: kbo.Extract, part: str = "") -> int:
    """Write the rows of file `name` (enterprise, address or contact) into the table under
    `prefix`, the database converting the values (kbo.converted); the number written.

    PostgreSQL copies the CSV as it is, streamed from the ZIP, into a temporary table (no
    WAL, dropped at commit) with its own COPY (FORMAT csv), keeping the rows of enterprises
    only, and reshapes it in one INSERT ... SELECT; SQLite inserts the rows the csv module
    reads, converting in the INSERT."""
    table = tables.TABLE_OF_FILE[name]
    names = ", ".join(tables.columns(table))
    vendor = connection.vendor
    try:
        if vendor == "postgresql":
            stage = f"register_stage_{name}"
            expressions, keep = kbo.converted(name, lambda index: f"c{index}", vendor)
            columns = _stage_columns(name)
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(
                    f"CREATE TEMPORARY TABLE {stage} "
                    f"({', '.join(f'{column} text' for column in columns.split(', '))}) "
                    "ON COMMIT DROP"
                )
                # FORCE_NOT_NULL: an empty value is '' as the csv module reads it, not NULL.
                # WHERE: an establishment's rows (most of the addresses) are not kept even
                # in the temporary table.
                sql = (
                    f"COPY {stage} FROM STDIN (FORMAT csv, FORCE_NOT_NULL ({columns})) WHERE {keep}"
                )
                with cursor.cursor.copy(sql) as copy:
                    for chunk in extract.raw_body(name, part):
                        copy.write(chunk)
                cursor.execute(
                    f"INSERT INTO {prefix}{table} ({names}) "
                    f"SELECT {', '.join(expressions)} FROM {stage}"
                )
                written = int(cursor.rowcount)
                cursor.execute(f"DROP TABLE {stage}")
            return written
        sql = kbo.converted_insert(name, f"{prefix}{table}", tables.columns(table))
        connection.ensure_connection()
        raw = connection.connection
        written = 0
        # A load commits batch by batch; an update, in its own transaction, writes without a
        # savepoint (SQLite would keep a journal of every page each batch changes).
        batch_transaction = (
            contextlib.nullcontext if connection.in_atomic_block else transaction.atomic
        )
        for batch in _batches(extract.raw_rows(name, part), LOAD_BATCH):
            with batch_transaction():
                written += int(raw.executemany(sql, batch).rowcount)
        return written
    except _bad_rows(vendor) as error:
        member = f"{name}_{part}.csv" if part else f"{name}.csv"
        raise kbo.bad_row(member, error) from error


def _bad_rows(vendor: str) -> tuple[type[Exception], ...]:
    """What a database raises for a row that is not in the format: a value of the wrong
    shape, a row of another width (a NOT NULL column left empty by a date not in dd-mm-yyyy:
    see kbo.converted)."""
    driver: Any = getattr(connection, "Database")  # noqa: B009 (the driver module, untyped)
    errors: tuple[type[Exception], ...] = (
        DataError,
        IntegrityError,
        driver.DataError,
        driver.IntegrityError,
    )
    if vendor == "sqlite":
        errors += (driver.ProgrammingError,)  # "Incorrect number of bindings"
    return errors


@contextlib.contextmanager
def _sqlite_pragma(name: str, value: str, *, outside_transactions: bool = False) -> Iterator[None]:
    """SQLite: PRAGMA `name` = `value` while the block runs, then as it was. Nothing on
    PostgreSQL, nor (`outside_transactions`: a pragma SQLite changes only there) inside a
    caller's transaction (tests)."""
    if connection.vendor != "sqlite" or (outside_transactions and connection.in_atomic_block):
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(f"PRAGMA {name}")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA {name} = {value}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA {name} = {int(before)}")


# SQLite's page cache while a load or an update writes (KiB): an update's deletes and inserts
# touch pages all over the tables and indexes, and with the connection's default (2 MB) the
# changed pages spill to the WAL again and again before the commit.
SQLITE_WRITE_CACHE_KIB = 131_072


def _sqlite_write_cache() -> contextlib.AbstractContextManager[None]:
    return _sqlite_pragma("cache_size", f"-{SQLITE_WRITE_CACHE_KIB}")


# SQLite's WAL pages (4 KiB) between checkpoints while a load writes. A checkpoint copies the
# WAL into the database and waits for the disk; at SQLite's default (1,000 pages) a load of
# the whole register would wait hundreds of times.
SQLITE_LOAD_CHECKPOINT_PAGES = 65_536


@contextlib.contextmanager
def _sqlite_fewer_checkpoints() -> Iterator[None]:
    try:
        with _sqlite_pragma("wal_autocheckpoint", str(SQLITE_LOAD_CHECKPOINT_PAGES)):
            yield
    finally:
        if connection.vendor == "sqlite" and not connection.in_atomic_block:
            # The WAL grew with the load: give its space back (when no reader holds it).
            with connection.cursor() as cursor:
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _sorting_on_disk() -> contextlib.AbstractContextManager[None]:
    """SQLite: sort for the new indexes in temporary files, not in memory (the connection's
    default), so that building them does not take memory in proportion to the register."""
    return _sqlite_pragma("temp_store", "FILE", outside_transactions=True)


def register_load(
    *, path: str | Path, progress: Progress | None = None, file_name: str = ""
) -> RegisterExtract:
    """Replace the register with the full extract at `path`; RegisterRefused when the file is
    not one."""
    report = progress or (lambda phase, done, total: None)
    try:
        extract = kbo.Extract(path, kind=kbo.FULL)
    except kbo.ExtractError as error:
        raise _refuse_extract(error) from error
    vendor = connection.vendor
    generation = "g" + secrets.token_hex(4)
    with extract, _one_at_a_time(), _sqlite_write_cache(), _sqlite_fewer_checkpoints():
        with transaction.atomic(), connection.cursor() as cursor:
            tables.tables_drop(cursor, vendor, tables.LOADING)
            tables.tables_drop(cursor, vendor, tables.OLD)
            tables.tables_create(cursor, vendor, tables.LOADING)
        helpers: list[loading_process.LoadingProcess] = []
        try:
            helpers = _helpers_start(extract, path, generation)
            beside = {name for helper in helpers for name in helper.job.files}

            def read() -> int:
                return extract.read_bytes + sum(helper.read_bytes for helper in helpers)

            extract.on_read = lambda done, total: report("read", read(), total)
            _fill(tables.LOADING, "code", extract.codes())
            counts = {
                name: _fill_converted(tables.LOADING, name, extract)
                for name in kbo.CONVERTED
                if name not in beside
            }
            sequence = count(1)
            if "denomination" not in beside:
                _fill(tables.LOADING, "name", extract.names(sequence=sequence))
            # Each table is indexed once its rows are in, while other processes still write.
            beside_tables = {tables.TABLE_OF_FILE[name] for name in beside}
            own = [name for name in tables.TABLES if name not in beside_tables]
            if not helpers:
                report("index", 0, 0)
            _index(generation, own)
            # The names take longest: they are waited for last.
            waited = sorted(helpers, key=lambda helper: "denomination" in helper.job.files)
            for helper in waited:
                next_id = _helper_finish(
                    helper,
                    generation,
                    lambda: report("read", read(), extract.total_bytes),
                    last=helper is waited[-1],
                    report=report,
                )
                if "denomination" in helper.job.files:
                    sequence = count(next_id)
            report("switch", 0, 0)
            with transaction.atomic():
                with connection.cursor() as cursor:
                    tables.tables_rename(cursor, vendor, tables.LIVE, tables.OLD)
                    tables.tables_rename(cursor, vendor, tables.LOADING, tables.LIVE)
                record = RegisterExtract.objects.create(
                    kind=ExtractKind.FULL,
                    extract_number=extract.meta.extract_number,
                    snapshot_date=extract.meta.snapshot_date,
                    extract_timestamp=_aware(extract.meta.extract_timestamp),
                    version=extract.meta.version[:32],
                    file_name=(file_name or Path(path).name)[:255],
                    enterprises=counts["enterprise"],
                    name_sequence=next(sequence),
                )
        except kbo.ExtractError as error:
            _drop_quietly(vendor, tables.LOADING, helpers)
            raise _refuse_extract(error) from error
        except BaseException:
            _drop_quietly(vendor, tables.LOADING, helpers)
            raise
        finally:
            for helper in helpers:
                helper.stop()
        with transaction.atomic(), connection.cursor() as cursor:
            tables.tables_drop(cursor, vendor, tables.OLD)
    codes_forget()
    return record


# The files other processes load beside a full load (see loading_process): on PostgreSQL the
# names, which only Python reads; on SQLite also addresses and contacts, which Python reads too
# (enterprises stay with the load, whose own reading is about as long as each of these).
LOADED_BESIDE: dict[str, list[tuple[str, ...]]] = {
    "postgresql": [("denomination",)],
    "sqlite": [("denomination",), ("address", "contact")],
}  # started in this order: the names take longest


def _helpers_start(
    extract: kbo.Extract, path: str | Path, generation: str
) -> list[loading_process.LoadingProcess]:
    """The processes that load some files while this one loads the others; none for a small
    extract, or for a load inside a caller's transaction, whose tables another connection
    cannot see."""
    if connection.in_atomic_block:
        return []
    connection.ensure_connection()
    vendor = connection.vendor
    if vendor == "sqlite":
        for leftover in loading_process.scratch_files(str(connection.settings_dict["NAME"])):
            leftover.unlink(missing_ok=True)
    helpers = []
    for files in LOADED_BESIDE.get(vendor, []):
        if not loading_process.worth_it(extract, files):
            continue
        target: dict[str, Any] | str
        if vendor == "postgresql":
            target = loading_process.connection_parameters(connection.get_connection_params())
        else:
            target = loading_process.scratch_path(str(connection.settings_dict["NAME"]))
        job = loading_process.Job(
            zip_path=str(Path(path).resolve()),
            files=files,
            vendor=vendor,
            target=target,
            prefix=tables.LOADING,
            generation=generation,
            extract=(extract.meta.extract_number, extract.meta.snapshot_date),
        )
        try:
            helpers.append(loading_process.LoadingProcess(job))
        except BaseException:
            for helper in helpers:
                helper.stop()
            raise
    return helpers


def _helper_finish(
    helper: loading_process.LoadingProcess,
    generation: str,
    on_wait: Callable[[], None],
    *,
    last: bool,
    report: Progress,
) -> int:
    """Wait for a loading process and index its tables; the next name id it gives. On
    PostgreSQL the names are indexed once written, beside the process's search index; SQLite
    copies in what the process wrote first. The last process's rows in, the load reports its
    "index" phase."""
    names = [tables.TABLE_OF_FILE[name] for name in helper.job.files]
    if connection.vendor == "postgresql":
        helper.wait_written(on_wait)
        if last:
            report("index", 0, 0)
        _index(generation, names, search=False)
        return helper.wait(on_wait if not last else lambda: None)
    next_id = helper.wait(on_wait)
    with connection.cursor() as cursor:
        loading_process.sqlite_copy_in(cursor, helper.job)
    if last:
        report("index", 0, 0)
    _index(generation, names)
    return next_id


def _index(generation: str, names: list[str], *, search: bool = True) -> None:
    """The indexes of the loading tables `names`; the name table's search index too (unless
    `search` is false: a loading process builds it)."""
    vendor = connection.vendor
    with _sorting_on_disk(), transaction.atomic(), connection.cursor() as cursor:
        if "name" in names and search:
            tables.search_fill(cursor, vendor, tables.LOADING)
        tables.indexes_create(cursor, vendor, tables.LOADING, generation, names, search=search)


def _drop_quietly(
    vendor: str, prefix: str, helpers: Iterable[loading_process.LoadingProcess] = ()
) -> None:
    """Drop a half-filled copy; a failure here leaves it for the next load, which drops it.
    The loading processes are ended first (on PostgreSQL they hold their tables)."""
    for helper in helpers:
        helper.stop()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            tables.tables_drop(cursor, vendor, prefix)
    except DatabaseError:
        logger.warning("register: the unfinished copy was not dropped", exc_info=True)


def _aware(value: datetime | None) -> datetime | None:
    """The extract's timestamp is Belgian time."""
    if value is None or not settings.USE_TZ:
        return value
    return value.replace(tzinfo=ZoneInfo("Europe/Brussels"))


def register_update(
    *,
    path: str | Path,
    progress: Progress | None = None,
    file_name: str = "",
    watch_now: bool = True,
) -> RegisterExtract:
    """Apply the update at `path` to the loaded register, in one transaction; RegisterRefused
    when it is not an update, when no full extract is loaded, or when its ExtractNumber is not
    newer than the loaded one.

    The register watch keeps, in the same transaction, what the update changes of the
    companies that are clients, and once it has committed flags those clients
    (register.watch); `watch_now=False` leaves the flagging to a later `watch.watch_pass()`."""
    report = progress or (lambda phase, done, total: None)
    try:
        extract = kbo.Extract(path, kind=kbo.UPDATE)
    except kbo.ExtractError as error:
        raise _refuse_extract(error) from error
    vendor = connection.vendor
    live = tables.LIVE
    with extract, _one_at_a_time(), _sqlite_write_cache():
        extract.on_read = lambda done, total: report("read", done, total)
        try:
            with transaction.atomic():
                current = RegisterExtract.objects.select_for_update().first()
                if current is None:
                    raise RegisterRefused(
                        "no_full_extract",
                        _("No full extract is loaded: load one with kbo_load before updates."),
                    )
                number = extract.meta.extract_number
                if number <= current.extract_number:
                    raise RegisterRefused(
                        "not_newer",
                        _(
                            "This update has extract number %(number)s; the register already "
                            "holds extract %(loaded)s. Only a newer update can be applied."
                        )
                        % {"number": number, "loaded": current.extract_number},
                    )
                sequence = count(current.name_sequence)
                watch.watch_capture(extract=extract, extract_number=number)
                with connection.cursor() as cursor:
                    # The numbers an update's delete files name, one file at a time.
                    cursor.execute(
                        "CREATE TEMPORARY TABLE IF NOT EXISTS register_gone (number text)"
                    )
                    cursor.execute(f"DELETE FROM {live}code")
                    cursor.executemany(
                        tables.insert_sql(f"{live}code", "code", "%s"), list(extract.codes())
                    )
                    for name in kbo.DATA_FILES:
                        _apply(cursor, vendor, extract, name, sequence)
                    cursor.execute(f"SELECT count(*) FROM {live}enterprise")
                    enterprises = cursor.fetchone()[0]
                record = RegisterExtract.objects.create(
                    kind=ExtractKind.UPDATE,
                    extract_number=number,
                    snapshot_date=extract.meta.snapshot_date,
                    extract_timestamp=_aware(extract.meta.extract_timestamp),
                    version=extract.meta.version[:32],
                    file_name=(file_name or Path(path).name)[:255],
                    enterprises=enterprises,
                    name_sequence=next(sequence),
                )
        except kbo.ExtractError as error:
            raise _refuse_extract(error) from error
        codes_forget()
        if watch_now:
            _watch_quietly()
    return record


def _watch_quietly() -> None:
    """The update stands whatever the watch does: a pass that fails leaves its pending rows
    to the next update's pass."""
    try:
        watch.watch_pass()
    except Exception:
        logger.exception("register: the watch pass failed; the next update runs it again")


def _apply(
    cursor: CursorWrapper, vendor: str, extract: kbo.Extract, name: str, sequence: Iterator[int]
) -> None:
    """One file of an update: the rows of the entities its delete file names go, in one
    statement per table over a temporary table of their numbers; then its insert file's
    rows come in, as a load writes them."""
    live = tables.LIVE
    table = tables.TABLE_OF_FILE[name]
    cursor.execute("DELETE FROM register_gone")
    for numbers in _batches(extract.deleted_numbers(name), UPDATE_BATCH):
        cursor.executemany(
            "INSERT INTO register_gone (number) VALUES (%s)", [(n,) for n in numbers]
        )
    gone = "SELECT number FROM register_gone"
    if name == "denomination" and vendor == "sqlite":
        # A contentless search index forgets a row only when told its words.
        cursor.execute(
            f"INSERT INTO {live}name_fts ({live}name_fts, rowid, words) "
            f"SELECT 'delete', id, words FROM {live}name WHERE number IN ({gone})"
        )
    cursor.execute(f"DELETE FROM {live}{table} WHERE number IN ({gone})")
    if name in kbo.CONVERTED:
        _fill_converted(live, name, extract, "insert")
        return
    insert = tables.insert_sql(f"{live}{table}", table, "%s")
    for batch in _batches(extract.names("insert", sequence=sequence), UPDATE_BATCH):
        cursor.executemany(insert, batch)
        if vendor == "sqlite":
            cursor.executemany(
                f"INSERT INTO {live}name_fts (rowid, words) VALUES (%s, %s)",
                [(row[0], row[5]) for row in batch],
            )


# A client's details taken over from the register


def client_register_take(*, membership: Membership, client: Client, part: str) -> ClientResult:
    """Take over the register's legal name (`part` "legal_name") or seat address
    ("address") for a client, through the clients' own update: the same rules, role and
    history as an edit, the history saying the register was the source. Refused when the
    register holds nothing different for that part."""
    comparison = client_register_comparison(client)
    data = comparison.takes.get(part) if comparison is not None else None
    if not data:
        raise ServiceError(
            "register_nothing_to_take",
            _("The KBO register holds nothing different to take over."),
        )
    return client_update(
        membership=membership, client=client, data=data, source=HistorySource.REGISTER
    )


# The register watch's changes: taken over or dismissed

# The history line a change taken over writes when the client has no field for it.
_NOTED_FIELDS = {
    ChangeKind.NAME: "legal_name",
    ChangeKind.ADDRESS: "seat_address",
    ChangeKind.LEGAL_FORM: "legal_form",
    ChangeKind.SITUATION: "juridical_situation",
    ChangeKind.STOPPED: "register_status",
}
_TAKE_PARTS = {ChangeKind.NAME: "legal_name", ChangeKind.ADDRESS: "address"}


def _open_change(membership: Membership, change_id: int | str) -> RegisterChange:
    change = register_change_get_for_user(membership, change_id, for_update=True)
    if change.state != ChangeState.OPEN:
        raise Conflict(
            "register_change_closed",
            _("This change was already taken over or dismissed."),
        )
    return change


def _close(change: RegisterChange, membership: Membership, state: str) -> RegisterChange:
    change.state = state
    change.resolved_at = timezone.now()
    change.resolved_by = membership.user
    change.save(update_fields=["state", "resolved_at", "resolved_by"])
    register_changes_changed(firm_ids=[change.firm_id])
    return change


@transaction.atomic
def register_change_take(*, membership: Membership, change_id: int | str) -> RegisterChange:
    """Take a change over: the register's legal name or seat into the client, through the
    clients' own update (history source `register`); a change the client has no field for
    (legal form, juridical situation, gone from the register), or one the client already
    holds, into the client's history, source `register`. Whoever may edit the client may."""
    change = _open_change(membership, change_id)
    client = client_get_for_user(membership, change.client_id)
    part = _TAKE_PARTS.get(ChangeKind(change.kind))
    written = False
    if part is not None:
        try:
            client_register_take(membership=membership, client=client, part=part)
            written = True
        except ServiceError as refusal:
            if refusal.code != "register_nothing_to_take":
                raise
    if not written:
        shown = change_shown(change)
        history_record(
            client=client,
            actor=membership.user,
            source=HistorySource.REGISTER,
            action="register_noted",
            changes=[
                {
                    "field": _NOTED_FIELDS[ChangeKind(change.kind)],
                    "old": shown.before or None,
                    "new": shown.after or None,
                }
            ],
        )
    return _close(change, membership, ChangeState.TAKEN)


@transaction.atomic
def register_change_dismiss(*, membership: Membership, change_id: int | str) -> RegisterChange:
    """Dismiss a change: the same change (client, kind and value) is not flagged again."""
    change = _open_change(membership, change_id)
    return _close(change, membership, ChangeState.DISMISSED)
