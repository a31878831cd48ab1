"""Files of a full load, read and written by other processes while the load writes the rest.

Python reads the files row by row where the database cannot: names are folded into their
search words (kbo._denominations), and SQLite has no CSV reader of its own. One Python process
reads at the speed of one core, while the machine has more. A `LoadingProcess` reads and
writes some of the files beside the load:

- PostgreSQL: the names, the one file the database does not read itself. The process copies
  them into the loading name table on its own connection, says so (`wait_written`), and builds
  the table's search index (tables.search_index_create), while the load copies and indexes
  the other tables, and then the name table's other indexes beside the search index.
- SQLite has one writer per database file: each process writes its files into a scratch file
  of its own beside the database (no journal, no syncs: a file nobody else reads, deleted
  after), and the load copies them in with one INSERT ... SELECT each (`sqlite_copy_in`).

A process needs no Django: it gets the ZIP's path, its files, where to write and the first name
id, and answers the next name id, or why it stopped (the message of a kbo.ExtractError, or a
traceback).
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sqlite3
import tempfile
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import count, islice
from pathlib import Path
from typing import Any

from partnerspace.register import kbo, tables

# Below this many bytes of the files it would read, a process is not started: starting a
# second Python costs more than it saves.
MIN_BYTES = 32 << 20
# Rows per SQLite insert batch.
BATCH = 50_000
# Seconds an ended process has to cancel its statement before it is killed.
STOP_SECONDS = 30
# PostgreSQL: how the process's session is named (pg_stat_activity).
APPLICATION_NAME = "partnerspace register load"
_PR_SET_PDEATHSIG = 1
# A connection's parameters the process can take (Django adds Python objects to them).
_PLAIN = (str, int, float, bool, type(None))
_SQLITE_BAD_ROWS = (sqlite3.IntegrityError, sqlite3.DataError, sqlite3.ProgrammingError)


class LoadingFailed(Exception):
    """A loading process stopped for another reason than the file (its traceback)."""


@dataclass(frozen=True)
class Job:
    zip_path: str
    # KBO files: "denomination" and those of kbo.CONVERTED (SQLite only).
    files: tuple[str, ...]
    vendor: str
    # PostgreSQL: the connection's parameters; SQLite: the scratch file's path.
    target: Any
    prefix: str
    generation: str
    # (extract number, snapshot date) of the file the load checked: the process reads it again.
    extract: tuple
    first_id: int = 1


def worth_it(extract: kbo.Extract, files: tuple[str, ...]) -> bool:
    return sum(extract.member_size(f"{name}.csv") for name in files) >= MIN_BYTES


def _scratch_place(database_name: str) -> tuple[str, str]:
    """Folder and name prefix of a database's scratch files: beside the SQLite database (same
    disk), named after it; the system's temporary folder for a database in memory."""
    if not database_name or "memory" in database_name:
        return tempfile.gettempdir(), ".register-load-"
    path = Path(database_name).resolve()
    return str(path.parent), f".{path.name}.register-load-"


def scratch_path(database_name: str) -> str:
    """A new empty scratch file for a process."""
    folder, prefix = _scratch_place(database_name)
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=".sqlite3", dir=folder)
    os.close(handle)
    return path


def scratch_files(database_name: str) -> list[Path]:
    """The scratch files of a database's load; those a load stopped by force left (the load
    that finds them holds the register's lock: no other load uses them)."""
    folder, prefix = _scratch_place(database_name)
    return sorted(Path(folder).glob(f"{prefix}*.sqlite3"))


def connection_parameters(parameters: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in parameters.items() if isinstance(value, _PLAIN)}


class LoadingProcess:
    """A running process: `wait()` gives the next name id, or raises kbo.ExtractError (the
    file) or LoadingFailed (anything else)."""

    def __init__(self, job: Job):
        context = multiprocessing.get_context("spawn")
        self.job = job
        self._read = context.Value("q", 0, lock=False)
        self._answer, sender = context.Pipe(duplex=False)
        self._process = context.Process(
            target=_run, args=(job, self._read, sender), name="register-load", daemon=True
        )
        self._process.start()
        sender.close()

    @property
    def read_bytes(self) -> int:
        return int(self._read.value)

    def wait_written(self, on_wait: Callable[[], None] = lambda: None) -> None:
        """Block until the rows are written (PostgreSQL: committed; the process goes on with
        the search index)."""
        if self._answer_of(on_wait)[0] != "written":
            raise LoadingFailed("the loading process answered out of turn")

    def wait(self, on_wait: Callable[[], None] = lambda: None) -> int:
        """Block until the process is done; the next name id after the names it wrote (the
        first id when it wrote none). `on_wait` is called about twice a second meanwhile
        (the progress bar)."""
        answer = self._answer_of(on_wait)
        while answer[0] == "written":
            answer = self._answer_of(on_wait)
        self._process.join()
        return int(answer[1])

    def _answer_of(self, on_wait: Callable[[], None]) -> tuple:
        while not self._answer.poll(0.5):
            on_wait()
        try:
            answer = self._answer.recv()
        except EOFError:  # it ended before it could answer
            self._process.join()
            raise LoadingFailed(
                f"the loading process ended with {self._process.exitcode}"
            ) from None
        if answer[0] == "refused":
            raise kbo.ExtractError(answer[1])
        if answer[0] == "failed":
            raise LoadingFailed(answer[1])
        return answer

    def stop(self) -> None:
        """End the process (if it runs) and delete its scratch file (SQLite). PostgreSQL rolls
        back what an ended process had not committed. Once or more."""
        if self._process.is_alive():
            # SIGTERM: the process cancels its statement on the server (see _run).
            self._process.terminate()
            self._process.join(STOP_SECONDS)
            if self._process.is_alive():
                self._process.kill()
        self._process.join()
        self._answer.close()
        if self.job.vendor == "sqlite":
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.job.target)


