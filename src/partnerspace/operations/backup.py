"""Backing up and restoring the embedded SQLite database while the site runs.

SQLite's online backup API copies the database page by page through SQLite itself, so the
copy is one consistent moment even while the web and task processes write (in WAL mode a
reader holds its snapshot without blocking them); copying the file with `cp` would not be.
PostgreSQL has its own tools (pg_dump, pg_restore): see the README.
"""

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path


class BackupError(Exception):
    pass


@dataclass(frozen=True)
class BackupDone:
    path: Path
    bytes: int


def _check(connection: sqlite3.Connection, what: str) -> None:
    result = connection.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{what} fails SQLite's integrity check: {result}")
    found = connection.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'django_migrations'"
    ).fetchone()
    if found is None:
        raise BackupError(f"{what} is not a Partner Space database (no django_migrations table)")


def sqlite_backup(*, database: Path, target: Path, busy_timeout: float = 30) -> BackupDone:
    """Copy `database` into a new file `target`, checked, in SQLite's own single-file format.

    The copy is written beside the target and renamed into place once complete and checked,
    so a target that exists is always a whole backup.
    """
    if target.exists():
        raise BackupError(f"{target} exists; choose a new name")
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    source = sqlite3.connect(database, timeout=busy_timeout)
    try:
        copy = sqlite3.connect(partial)
        try:
            # pages=-1: the whole database in one step, so under one read snapshot.
            source.backup(copy, pages=-1)
            # The live database is in WAL mode; the backup is one self-contained file.
            copy.execute("PRAGMA journal_mode=DELETE")
            _check(copy, "The copy")
        finally:
            copy.close()
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    with partial.open("rb") as written:
        os.fsync(written.fileno())
    os.replace(partial, target)
    return BackupDone(path=target, bytes=target.stat().st_size)


def sqlite_restore(*, backup: Path, database: Path, busy_timeout: float = 30) -> None:
    """Replace the whole content of `database` by the backup's, through SQLite.

    Writing through the backup API (not copying the file over) keeps the live database's
    write-ahead log consistent; processes that have it open see the restored content at
    their next transaction.
    """
    if not backup.is_file():
        raise BackupError(f"{backup} is not a file")
    source = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
    try:
        try:
            _check(source, str(backup))
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{backup} is not a readable SQLite database: {error}") from None
        database.parent.mkdir(parents=True, exist_ok=True)
        live = sqlite3.connect(database, timeout=busy_timeout)
        try:
            source.backup(live, pages=-1)
            _check(live, "The restored database")
        finally:
            live.close()
    finally:
        source.close()
