"""An import whose worker is killed halfway (kill -9, a real `partnerspace task_worker` on a
database on disk, on the database queue or on Redis: the `background` pass) leaves only whole
batches written, is noticed by its lease, and is resumed from its last written batch by the
second worker running beside it: in the end every row is in exactly once, the dead task says
failed and no task says "running"."""

import json
import time

import pytest

from tests.processes import process_database

from .builders import xlsx
from .rows import client_row, table

__all__ = ["process_database"]

pytestmark = pytest.mark.background

ROWS = 20_000
LEASE = 8  # seconds, for these tests; 120 by default

UPLOAD = """
import json
from django.test import Client
client = Client(HTTP_AUTHORIZATION="Bearer " + sys.argv[1])
with open(sys.argv[2], "rb") as handle:
    answer = client.post("/api/v1/imports", {"file": handle})
print(json.dumps([answer.status_code, answer.json()["id"], answer.json()["status"]]))
"""


def _wait_for(check, seconds: float, what: str):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"waited {seconds} s for {what}")


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("crash") / "klanten.xlsx"
    path.write_bytes(xlsx(table([client_row(n, template="") for n in range(1, ROWS + 1)])))
    return path


def _job(db, job_id):
    return db.query(
        "SELECT status, processed, created, refused, task_id FROM imports_importjob WHERE id = %s",
        job_id,
    )[0]


def _task_status(db, task_id):
    return db.step("task", id=task_id)["status"]


def test_a_killed_worker_leaves_an_interrupted_import_that_another_resumes_with_every_row_once(
    process_database, big_file
):
    db = process_database
    slug = db.firm()
    token = db.token(slug)
    env = {"PARTNERSPACE_IMPORT_LEASE_SECONDS": str(LEASE)}
    first = db.start_worker(f"crash-{slug}", **env)
    try:
        upload = db.python(UPLOAD, token, str(big_file), **env)
        assert upload.returncode == 0, upload.stderr[-2000:]
        status, job_id, _state = json.loads(upload.stdout)
        assert status == 202
        _wait_for(lambda: _job(db, job_id)[1] > 0, 240, "the import to start")
        # A second worker runs beside the first, which holds the import.
        db.start_worker(f"survivor-{slug}", **env)
        # kill -9 once some batches are written: at least 30 %, not the end
        _wait_for(lambda: _job(db, job_id)[1] >= ROWS * 3 // 10, 240, "30 % imported")
        first_task = _job(db, job_id)[4]
    finally:
        db.kill(first)
    # One statement, one moment: what the job says and the clients committed. (On a loaded
    # machine the survivor may already have taken the import up again.)
    [(processed, created, clients)] = db.query(
        "SELECT j.processed, j.created, (SELECT count(*) FROM clients_client c "
        "WHERE c.firm_id = j.firm_id) FROM imports_importjob j WHERE j.id = %s",
        job_id,
    )
    assert 0 < processed < ROWS
    # Whole batches only, each counted in its own transaction: what the job says is what
    # was committed.
    assert created == processed == clients

    # Its lease runs out: the surviving worker's recovery pass resumes it from its last
    # batch, and runs it to the end.
    survivor = db.workers[f"survivor-{slug}"]
    try:
        _wait_for(lambda: _job(db, job_id)[0] == "done", 600, "the import to be resumed and done")
    finally:
        survivor.stop()  # the session's database: no worker outlives its test
    state, processed, created, refused, new_task = _job(db, job_id)
    assert (state, processed, created, refused) == ("done", ROWS, ROWS, 0)
    assert new_task != first_task
    assert _task_status(db, first_task) == "FAILED"  # the dead task no longer says running
    assert _task_status(db, new_task) == "SUCCESSFUL"
    [(attempts,)] = db.query("SELECT attempts FROM imports_importjob WHERE id = %s", job_id)
    # Resumed at least once (again, should a batch on a loaded machine outlast the short lease).
    assert attempts >= 2
    counts = db.query(
        "SELECT count(*), count(DISTINCT c.company_number), "
        "(SELECT count(*) FROM clients_contact k JOIN clients_client d ON d.id = k.client_id "
        " WHERE d.firm_id = f.id), "
        "(SELECT count(*) FROM clients_clienthistory h JOIN clients_client e "
        " ON e.id = h.client_id WHERE e.firm_id = f.id AND h.action = 'created') "
        "FROM clients_client c JOIN firms_firm f ON f.id = c.firm_id WHERE f.slug = %s "
        "GROUP BY f.id",
        slug,
    )[0]
    assert counts == (ROWS, ROWS, ROWS, ROWS)
    errors = db.query(
        "SELECT count(*) FROM imports_importissue WHERE job_id = %s AND is_error", job_id
    )[0][0]
    assert errors == 0
