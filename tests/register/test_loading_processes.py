"""A large full load reads some files in other processes (register.loading_process): it loads
what a load in one process loads, and a file refused, or a failure in any process, leaves the
copy as it was and nothing behind: no loading tables, no process, no scratch file."""

import multiprocessing
from pathlib import Path

import pytest
from django.db import connection

from partnerspace.register import loading_process, services, tables
from partnerspace.register.models import RegisterExtract
from partnerspace.register.selectors import register_companies_search, register_copy
from partnerspace.register.services import LOADED_BESIDE, RegisterRefused, register_load
from tests.register.conftest import PEETERS, full_tables
from tests.register.ending import end_at_once
from tests.register.kbo_files import dotted, valid_number, write_full

QUERIES = ("bakkerij peeters", "kroon", "dupont", "muller", "ni")


@pytest.fixture
def beside(monkeypatch):
    """Every extract is large enough for loading processes; the jobs they were given."""
    monkeypatch.setattr(loading_process, "MIN_BYTES", 0)
    jobs = []
    start = loading_process.LoadingProcess.__init__

    def recorded(self, job):
        jobs.append(job)
        start(self, job)

    monkeypatch.setattr(loading_process.LoadingProcess, "__init__", recorded)
    return jobs


def _copy() -> dict:
    """Every row of the live tables, the indexes they have (without the load's generation),
    what the search finds and the record's next name id."""
    rows, indexes = {}, set()
    with connection.cursor() as cursor:
        for name in tables.TABLES:
            cursor.execute(f"SELECT {', '.join(tables.columns(name))} FROM {tables.LIVE}{name}")
            rows[name] = sorted(cursor.fetchall(), key=repr)
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND name LIKE 'register_%'"
            )
        else:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename LIKE %s", [f"{tables.LIVE}%"]
            )
        for (index,) in cursor.fetchall():
            indexes.add(index.rsplit("_", 1)[0])
    found = {query: [m.number for m in register_companies_search(query)] for query in QUERIES}
    record = RegisterExtract.objects.latest("pk")
    return {"rows": rows, "indexes": indexes, "found": found, "next_id": record.name_sequence}


def _left_behind() -> dict:
    with connection.cursor() as cursor:
        loading = [
            name
            for name in connection.introspection.table_names(cursor)
            if name.startswith(tables.LOADING)
        ]
    scratch = loading_process.scratch_files(str(connection.settings_dict["NAME"]))
    return {
        "loading tables": loading,
        "processes": multiprocessing.active_children(),
        "scratch files": scratch,
    }


NOTHING_LEFT = {"loading tables": [], "processes": [], "scratch files": []}


def test_a_load_beside_other_processes_loads_what_one_process_loads(
    committed_register, full_zip, beside, monkeypatch
):
    with monkeypatch.context() as small:
        small.setattr(loading_process, "MIN_BYTES", 1 << 60)
        register_load(path=full_zip)
    in_one_process = _copy()
    assert beside == []

    register_load(path=full_zip)

    assert [job.files for job in beside] == LOADED_BESIDE[connection.vendor]
    assert _copy() == in_one_process
    assert in_one_process["found"]["bakkerij peeters"] == [PEETERS]
    assert _left_behind() == NOTHING_LEFT


def test_a_scratch_file_a_load_stopped_by_force_left_is_deleted_by_the_next(
    committed_register, full_zip, beside
):
    if connection.vendor != "sqlite":
        # PostgreSQL's process writes on its own connection: it has no file to leave.
        register_load(path=full_zip)
        assert [type(job.target) for job in beside] == [dict]
        return
    leftover = Path(loading_process.scratch_path(str(connection.settings_dict["NAME"])))
    leftover.write_bytes(b"half a file")

    register_load(path=full_zip)

    assert not leftover.exists()
    assert _left_behind() == NOTHING_LEFT


def _with_bad_row(tmp_path, file: str, row: tuple) -> Path:
    data = full_tables()
    data[file] = [*data[file], row]
    return write_full(tmp_path / "bad.zip", number=141, snapshot="01-11-2025", tables=data)