def _run(job: Job, read: Any, answer: Any) -> None:
    """The process: read and write the job's files; answer how it went."""
    try:
        _end_with_the_load()
        with kbo.Extract(job.zip_path, kind=kbo.FULL) as extract:
            if (extract.meta.extract_number, extract.meta.snapshot_date) != job.extract:
                raise kbo.ExtractError("the file was replaced while it was being loaded")
            extract.on_read = lambda done, total: setattr(read, "value", done)
            write = _write_postgresql if job.vendor == "postgresql" else _write_sqlite
            next_id = write(job, extract, lambda: answer.send(("written",)))
        answer.send(("done", next_id))
    except kbo.ExtractError as error:
        answer.send(("refused", str(error)))
    except BaseException:
        answer.send(("failed", traceback.format_exc()))
    finally:
        answer.close()


def _end_with_the_load() -> None:
    """SIGTERM (from `stop`, or sent when the load's process ends: PR_SET_PDEATHSIG on Linux)
    ends the process as Ctrl-C would: psycopg cancels the statement the server is running,
    rather than leaving it to finish a GIN index for nobody."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:  # it ended before the line above
        raise KeyboardInterrupt


def _write_postgresql(job: Job, extract: kbo.Extract, written_said: Callable[[], None]) -> int:
    import psycopg

    if job.files != ("denomination",):
        raise ValueError(f"PostgreSQL reads {job.files} itself")
    sequence = count(job.first_id)
    parameters = {**job.target, "application_name": APPLICATION_NAME}
    with psycopg.connect(**parameters) as connection:
        sql = tables.copy_sql(f"{job.prefix}name", "name")
        with connection.cursor() as cursor, cursor.copy(sql) as copy:
            for row in extract.names(sequence=sequence):
                copy.write_row(row)
        connection.commit()
        written_said()
        with connection.cursor() as cursor:
            tables.search_index_create(cursor, job.prefix, job.generation)
        connection.commit()
    return next(sequence)


def _write_sqlite(job: Job, extract: kbo.Extract, written_said: Callable[[], None]) -> int:
    database = sqlite3.connect(job.target, isolation_level=None)
    sequence = count(job.first_id)
    try:
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        for name in job.files:
            _sqlite_file(database, extract, name, sequence)
        written_said()
        return next(sequence)
    finally:
        database.close()


def _sqlite_file(
    database: sqlite3.Connection, extract: kbo.Extract, name: str, sequence: Iterator[int]
) -> None:
    """One file into its table of the scratch file (named as the register's table)."""
    table = tables.TABLE_OF_FILE[name]
    database.execute(tables.table_sql("sqlite", table, table))
    if name == "denomination":
        rows: Iterator = extract.names(sequence=sequence)
        sql = tables.insert_sql(table, table, "?")
    else:
        rows = extract.raw_rows(name)
        sql = kbo.converted_insert(name, table, tables.columns(table))
    database.execute("BEGIN")
    try:
        while batch := list(islice(rows, BATCH)):
            database.executemany(sql, batch)
    except _SQLITE_BAD_ROWS as error:
        raise kbo.bad_row(f"{name}.csv", error) from error
    database.execute("COMMIT")


def sqlite_copy_in(cursor, job: Job) -> None:
    """SQLite: the tables a process wrote into its scratch file, copied into the loading
    tables (names in id order: the table's pages are filled one after another)."""
    cursor.execute("ATTACH DATABASE %s AS register_scratch", [job.target])
    try:
        for name in job.files:
            table = tables.TABLE_OF_FILE[name]
            columns = ", ".join(tables.columns(table))
            order = " ORDER BY id" if table == "name" else ""
            cursor.execute(
                f"INSERT INTO {job.prefix}{table} ({columns}) SELECT {columns} "
                f"FROM register_scratch.{table}{order}"
            )
    finally:
        cursor.execute("DETACH DATABASE register_scratch")
