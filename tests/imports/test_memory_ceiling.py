"""A small file whose cells copy one long text many times is refused before it is read,
through the reader, the API and the command line, in a process that may map at most
1.5 GB: without the bound, calamine builds gigabytes from a few hundred kilobytes and the
process dies ("memory allocation failed")."""

import datetime
import io
import json
import os
import resource
import subprocess
import sys
import zipfile
from xml.sax.saxutils import escape

import pytest

from partnerspace.imports import reading
from partnerspace.imports.columns import REQUIRED_KEYS
from partnerspace.imports.reading import FileProblem
from tests.processes import ROOT, address_space_limit, process_database, process_env

from .builders import (
    HEADERS_NL,
    amplified_ods,
    amplified_xls,
    amplified_xlsx,
    client_row,
    entity_bomb_xlsx,
    ole2,
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
    # the long string behind a false end of the string: <si><!-- </si> --><t>x...</t></si>
    "xlsx_comment": lambda: amplified_xlsx(100_000, 30_000, spelling="comment"),
    "xlsx_pi": lambda: amplified_xlsx(100_000, 30_000, spelling="pi"),
    "xlsx_cdata": lambda: amplified_xlsx(100_000, 30_000, spelling="cdata"),
    # the shared strings' part named in another case: calamine finds it all the same
    "xlsx_SharedStrings": lambda: amplified_xlsx(
        100_000, 30_000, shared_part="xl/SharedStrings.xml"
    ),
    "xlsx_sharedstrings": lambda: amplified_xlsx(
        100_000, 30_000, shared_part="xl/sharedstrings.xml"
    ),
    "xlsx_SHAREDSTRINGS": lambda: amplified_xlsx(
        100_000, 30_000, shared_part="XL/SHAREDSTRINGS.XML"
    ),
    # the worksheet outside xl/worksheets/, where the workbook's relationships put it
    "xlsx_sheet_beside": lambda: amplified_xlsx(100_000, 30_000, sheet_target="sheet1.xml"),
    "xlsx_sheet_folder": lambda: amplified_xlsx(100_000, 30_000, sheet_target="data/s.xml"),
    "xlsx_sheet_absolute": lambda: amplified_xlsx(100_000, 30_000, sheet_target="/elders/blad.xml"),
    "xlsx_far_beside": lambda: shared_strings_xlsx(
        ["a"],
        [[0]],
        sheet_target="sheet1.xml",
        after_rows='<row r="1048576"><c r="XFD1048576" t="s"><v>0</v></c></row>',
    ),
    # calamine reserves room for uniqueCount strings before it reads one: 96 GB
    "xlsx_unique_count": lambda: shared_strings_xlsx(
        [*HEADERS_NL, *client_row(1)],
        [list(range(17)), list(range(17, 34))],
        unique_count="4000000000",
    ),
    # repeat counts written "+1500" (calamine reads them as numbers) ...
    "ods_plus": lambda: amplified_ods(100_000, columns=20, rows=1500, count="+{}"),
    # ... or with a character reference: "&#49;500" is 1500 rows
    "ods_reference": lambda: amplified_ods(100_000, columns=20, rows=500, rows_count="&#49;{}"),
    "ods_spaces_plus": lambda: amplified_ods(
        1, columns=20, rows=100, spaces=2_000_000, count="+{}"
    ),
    # entities defined in a DTD, each ten of the one before: a billion of them
    "xlsx_entity_bomb": lambda: entity_bomb_xlsx(),
    # an xls whose workbook calamine cannot read, with an xlsx after it: calamine then
    # opens the xlsx
    "xls_zip_after": lambda: ole2({"Workbook": b"\x09\x08junk"}) + amplified_xlsx(100_000, 30_000),
}
SUFFIX = {kind: kind.split("_")[0] for kind in HOSTILE}
REFUSAL = {
    "xls_dimensions": "unreadable_file",
    "xlsx_far_beside": "unreadable_file",
    "xls_zip_after": "unreadable_file",
    "xlsx_entity_bomb": "unreadable_file",
}

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
        return max(reading._check_xlsx(zipfile.ZipFile(io.BytesIO(workbook(rows)))).costs)

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


def test_each_shared_string_is_counted_at_its_own_index_across_the_parts_chunks(tmp_path):
    """The shared strings are read by chunks of 4 MB: a string cut by the end of a chunk
    must not be lost, or every later index would take the length of the string after it.
    Here the long string follows the one the first chunk cuts after its ``<si>``."""
    chunk = 4 * 1024 * 1024
    head = [f"<si><t>{escape(text)}</t></si>" for text in [*HEADERS_NL, *client_row(1)]]
    filler = "<si><t>f0000000</t></si>"
    fillers = (chunk - 4096) // len(filler)
    tail = ["<si><t>wordt gesneden</t></si>", f"<si><t>{'x' * 100_000}</t></si>", "<si/>"]
    long_one = len(head) + fillers + 1
    rows = [list(range(17)), list(range(17, 34)), *([[long_one] * 20] * 1_500)]
    spare = 0
    for _attempt in range(3):  # pad the last filler until the cut falls where it should
        items = [*head, *[filler] * fillers, *tail]
        items[long_one - 2] = f"<si><t>f{'g' * spare}</t></si>"
        data = shared_strings_xlsx([], rows, items=items, stored=True)
        shared = zipfile.ZipFile(io.BytesIO(data)).read("xl/sharedStrings.xml")
        spare += chunk - 4 - shared.index(b"<si><t>wordt")
    assert shared.index(b"<si><t>wordt") + 4 == chunk
    path = tmp_path / "klanten.xlsx"
    path.write_bytes(data)
    assert _read_limited(path).get("refused") == "content_too_large"