BAD_ROWS = {
    # a row of three values, in the file a process reads on either database
    "denomination": (dotted("0999999927"), "2", "001"),
    # a date not in dd-mm-yyyy: SQLite's second process, PostgreSQL's load itself
    "address": (
        dotted("0999999927"),
        "REGO",
        "",
        "",
        "1000",
        "Brussel",
        "Bruxelles",
        "Wetstraat",
        "Rue de la Loi",
        "1",
        "",
        "",
        "2025-01-01",
    ),
    # the load's own file, while the other processes run
    "enterprise": (dotted("0999999927"), "AC", "000", "2", "610", "", "2025-01-01"),
}


@pytest.mark.parametrize("file", BAD_ROWS)
def test_a_bad_row_in_any_process_is_refused_and_leaves_the_copy_and_nothing_behind(
    committed_register, full_zip, beside, tmp_path, file
):
    register_load(path=full_zip)
    before = _copy()

    with pytest.raises(RegisterRefused) as refusal:
        register_load(path=_with_bad_row(tmp_path, file, BAD_ROWS[file]))

    assert refusal.value.code == "not_an_extract"
    assert f"{file}.csv" in refusal.value.message
    assert register_copy().extract_number == 140
    assert _copy() == before
    assert _left_behind() == NOTHING_LEFT


def test_a_process_that_ends_without_an_answer_fails_the_load_and_leaves_the_copy(
    committed_register, full_zip, beside, monkeypatch
):
    register_load(path=full_zip)
    before = _copy()
    monkeypatch.setattr(loading_process, "_run", end_at_once)

    with pytest.raises(loading_process.LoadingFailed, match="ended with 3"):
        register_load(path=full_zip)

    assert register_copy().extract_number == 140
    assert _copy() == before
    assert _left_behind() == NOTHING_LEFT


ACME = valid_number("04123456")
HOLDING = valid_number("04123457")
LONG_WORD = "㍿" * 150  # unfolds to 600 characters, 1,800 bytes


def _with_unusual_names(tmp_path) -> Path:
    data = full_tables()
    for number, name in ((ACME, "Acme™ Trading"), (HOLDING, f"Holding {LONG_WORD}")):
        data["enterprise"] = [
            *data["enterprise"],
            (dotted(number), "AC", "000", "2", "610", "", ""),
        ]
        data["denomination"] = [*data["denomination"], (dotted(number), "2", "001", name)]
    return write_full(tmp_path / "unusual.zip", number=141, snapshot="01-11-2025", tables=data)


@pytest.mark.parametrize("processes", [False, True], ids=["in one process", "beside"])
def test_a_name_whose_folding_brings_capitals_or_a_long_word_is_found(
    committed_register, beside, monkeypatch, tmp_path, processes
):
    if not processes:
        monkeypatch.setattr(loading_process, "MIN_BYTES", 1 << 60)

    register_load(path=_with_unusual_names(tmp_path))

    assert bool(beside) is processes
    # "™" unfolds to "TM": found by any case, whole or as the start of the last word.
    for query in ("acmet", "ACMETM trading", "Acme™"):
        assert [m.number for m in register_companies_search(query)] == [ACME], query
    assert [m.number for m in register_companies_search(f"holding {LONG_WORD}")] == [HOLDING]


def test_the_progress_goes_through_its_phases_once_each_in_order(
    committed_register, full_zip, beside
):
    phases = []

    register_load(
        path=full_zip,
        progress=lambda phase, done, total: (
            phases.append(phase) if not phases or phases[-1] != phase else None
        ),
    )

    assert beside
    assert phases == ["read", "index", "switch"]


def test_a_load_failing_once_a_process_has_written_leaves_no_session_nor_file(
    committed_register, full_zip, beside, monkeypatch
):
    register_load(path=full_zip)
    before = _copy()
    # On PostgreSQL the process builds the search index meanwhile; on SQLite it has ended
    # and left its scratch file.
    failing = "_index" if connection.vendor == "postgresql" else "sqlite_copy_in"
    where = services if failing == "_index" else loading_process

    def fail(*args, **kwargs):
        raise RuntimeError("the load fails here")

    monkeypatch.setattr(where, failing, fail)

    with pytest.raises(RuntimeError, match="the load fails here"):
        register_load(path=full_zip)

    assert _copy() == before
    assert _left_behind() == NOTHING_LEFT
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                [loading_process.APPLICATION_NAME],
            )
            assert cursor.fetchone()[0] == 0
