"""Reading an upload in a process of its own, under a memory ceiling and a time limit.

The reader (:mod:`.reading`) estimates what calamine will build from a file before it
lets calamine run, and refuses the file when that is too much. An estimate can have a
hole; a hole must then cost a refusal, not the process that reads: the web process
serving everyone's requests, or the worker running everyone's tasks. So every upload
the pages, the API and the worker read is read here: a new Python process gets the bytes
on its standard input, limits its own address space (RLIMIT_AS) to
PARTNERSPACE_IMPORT_READ_MEMORY_MB, reads them with :func:`.reading.read_table`, and
writes the :class:`.reading.Sheet` (or the refusal) back as JSON. A child that dies (out
of memory, calamine aborts) means ``content_too_large``; one that takes longer than
PARTNERSPACE_IMPORT_READ_SECONDS is killed and the file is ``unreadable_file``.

The price is a new interpreter per read: about 0.1 s for a client list of 50 rows, and
for 100,000 rows the Sheet's JSON on top of the read (see the README's performance
notes). A process is started fresh rather than forked from the web process, whose threads
and memory a fork would share.

The command line (`import_clients`) reads in its own process, which is already apart.
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys

from . import reading
from .reading import CellProblem, FileProblem, Sheet, read_table

__all__ = ["read_table_isolated"]

logger = logging.getLogger(__name__)

_CORRUPT = {"reason": "corrupt"}
# The reader's limits, as this process has them, hold in the child too.
_LIMITS = ("MAX_ROWS", "MAX_READ_BYTES", "MAX_SHEET_CELLS", "MAX_CELL_CHARS")


def read_table_isolated(data: bytes, *, filename: str, timeout: float | None = None) -> Sheet:
    """:func:`.reading.read_table` in a child process; see the module documentation.

    Raises :class:`.reading.FileProblem`, and nothing else for bad input."""
    from django.conf import settings

    limit = settings.PARTNERSPACE_IMPORT_READ_MEMORY_MB * 1024 * 1024
    if timeout is None:
        timeout = settings.PARTNERSPACE_IMPORT_READ_SECONDS
    limits = {name: getattr(reading, name) for name in _LIMITS}
    header = json.dumps({"filename": filename, "limits": limits}).encode() + b"\n"
    try:
        child = subprocess.run(  # noqa: S603 - this interpreter, this module, no shell
            [sys.executable, "-m", __name__, str(limit)],
            input=header + bytes(data),
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:  # run() killed it
        logger.warning("Reading an upload took more than %s s: refused", timeout)
        raise FileProblem("unreadable_file", _CORRUPT) from exc
    if child.returncode != 0:
        # calamine aborts the process when an allocation fails; Python raises MemoryError
        logger.warning("Reading an upload stopped its process (exit %s): refused", child.returncode)
        raise FileProblem("content_too_large", {"limit": reading.MAX_READ_BYTES})
    try:
        answer = json.loads(child.stdout)
    except ValueError as exc:
        logger.warning("Reading an upload gave no answer: refused")
        raise FileProblem("unreadable_file", _CORRUPT) from exc
    if "problem" in answer:
        raise FileProblem(answer["problem"]["code"], answer["problem"]["detail"])
    return _sheet(answer["sheet"])


def _sheet(data: dict) -> Sheet:
    return Sheet(
        columns=tuple(data["columns"]),
        unknown_headers=tuple(data["unknown_headers"]),
        rows=[(number, tuple(values)) for number, values in data["rows"]],
        row_count=data["row_count"],
        cell_problems=[CellProblem(*problem) for problem in data["cell_problems"]],
        sheet_name=data["sheet_name"],
        format=data["format"],
        header_row=data["header_row"],
    )


def _answer(sheet: Sheet) -> dict:
    return {
        "columns": sheet.columns,
        "unknown_headers": sheet.unknown_headers,
        "rows": sheet.rows,
        "row_count": sheet.row_count,
        "cell_problems": [[p.row, p.key, p.code, p.value] for p in sheet.cell_problems],
        "sheet_name": sheet.sheet_name,
        "format": sheet.format,
        "header_row": sheet.header_row,
    }


def _child(limit: int) -> None:
    """The child's part: limit itself, read the standard input, answer on the output."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    for name in _LIMITS:
        setattr(reading, name, header["limits"][name])
    data = stdin.read()
    try:
        answer = {"sheet": _answer(read_table(data, filename=header["filename"]))}
    except FileProblem as problem:
        answer = {"problem": {"code": problem.code, "detail": problem.detail}}
    del data
    sys.stdout.buffer.write(json.dumps(answer, ensure_ascii=False).encode("utf-8"))


if __name__ == "__main__":
    _child(int(sys.argv[1]))
