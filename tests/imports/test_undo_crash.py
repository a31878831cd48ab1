"""An undo whose worker is killed halfway (kill -9, a real `partnerspace task_worker` on a
database on disk: the `background` pass) leaves only whole batches undone, counted with
them, and is finished by the recovery pass of the second worker running beside it: every
client the import created is deleted once, the result counts each once, and the firm's
audit log says the import was undone once."""

import json

import pytest

from tests.processes import process_database

from .builders import xlsx
from .rows import client_row, table
from .test_crash_recovery import LEASE, UPLOAD, _wait_for

__all__ = ["process_database"]

pytestmark = pytest.mark.background

ROWS = 20_000

UNDO = """
import json
from django.test import Client
client = Client(HTTP_AUTHORIZATION="Bearer " + sys.argv[1])
answer = client.post(
    f"/api/v1/imports/{sys.argv[2]}/undo", {}, content_type="application/json"
)
print(json.dumps([answer.status_code, answer.json()["state"], answer.json()["total"]]))
"""


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("undo-crash") / "klanten.xlsx"
    path.write_bytes(xlsx(table([client_row(n, template="") for n in range(1, ROWS + 1)])))
    return path


def _undo(db, job_id):
    return db.query(
        "SELECT undo_processed, undo_result, undo_task_id, undo_attempts "
        "FROM imports_importjob WHERE id = %s",
        job_id,
    )[0]


def _clients(db, slug) -> int:
    return db.query(
        "SELECT count(*) FROM clients_client c JOIN firms_firm f ON f.id = c.firm_id "
        "WHERE f.slug = %s",
        slug,
    )[0][0]


def test_a_worker_killed_mid_undo_leaves_whole_batches_and_the_recovery_pass_finishes_it(
    process_database, big_file
):
    db = process_database
    slug = db.firm()
    token = db.token(slug)
    env = {"PARTNERSPACE_IMPORT_LEASE_SECONDS": str(LEASE)}
    first = db.start_worker(f"undo-crash-{slug}", **env)
    survivor = None
    try:
        upload = db.python(UPLOAD, token, str(big_file), **env)
        assert upload.returncode == 0, upload.stderr[-2000:]
        _status, job_id, _state = json.loads(upload.stdout)
        _wait_for(
            lambda: (
                db.query("SELECT status FROM imports_importjob WHERE id = %s", job_id)[0][0]
                == "done"
            ),
            600,
            "the import to be done",
        )
        undo = db.python(UNDO, token, str(job_id), **env)
        assert undo.returncode == 0, undo.stderr[-2000:]
        assert json.loads(undo.stdout) == [202, "running", ROWS]
        _wait_for(lambda: _undo(db, job_id)[0] > 0, 240, "the undo to start")
        survivor = db.start_worker(f"undo-survivor-{slug}", **env)
        _wait_for(lambda: _undo(db, job_id)[0] >= ROWS * 3 // 10, 240, "30 % undone")
        first_task = _undo(db, job_id)[2]
    finally:
        db.kill(first)
    [(processed, result, clients)] = db.query(
        "SELECT j.undo_processed, j.undo_result, (SELECT count(*) FROM clients_client c "
        "WHERE c.firm_id = j.firm_id) FROM imports_importjob j WHERE j.id = %s",
        job_id,
    )
    if result is None:  # on a loaded machine the survivor may have finished it already
        assert 0 < processed < ROWS
        # Whole batches only, counted in their own transaction.
        assert clients == ROWS - processed

    assert survivor is not None
    try:
        _wait_for(lambda: _undo(db, job_id)[1] is not None, 600, "the undo to be finished")
    finally:
        survivor.stop()
    processed, result, new_task, attempts = _undo(db, job_id)
    result = json.loads(result) if isinstance(result, str) else result
    assert (processed, result["deleted"], result["left_alone"]) == (ROWS, ROWS, 0)
    assert _clients(db, slug) == 0
    assert new_task != first_task and attempts >= 2
    [(undone,)] = db.query(
        "SELECT count(*) FROM firms_auditevent a JOIN firms_firm f ON f.id = a.firm_id "
        "WHERE f.slug = %s AND a.action = 'import.undone'",
        slug,
    )
    assert undone == 1
