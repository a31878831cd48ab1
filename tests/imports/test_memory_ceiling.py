"""A small file whose cells copy one long text many times is refused before it is read,
through the reader, the API and the command line, in a process that may map at most
1.5 GB: without the bound, calamine builds gigabytes from a few hundred kilobytes and the
process dies ("memory allocation failed")."""

import io
import json
import resource
import subprocess
import sys
import zipfile

import pytest

from partnerspace.imports import reading
from tests.processes import ROOT, address_space_limit, process_database, process_env

from .builders import (
    HEADERS_NL,
    amplified_ods,
    amplified_xls,
    amplified_xlsx,
    client_row,
    shared_strings_xlsx,
    sst_xls,
    xlsx,
)

__all__ = ["process_database"]  # the fixture, used by name

LIMIT = 1536 * 1024 * 1024  # the address space each process here may use

# Each expands to 2 GB or more without the bound.
HOSTILE = {
    "xlsx": lambda: amplified_xlsx(100_000, 30_000),  # 3 GB
    "xls": lambda: amplified_xls(60_000, 40_000),  # 2.4 GB
    "ods": lambda: amplified_ods(100_000, columns=20, rows=1500),  # 3 GB
    "ods_spaces": lambda: amplified_ods(1, columns=20, rows=100, spaces=2_000_000),  # 4 GB
    # one sheet of 20 MB listed as 200 sheets: calamine reads it 200 times
    "xls_sheets": lambda: sst_xls(
        [*HEADERS_NL, "x" * 1000], [list(range(17)), *([[17] * 20] * 1000)], sheets=200
    ),
    # a DIMENSIONS record whose first row lies after its last: calamine reserves a list of
    # 4 billion rows times 17 columns of cells
    "xls_dimensions": lambda: sst_xls(
        [*HEADERS_NL, "x"], [list(range(17)), [17] * 17], dimensions=(5, 1, 0, 17)
    ),
}
SUFFIX = {
    "xlsx": "xlsx",
    "xls": "xls",
    "ods": "ods",
    "ods_spaces": "ods",
    "xls_sheets": "xls",
    "xls_dimensions": "xls",
}
REFUSAL = {"xls_dimensions": "unreadable_file"}

# The peak is this process's own (VmHWM): ru_maxrss would report the test runner's, which a
# forked child inherits across exec, as soon as the runner has grown larger than the reader.
READ = """
import sys
from partnerspace.imports.reading import FileProblem, read_table
data = open(sys.argv[1], "rb").read()
try:
    sheet = read_table(data, filename=sys.argv[1])
    print("read", sheet.row_count)
except FileProblem as problem:
    print("refused", problem.code)
with open("/proc/self/status") as status:
    peak_kb = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print("peak_mb", peak_kb // 1024)
"""


