"""The error report: the refused rows of an import, to correct and upload again.

The report is the template filled with the rows the import refused, in the order of the
uploaded file and with their cells as the file held them (also columns the file left out
are there, empty). Each cell an error is about is filled light red and carries the message
as a comment; the last column lists every message of the row, also those about the row as a
whole. Correct the cells and upload the report itself: the extra column is ignored (the
preview names it among the columns it did not use).

With the public register loaded, the last column then says what the register says of each
of these rows (imports.register_fill): a cell it fills, a name it does not know, a number it
does not hold. An import keeps no warnings of the rows it refuses, so the register is asked
again, a batch of rows at a time; the cells stay as the file held them.

Problems with the file as a whole (row None) stand above the header row, one per line; the
reader looks for the header among the first rows, so the report still reads back.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext as _

from partnerspace.imports.columns import COLUMN_BY_KEY, COLUMNS, REPORT_MESSAGES_LABEL
from partnerspace.imports.reading import HEADER_SEARCH_ROWS, FileProblem, Sheet
from partnerspace.imports.register_fill import register_fill
from partnerspace.imports.template_xlsx import (
    AUTHOR,
    WORKBOOK_OPTIONS,
    Styles,
    data_sheet_name,
    language_code,
    prepare_columns,
    write_header_row,
)
from partnerspace.register.selectors import RegisterCopy, register_copy

__all__ = [
    "MAX_COMMENTS",
    "MESSAGES_LABEL",
    "error_report_bytes",
    "job_error_report",
    "job_errors",
]

# The header of the added last column, which an upload of the report reads past (columns.py).
MESSAGES_LABEL = REPORT_MESSAGES_LABEL
# Beyond this many commented cells, bad cells are still filled red and their messages
# still listed in the last column, but get no comment: spreadsheet programs slow down
# badly on tens of thousands of comments.
MAX_COMMENTS = 10_000
# File-level messages above the header: the reader finds the header among the first
# HEADER_SEARCH_ROWS non-blank rows.
_MAX_FILE_LINES = HEADER_SEARCH_ROWS - 2
_KEYS = [column.key for column in COLUMNS]
# Rows looked up in the register at once (one query each batch, as the import does).
REGISTER_BATCH = 500


@dataclass(frozen=True, slots=True)
class _Error:
    row: int | None
    field: str
    message: str
    value: str


def _error(item) -> _Error:
    if isinstance(item, Mapping):
        get = item.get
    else:

        def get(name, default=None):
            return getattr(item, name, default)

    return _Error(
        row=get("row"),
        field=get("field") or "",
        message=str(get("message") or get("code") or ""),
        value="" if get("value") is None else str(get("value")),
    )


def error_report_bytes(*, sheet: Sheet | None, errors: Iterable, language: str) -> bytes:
    """The report of ``errors`` (``pipeline.Issue`` objects, or dicts with row, field, code,
    value and message) for the rows of ``sheet``, headers in ``language``. ``sheet`` may be
    None when the file could not be read: the report then holds the file's problems and
    the header row."""
    code = language_code(language)
    by_row: dict[int, list[_Error]] = {}
    file_level: list[str] = []
    for item in errors:
        error = _error(item)
        if error.row is None:
            if error.message not in file_level:
                file_level.append(error.message)
        else:
            by_row.setdefault(error.row, []).append(error)
    buffer = io.BytesIO()
    with translation.override(code):
        workbook = xlsxwriter.Workbook(buffer, {"constant_memory": True, **WORKBOOK_OPTIONS})
        workbook.set_properties({"title": _("Refused rows"), "author": AUTHOR})
        styles = Styles(workbook)
        data = workbook.add_worksheet(data_sheet_name())
        lines = _file_lines(file_level)
        header_row = len(lines) + 1 if lines else 0
        prepare_columns(data, styles, code, first_row=header_row + 1)
        messages_col = len(COLUMNS)
        data.set_column(messages_col, messages_col, 80, styles.wrap)
        for row, text in enumerate(lines):
            data.write_string(row, 0, _("File: %(message)s") % {"message": text}, styles.note)
        write_header_row(data, styles, code, row=header_row)
        data.write_string(header_row, messages_col, MESSAGES_LABEL[code], styles.optional)
        if sheet is not None and by_row:
            _write_rows(data, styles, sheet, by_row, code, header_row + 1)
        workbook.close()
    return buffer.getvalue()


def _file_lines(messages: list[str]) -> list[str]:
    """The file-level messages, one a line, the last line taking any beyond the limit."""
    lines = messages[:_MAX_FILE_LINES]
    if len(messages) > _MAX_FILE_LINES:
        lines[-1] = " ".join(messages[_MAX_FILE_LINES - 1 :])
    return lines


def _register_notes(source: Sheet, by_row, copy: RegisterCopy | None, first: int) -> dict:
    """What the register says of the refused rows among the `REGISTER_BATCH` rows of
    `source` from the `first`-th on, by row number."""
    if copy is None:
        return {}
    refused = [
        (number, dict(zip(source.columns, values, strict=True)))
        for number, values in source.rows[first : first + REGISTER_BATCH]
        if number in by_row
    ]
    return register_fill(refused, copy) if refused else {}


def _write_rows(sheet, styles: Styles, source: Sheet, by_row, language: str, first: int) -> None:
    positions = {key: _KEYS.index(key) for key in source.columns}
    messages_col = len(COLUMNS)
    comments = 0
    row = first
    copy = register_copy()
    notes: dict = {}
    for index, (number, values) in enumerate(source.rows):
        if index % REGISTER_BATCH == 0:
            notes = _register_notes(source, by_row, copy, index)
        errors = by_row.get(number)
        if not errors:
            continue
        cells = [""] * len(COLUMNS)
        for key, value in zip(source.columns, values, strict=True):
            cells[positions[key]] = value
        bad: dict[int, list[_Error]] = {}
        for error in errors:
            if error.field in COLUMN_BY_KEY:
                bad.setdefault(_KEYS.index(error.field), []).append(error)
        for col, value in enumerate(cells):
            problems = bad.get(col)
            if problems is None:
                if value:
                    sheet.write_string(row, col, value)
                continue
            # A cell read as empty whose error kept what it held (a date in a text
            # column): show that, so the person sees what to correct.
            shown = value or next((p.value for p in problems if p.value), "")
            if shown:
                sheet.write_string(row, col, shown, styles.bad)
            else:
                sheet.write_blank(row, col, None, styles.bad)
            if comments < MAX_COMMENTS:
                text = "\n".join(dict.fromkeys(p.message for p in problems))
                sheet.write_comment(
                    row,
                    col,
                    text,
                    {"author": AUTHOR, "x_scale": 3, "y_scale": 1 + len(text) // 150},
                )
                comments += 1
        lines = []
        for error in [*errors, *notes.get(number, ())]:
            column = COLUMN_BY_KEY.get(error.field)
            lines.append(f"{column.label(language)}: {error.message}" if column else error.message)
        sheet.write_string(row, messages_col, "\n".join(dict.fromkeys(lines)), styles.wrap)
        row += 1


def job_error_report(*, job) -> bytes:
    """The report of an import job: the one written when its check or import ended, else
    made now from its recorded errors, the headers in the job's language (the language its
    messages were written in). The upload is read again only for a job that refused rows
    and has no report yet (it stopped before its end, or ended before reports were
    written then), and then apart (imports.isolation); a refused file is never read again."""
    from partnerspace.imports.isolation import job_sheet_read
    from partnerspace.imports.models import ImportStatus

    if job.report_file:
        with job.report_file.open("rb") as handle:
            return handle.read()
    errors = job_errors(job)
    sheet = None
    if job.file and job.refused and job.status != ImportStatus.REFUSED:
        try:
            sheet = job_sheet_read(job)
        except (FileProblem, OSError):
            sheet = None  # the file is gone, or no longer reads
    return error_report_bytes(sheet=sheet, errors=errors, language=job.language)


def job_errors(job) -> list[dict]:
    """The job's recorded errors, in the report's order."""
    return list(
        job.issues.filter(is_error=True)
        .order_by("row", "id")
        .values("row", "field", "code", "value", "message")
    )
