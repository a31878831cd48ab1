"""`partnerspace backup OUT` and `partnerspace restore IN` on SQLite, while the site writes."""

import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.operations.conftest import REPO_ROOT, partnerspace, production_environment

INSERT_FIRM = "INSERT INTO firms_firm (name, slug, created_at) VALUES (?, ?, ?)"


@pytest.fixture
def live(migrated, tmp_path) -> Path:
    """A copy of it, as the site's database (WAL mode, as the site opens it)."""
    path = tmp_path / "var" / "partnerspace.sqlite3"
    path.parent.mkdir()
    with sqlite3.connect(migrated) as source, sqlite3.connect(path) as target:
        source.backup(target)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA journal_mode=WAL").fetchone()[0] == "wal"
    return path


def firm_names(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return [row[0] for row in connection.execute("SELECT name FROM firms_firm ORDER BY id")]
    finally:
        connection.close()


class PairWriter(threading.Thread):
    """The site at work: firms written two by two, each pair in one transaction, until told
    to stop. A consistent copy holds whole pairs only."""

    def __init__(self, path: Path):
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.pairs = 0
        self.error: BaseException | None = None

    def run(self):
        connection = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            while not self.stop.is_set():
                connection.execute("BEGIN IMMEDIATE")
                for side in ("a", "b"):
                    name = f"pair-{self.pairs}-{side}"
                    connection.execute(INSERT_FIRM, (name, name, "2026-01-01"))
                connection.execute("COMMIT")
                self.pairs += 1
        except BaseException as error:  # the test waiting for pairs must hear of it
            self.error = error
            raise
        finally:
            connection.close()

    def wait_for_pairs(self, count: int, timeout: float = 60) -> None:
        """Until `count` pairs are written; fails at once if the writer died, and after
        `timeout` seconds if it is stuck, instead of waiting for ever."""
        ends = time.monotonic() + timeout
        while self.pairs < count:
            assert self.error is None and self.is_alive(), f"the writer stopped: {self.error!r}"
            assert time.monotonic() < ends, f"only {self.pairs} pairs in {timeout} s"
            threading.Event().wait(0.01)


def test_a_backup_taken_while_the_site_writes_is_one_consistent_moment(live, tmp_path):
    writer = PairWriter(live)
    writer.start()
    try:
        writer.wait_for_pairs(200)  # the site has been busy for a while
        result = partnerspace("backup", str(tmp_path / "backup.sqlite3"), database=live)
        pairs_after_backup = writer.pairs
    finally:
        writer.stop.set()
        writer.join()
    assert result.returncode == 0, result.stderr
    assert "Backed up" in result.stdout

    backup = tmp_path / "backup.sqlite3"
    names = firm_names(backup)
    assert 200 * 2 <= len(names) <= pairs_after_backup * 2 + 2
    assert len(names) % 2 == 0  # whole transactions only
    assert names[-2:] == [f"pair-{len(names) // 2 - 1}-a", f"pair-{len(names) // 2 - 1}-b"]
    connection = sqlite3.connect(backup)
    try:
        assert connection.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # One self-contained file: not in WAL mode, nothing beside it.
        assert connection.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    finally:
        connection.close()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("backup")) == [
        "backup.sqlite3"
    ]
    # The site went on writing during the backup and after it.
    assert len(firm_names(live)) > len(names)


def test_a_backup_never_overwrites_a_file(live, tmp_path):
    existing = tmp_path / "backup.sqlite3"
    existing.write_text("an older backup")
    result = partnerspace("backup", str(existing), database=live)
    assert result.returncode != 0
    assert "exists" in result.stderr
    assert existing.read_text() == "an older backup"


def test_restore_puts_the_backup_back_while_the_file_stays_the_sites(live, tmp_path):
    connection = sqlite3.connect(live)
    with connection:
        connection.execute(INSERT_FIRM, ("Kept", "kept", "2026-01-01"))
    connection.close()
    backup = tmp_path / "backup.sqlite3"
    assert partnerspace("backup", str(backup), database=live).returncode == 0
    connection = sqlite3.connect(live)
    with connection:
        connection.execute("DELETE FROM firms_firm")
        connection.execute(INSERT_FIRM, ("Later", "later", "2026-02-01"))
    connection.close()

    result = partnerspace("restore", str(backup), "--noinput", database=live)
    assert result.returncode == 0, result.stderr
    assert firm_names(live) == ["Kept"]
    # The site's database, migrated and usable: Django finds nothing to migrate.
    plan = partnerspace("migrate", "--plan", database=live)
    assert plan.returncode == 0 and "No planned migration operations" in plan.stdout


def test_restore_asks_first_and_refuses_what_is_not_a_backup(live, tmp_path):
    backup = tmp_path / "backup.sqlite3"
    assert partnerspace("backup", str(backup), database=live).returncode == 0
    before = firm_names(live)

    cancelled = partnerspace("restore", str(backup), database=live, stdin="no\n")
    assert cancelled.returncode != 0 and "cancelled" in cancelled.stderr

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"this is no database" * 100)
    refused = partnerspace("restore", str(garbage), "--noinput", database=live)
    assert refused.returncode != 0 and "not a readable SQLite database" in refused.stderr

    other = tmp_path / "other.sqlite3"
    sqlite3.connect(other).execute("CREATE TABLE notes (text)").connection.close()
    refused = partnerspace("restore", str(other), "--noinput", database=live)
    assert refused.returncode != 0 and "not a Partner Space database" in refused.stderr
    assert firm_names(live) == before


def test_on_postgresql_the_commands_point_to_pg_dump(tmp_path):
    env = production_environment(
        tmp_path / "unused.sqlite3", DATABASE_URL="postgres://nobody@127.0.0.1:1/none"
    )
    for command in (["backup", str(tmp_path / "out")], ["restore", "in", "--noinput"]):
        result = subprocess.run(
            [sys.executable, "-m", "partnerspace", *command],
            cwd=REPO_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "pg_dump" in result.stderr
    assert not (tmp_path / "out").exists()
