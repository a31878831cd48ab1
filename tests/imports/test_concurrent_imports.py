"""Two imports of the same file of clients without numbers, started together for the same
firm, in two real processes: the database decides (client_unique_identity), so each client
is created once and the other import refuses it, as when they run one after the other."""

import json
import subprocess
import sys

from tests.processes import ROOT, process_database

from .builders import xlsx
from .rows import client_row, table

__all__ = ["process_database"]

ROWS = 5000

# Each process reads the firm's clients (the snapshot the match by name and address uses),
# then waits for the other to have read them too: both start writing from an empty firm.
TOGETHER = """
import os, time
from django.core.management import execute_from_command_line
from partnerspace.imports.pipeline import Importer

mine, theirs = sys.argv[1], sys.argv[2]
loaded = Importer._load_existing

def load_then_wait(self):
    loaded(self)
    open(mine, "w").close()
    deadline = time.monotonic() + 120
    while not os.path.exists(theirs) and time.monotonic() < deadline:
        time.sleep(0.05)

Importer._load_existing = load_then_wait
execute_from_command_line(["partnerspace", "import_clients", *sys.argv[3:]])
"""


def test_two_imports_at_once_create_each_client_without_numbers_once(process_database, tmp_path):
    db = process_database
    slug = db.firm()
    rows = [
        client_row(n, company_number="", vat_number="", external_reference="")
        for n in range(1, ROWS + 1)
    ]
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(xlsx(table(rows)))
    flags = [tmp_path / "first.loaded", tmp_path / "second.loaded"]
    prelude = "import django, sys\ndjango.setup()\n"
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                prelude + TOGETHER,
                str(flags[k]),
                str(flags[1 - k]),
                "--firm",
                slug,
                "--json",
                str(path),
            ],
            env=db.env(),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for k in (0, 1)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode in (0, 1), (process.returncode, err[-3000:])
        outcomes.append(json.loads(out))

    clients = db.query(
        "SELECT count(*), count(DISTINCT c.identity_key) FROM clients_client c "
        "JOIN firms_firm f ON f.id = c.firm_id WHERE f.slug = %s",
        slug,
    )[0]
    assert clients == (ROWS, ROWS)
    assert sum(outcome["created"] for outcome in outcomes) == ROWS
    assert sum(outcome["refused"] for outcome in outcomes) == ROWS
    codes = {error["code"] for outcome in outcomes for error in outcome["errors"]}
    assert codes == {"already_exists"}
    messages = [error["message"] for outcome in outcomes for error in outcome["errors"]]
    assert all("Bakkerij" in message for message in messages)  # names the existing client