def _read_limited(path) -> dict[str, str]:
    result = subprocess.run(
        [sys.executable, "-c", READ, str(path)],
        env=process_env("sqlite:///:memory:"),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=address_space_limit(LIMIT),
        cwd=ROOT,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    return dict(line.split(" ", 1) for line in result.stdout.splitlines())


@pytest.mark.parametrize("kind", HOSTILE)
def test_a_small_file_copying_a_long_text_into_many_cells_is_refused_before_it_is_read(
    kind, tmp_path
):
    data = HOSTILE[kind]()
    assert len(data) < 1024 * 1024
    path = tmp_path / f"klanten.{SUFFIX[kind]}"
    path.write_bytes(data)
    outcome = _read_limited(path)
    assert outcome.get("refused") == REFUSAL.get(kind, "content_too_large"), outcome
    assert int(outcome["peak_mb"]) < 300


@pytest.mark.parametrize(
    "text",
    [
        "x" * 50_000,  # cut to 1,001 characters when read
        "x" * 1000 + "\N{GRINNING FACE}",  # kept whole, at 4 bytes a character in Python
    ],
    ids=["long", "kept-wide"],
)
def test_the_largest_copies_the_limit_admits_are_read_within_the_ceiling(text, tmp_path):
    """The worst files the bound lets through: one shared string copied into client cells,
    just under MAX_READ_BYTES in all. They are read, in a process of 1.5 GB."""
    length = len(text.encode())
    strings = [*HEADERS_NL, text]

    def workbook(rows: int) -> bytes:
        return shared_strings_xlsx(strings, [list(range(17)), *([[17] * 17] * rows)])

    def cost(rows: int) -> int:
        return max(reading._check_xlsx(zipfile.ZipFile(io.BytesIO(workbook(rows)))))

    low, high = 1, reading.MAX_READ_BYTES // (17 * length)
    while low < high:  # the most rows whose cost is within the limit
        middle = (low + high + 1) // 2
        low, high = (middle, high) if cost(middle) <= reading.MAX_READ_BYTES else (low, middle - 1)
    rows = low
    assert cost(rows) > 0.98 * reading.MAX_READ_BYTES
    data = workbook(rows)
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(data)
    outcome = _read_limited(path)
    assert outcome.get("read") == str(rows), outcome
    # measured: 195 MB (long) and 364 MB (kept-wide) at the peak, for the whole process
    assert int(outcome["peak_mb"]) < 600
    path.write_bytes(workbook(rows + 1))  # one more row of copies is refused
    assert _read_limited(path).get("refused") == "content_too_large"


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_the_api_refuses_such_a_file_cleanly_and_the_process_goes_on(
    kind, process_database, tmp_path
):
    """The preview of a file under 256 KB runs inside the request, a larger one in the
    worker (here in the same process): either must survive it, and serve the next upload."""
    slug = process_database.firm()
    token = process_database.token(slug)
    hostile = tmp_path / f"klanten.{SUFFIX[kind]}"
    hostile.write_bytes(HOSTILE[kind]())
    fine = tmp_path / "goed.xlsx"
    fine.write_bytes(xlsx([HEADERS_NL, [*client_row(1)[:16], ""]]))
    code = """
import json
from django.test import Client
client = Client(HTTP_AUTHORIZATION="Bearer " + sys.argv[1])
for name in sys.argv[2:]:
    with open(name, "rb") as handle:
        answer = client.post("/api/v1/imports", {"file": handle, "dry_run": "true"})
    body = client.get(f"/api/v1/imports/{answer.json()['id']}").json()
    print(json.dumps([body["status"], [e["code"] for e in body["errors"]]]))
"""
    result = process_database.python(
        code,
        token,
        str(hostile),
        str(fine),
        limit_bytes=LIMIT,
        TASKS_BACKEND="django_tasks.backends.immediate.ImmediateBackend",
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    refused, accepted = (json.loads(line) for line in result.stdout.splitlines())
    assert refused == ["refused", ["content_too_large"]]
    assert accepted == ["previewed", []]


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_import_clients_refuses_such_a_file_with_the_file_refused_exit_code(
    kind, process_database, tmp_path
):
    slug = process_database.firm()
    hostile = tmp_path / f"klanten.{SUFFIX[kind]}"
    hostile.write_bytes(HOSTILE[kind]())
    result = process_database.manage(
        "import_clients", "--firm", slug, "--json", str(hostile), limit_bytes=LIMIT
    )
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    assert [e["code"] for e in json.loads(result.stdout)["errors"]] == ["content_too_large"]


def test_this_machine_lets_a_child_limit_its_address_space():
    """The tests above rely on RLIMIT_AS: a child that maps more than its limit fails."""
    code = "b = bytearray(2 * 1024 * 1024 * 1024)"
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        preexec_fn=address_space_limit(LIMIT),
        timeout=60,
    )
    assert result.returncode != 0 and b"MemoryError" in result.stderr
    assert resource.RLIMIT_AS
