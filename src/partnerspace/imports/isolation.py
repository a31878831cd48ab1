"""Reading an upload in a process of its own, under a memory ceiling and a time limit.

The reader (:mod:`.reading`) estimates what calamine will build from a file before it
lets calamine run, and refuses the file when that is too much. An estimate can have a
hole; a hole must then cost a refusal, not the process that reads: the web process
serving everyone's requests, or the worker running everyone's tasks. So every upload
the pages, the API and the worker read is read here: a new Python process gets the bytes
on its standard input, limits its own address space (RLIMIT_AS) to
PARTNERSPACE_IMPORT_READ_MEMORY_MB (and writes no core file), reads them with
:func:`.reading.read_table`, with the reader's limits of the process that asks, and
writes the :class:`.reading.Sheet` (or the refusal) back as JSON lines, row by row. A
child that dies (out of memory: calamine aborts) means ``content_too_large``; one that
takes longer than PARTNERSPACE_IMPORT_READ_SECONDS is killed and the file is
``unreadable_file``.

The price is a new interpreter per read: about 0.1 s for a client list of 50 rows, and
for 100,000 rows about 15 % more time than a read in the process itself (the rows travel
as JSON), with calamine's memory no longer in the asking process. A process is started
fresh rather than forked from the web process, whose threads and memory a fork would
share.

The command line (`import_clients`) reads in its own process, which is already apart.
"""

from __future__ import annotations

import json
import logging
import resource
import subprocess
import sys
import tempfile
import threading

from . import reading
from .mapping import HeaderRules, sheet_split
from .reading import CellProblem, FileProblem, Sheet, read_table

__all__ = ["read_table_isolated"]

logger = logging.getLogger(__name__)

_CORRUPT = {"reason": "corrupt"}
# The reader's limits, as the asking process has them, hold in the child too.
_LIMITS = ("MAX_ROWS", "MAX_READ_BYTES", "MAX_SHEET_CELLS", "MAX_CELL_CHARS")


def job_sheet_read(job) -> Sheet:
    """An import job's upload read apart, as its check and import read it: by its column
    mapping if it has one, its combined cells split, from the worksheet the person chose (or
    the one whose headers the reader recognises best)."""
    headers = HeaderRules(mapping=job.mapping) if job.mapping is not None else None
    with job.file.open("rb") as handle:
        sheet = read_table_isolated(
            handle.read(), filename=job.file_name, headers=headers, sheet=job.sheet or None
        )
    return sheet_split(sheet)


def read_table_isolated(
    data: bytes,
    *,
    filename: str,
    timeout: float | None = None,
    headers: HeaderRules | None = None,
    sheet: str | None = None,
) -> Sheet:
    """:func:`.reading.read_table` in a child process; see the module documentation.

    Raises :class:`.reading.FileProblem`, and nothing else for bad input."""
    from django.conf import settings

    limit = settings.PARTNERSPACE_IMPORT_READ_MEMORY_MB * 1024 * 1024
    if timeout is None:
        timeout = settings.PARTNERSPACE_IMPORT_READ_SECONDS
    limits = {name: getattr(reading, name) for name in _LIMITS}
    rules = headers.spec() if headers is not None else None
    header = (
        json.dumps({"filename": filename, "sheet": sheet, "limits": limits, "headers": rules})
        + "\n"
    ).encode()
    with tempfile.TemporaryFile() as source:
        # From a file, not a pipe: the answer is read while the child runs, and a child
        # that stops reading its input cannot block this process.
        source.write(header)
        source.write(data)
        source.seek(0)
        child = subprocess.Popen(  # noqa: S603 - this interpreter, this module, no shell
            [sys.executable, "-m", __name__, str(limit)],
            stdin=source,
            stdout=subprocess.PIPE,
            # what it says may name the file or its content: no log line carries that
            stderr=subprocess.DEVNULL,
        )
        expired = threading.Event()
        deadline = threading.Timer(timeout, _stop, [child, expired])
        deadline.start()
        try:
            answer = _answer_read(child.stdout)
        finally:
            deadline.cancel()
            child.stdout.close()  # type: ignore[union-attr]  # stdout=PIPE: never None
            returncode = child.wait()
        if expired.is_set():
            logger.warning("Reading an upload took more than %s s: refused", timeout)
            raise FileProblem("unreadable_file", _CORRUPT)
        if returncode != 0:
            # calamine aborts the process when an allocation fails; Python raises MemoryError
            logger.warning("Reading an upload stopped its process (exit %s): refused", returncode)
            raise FileProblem("content_too_large", {"limit": reading.MAX_READ_BYTES})
    if answer is None:
        logger.warning("Reading an upload gave no answer: refused")
        raise FileProblem("unreadable_file", _CORRUPT)
    return answer


def _stop(child: subprocess.Popen, expired: threading.Event) -> None:
    expired.set()
    child.kill()


def _answer_read(stream) -> Sheet | None:
    """The child's answer: a first line with the refusal, or with the sheet and how many
    rows follow, one a line. None when it broke off."""
    try:
        first = json.loads(stream.readline())
        if "problem" in first:
            problem = first["problem"]
            raise FileProblem(problem["code"], problem["detail"])
        meta = first["sheet"]
        rows = []
        for _row in range(meta["row_count"]):
            number, values = json.loads(stream.readline())
            rows.append((number, tuple(values)))
    except (ValueError, KeyError, TypeError):
        return None
    return Sheet(
        columns=tuple(meta["columns"]),
        unknown_headers=tuple(meta["unknown_headers"]),
        rows=rows,
        row_count=meta["row_count"],
        cell_problems=[CellProblem(*problem) for problem in meta["cell_problems"]],
        sheet_name=meta["sheet_name"],
        format=meta["format"],
        header_row=meta["header_row"],
        sheet_names=tuple(meta["sheet_names"]),
        encoding=meta["encoding"],
        notes=[CellProblem(*note) for note in meta["notes"]],
    )


def _child(limit: int) -> None:
    """The child's part: limit itself, read its input, answer line by line."""
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # an abort writes no gigabyte core
    stdin = sys.stdin.buffer
    header = json.loads(stdin.readline())
    for name in _LIMITS:
        setattr(reading, name, header["limits"][name])
    data = stdin.read()
    out = sys.stdout.buffer
    try:
        rules = header.get("headers")
        headers = HeaderRules.from_spec(rules) if rules is not None else None
        sheet = read_table(
            data, filename=header["filename"], headers=headers, sheet=header.get("sheet")
        )
    except FileProblem as problem:
        out.write(_line({"problem": {"code": problem.code, "detail": problem.detail}}))
        return
    del data
    meta = {
        "columns": sheet.columns,
        "unknown_headers": sheet.unknown_headers,
        "row_count": sheet.row_count,
        "cell_problems": [_problem(p) for p in sheet.cell_problems],
        "sheet_name": sheet.sheet_name,
        "format": sheet.format,
        "header_row": sheet.header_row,
        "sheet_names": sheet.sheet_names,
        "encoding": sheet.encoding,
        "notes": [_problem(p) for p in sheet.notes],
    }
    out.write(_line({"sheet": meta}))
    for row in sheet.rows:
        out.write(_line(row))


def _problem(problem: CellProblem) -> list:
    return [problem.row, problem.key, problem.code, problem.value, problem.normalized]


def _line(value) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode("utf-8") + b"\n"


if __name__ == "__main__":
    _child(int(sys.argv[1]))