ESTIMATE = """
import re, sys
from partnerspace.imports import reading

def peak():  # the most address space the process has held (what RLIMIT_AS bounds)
    status = open("/proc/self/status").read()
    return int(re.search(r"VmPeak:\\s+(\\d+) kB", status)[1]) * 1024

data = open(sys.argv[1], "rb").read()
estimate = reading.estimated_cost(data, filename=sys.argv[1])
before = peak()
sheet = reading.read_table(data, filename=sys.argv[1])
print(estimate, peak() - before, sheet.row_count)
"""
# Files read well within the limit, each where one part of the estimate dominates.
FAMILY = {
    "xlsx copies": lambda: amplified_xlsx(4_000, 40_000),
    "xlsx wide copies": lambda: amplified_xlsx(
        1_000, 10_000, items_text="\N{GRINNING FACE}" * 1_000
    ),
    "xlsx distinct texts": lambda: xlsx([HEADERS_NL, *[client_row(n) for n in range(40_000)]]),
    "xlsx grid": lambda: xlsx([HEADERS_NL, client_row(1), *[[]] * 60_000, ["x"] * 60]),
    "xls copies": lambda: amplified_xls(4_000, 10_000),
    "ods copies": lambda: amplified_ods(4_000, columns=20, rows=2_000),
    "ods spaces": lambda: amplified_ods(1, columns=20, rows=100, spaces=40_000),
}


@pytest.mark.parametrize("kind", FAMILY)
def test_the_estimate_is_never_below_what_reading_takes(kind, tmp_path):
    """The reader's estimate against the memory reading the same file really takes (the
    growth of the process's peak address space), measured in a child process."""
    path = tmp_path / f"klanten.{kind.split()[0]}"
    path.write_bytes(FAMILY[kind]())
    result = subprocess.run(
        [sys.executable, "-c", ESTIMATE, str(path)],
        env=process_env("sqlite:///:memory:"),
        capture_output=True,
        text=True,
        timeout=300,
        preexec_fn=address_space_limit(LIMIT),
        cwd=ROOT,
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    estimate, taken, rows = map(int, result.stdout.split())
    assert rows > 0
    assert taken > 20 * 1024 * 1024  # a read large enough to measure
    assert taken <= estimate <= reading.MAX_READ_BYTES, (taken, estimate)


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods", "xlsx_comment"])
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


# In every process it is imported in: the reader's bounds let everything through, as a
# bound with a hole would.
BOUNDS_WITH_A_HOLE = """
import partnerspace.imports.reading as reading
reading.MAX_READ_BYTES = 1 << 62
reading.MAX_SHEET_CELLS = 1 << 62
"""


def _hole(tmp_path) -> str:
    """A folder whose sitecustomize.py (imported by every Python process that has it on
    its path) opens the hole."""
    folder = tmp_path / "hole"
    folder.mkdir()
    (folder / "sitecustomize.py").write_text(BOUNDS_WITH_A_HOLE)
    return str(folder)


def test_a_file_that_gets_past_the_bounds_cannot_take_the_web_process_down(
    process_database, tmp_path
):
    """The upload is read in a child process with its own memory ceiling: when the
    estimate misses, the child dies, the request answers a refusal, and the next upload is
    served by the same process."""
    slug = process_database.firm()
    token = process_database.token(slug)
    hostile = tmp_path / "klanten.xlsx"
    hostile.write_bytes(HOSTILE["xlsx"]())
    fine = tmp_path / "goed.xlsx"
    fine.write_bytes(xlsx([HEADERS_NL, [*client_row(1)[:16], ""]]))
    code = """
import json
from django.test import Client
from partnerspace.imports import reading
assert reading.MAX_READ_BYTES == 1 << 62  # the hole is open in this process too
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
        PYTHONPATH=os.pathsep.join([_hole(tmp_path), str(ROOT)]),
    )
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    refused, accepted = (json.loads(line) for line in result.stdout.splitlines())
    assert refused == ["refused", ["content_too_large"]]
    assert accepted == ["previewed", []]


def test_a_read_apart_gives_the_sheet_the_reader_gives():
    from partnerspace.imports.isolation import read_table_isolated

    rows = [[*HEADERS_NL, "Onbekend"], [*client_row(1), "x"], [*client_row(2), "y"]]
    rows[2][0] = datetime.date(2024, 5, 1)
    data = xlsx(rows)
    assert read_table_isolated(data, filename="k.xlsx") == reading.read_table(
        data, filename="k.xlsx"
    )
    with pytest.raises(reading.FileProblem) as caught:
        read_table_isolated(xlsx([["iets"], ["anders"]]), filename="k.xlsx")
    assert caught.value == FileProblem("missing_columns", {"columns": list(REQUIRED_KEYS)})


def test_a_read_apart_that_runs_out_of_memory_or_time_is_refused(monkeypatch, tmp_path):
    from partnerspace.imports.isolation import read_table_isolated

    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([_hole(tmp_path), os.environ.get("PYTHONPATH", "")])
    )
    with pytest.raises(FileProblem) as caught:
        read_table_isolated(HOSTILE["xlsx"](), filename="k.xlsx")
    assert caught.value.code == "content_too_large"
    with pytest.raises(FileProblem) as caught:
        read_table_isolated(xlsx([HEADERS_NL, client_row(1)]), filename="k.xlsx", timeout=0.01)
    assert caught.value == FileProblem("unreadable_file", {"reason": "corrupt"})


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
