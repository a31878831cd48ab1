"""The reader: an uploaded file in, rows of text out, safely and fast.

:func:`read_table` takes the bytes (or a binary file object) of an .xlsx, .xlsm, .xls,
.ods or .csv file and returns a :class:`Sheet`: the columns it recognised (by their
Dutch, French or English header, see :mod:`.columns`) and its non-blank rows as text,
each with the row number Excel shows. A file it cannot or will not read raises
:class:`FileProblem`; no other exception escapes for bad input.

The format is recognised from the content, not the name: a zip holding a package
relationship (``_rels/.rels``) or ``xl/workbook.xml`` is xlsx/xlsm, a zip whose
``mimetype`` (or ``content.xml``) is an OpenDocument spreadsheet is ods, an OLE2 compound
file with a ``Workbook``/``Book`` stream is xls, and an OLE2 file with ``EncryptionInfo``
is an OOXML file saved with a password to open. Only when the content is none of these
does the extension count: .csv, .txt and .tsv files are read as delimited text. Anything
else is ``unsupported_format``. calamine tries every format on every file, so a file that
could be read as two of them is refused.

Spreadsheets are read with python-calamine, after checks that calamine does not make
itself, so that a small hostile (or unlucky) file cannot exhaust memory or abort the
process: the zip is inspected and every member inflated once, bounded, before calamine
opens it (zip bombs, also those whose directory lies about sizes); the parts calamine
will read are found as calamine finds them (the package's relationships, names in any
ASCII case) and a part that cannot be found so is refused, never guessed; and what each
sheet would take is estimated before calamine builds it: the cell grid (calamine
allocates the full rectangle between the first and the last cell: two cells at A1 and
XFD1048576 ask for 550 GB and abort the process) and its text, counted as calamine copies
it (shared strings through expat, repeated ods cells and rows as calamine reads their
counts). Delimited text is read with the csv module. The pages, the API and the worker
read an upload in a process of its own (:mod:`.isolation`), in case an estimate misses.

This module does not touch Django models; its messages use ``gettext_lazy`` and so need
settings only when turned into text.
"""

from __future__ import annotations

import array
import codecs
import csv
import datetime
import io
import itertools
import logging
import math
import re
import struct
import unicodedata
import zipfile
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import BinaryIO
from xml.parsers import expat

import charset_normalizer
import python_calamine
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from partnerspace.core.text import CONTROL

from .columns import COLUMN_BY_KEY, REQUIRED_KEYS, header_ignored
from .mapping import HeaderRules

__all__ = [
    "FILE_PROBLEM_MESSAGES",
    "FORMATS",
    "MAX_FILE_BYTES",
    "MAX_READ_BYTES",
    "MAX_ROWS",
    "MAX_SHEET_CELLS",
    "MAX_UNCOMPRESSED_BYTES",
    "CellProblem",
    "FileProblem",
    "Sheet",
    "read_table",
]

logger = logging.getLogger(__name__)

MAX_FILE_BYTES = 20 * 1024 * 1024
MAX_ROWS = 100_000
# Named columns a sheet may have: far more than a client list has (an accounting package's
# export of its relations has about a hundred); the mapping step draws a choice for each.
MAX_COLUMNS = 500
# All members of an xlsx/ods zip together, inflated.
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024
# A member inflating more than this many times its compressed size ...
MAX_COMPRESSION_RATIO = 100
# ... is refused when it is larger than this (small, repetitive XML compresses well).
RATIO_MIN_BYTES = 4 * 1024 * 1024
MAX_ZIP_MEMBERS = 10_000
# Cells of the rectangle calamine builds for a sheet (for xls and ods: for all sheets
# together, which calamine reads at once): 5 million cells take 360 MB in calamine
# before any text (measured). The read as a whole, text included, is bounded by
# MAX_READ_BYTES below: 100,000 rows of 30 columns fit.
MAX_SHEET_CELLS = 5_000_000
# What calamine builds for a file, estimated before it runs: each cell of the rectangle it
# allocates, and each text counted as often as a cell holds a copy of it. A string an xlsx
# or xls keeps once (shared strings, SST) is copied into every cell that refers to it, and
# an ods cell into every row and column it is repeated over: a 159 KB file asked for 3 GB.
# Measured with ru_maxrss on sheets of 1 to 5 million cells: an xlsx cell takes 72 bytes
# (its 32-byte slot in the grid and, while the sheet is read, a 40-byte entry in the list
# of cells). xls and ods keep a formula text beside each cell, and calamine reads their
# sheets when it opens the file and hands out a copy of each: cells and text twice.
XLSX_CELL_BYTES = 72
XLS_CELL_BYTES = 96 + 32
ODS_CELL_BYTES = 112 + 32
# calamine's list of cells of an xls sheet, reserved at the size the sheet's DIMENSIONS
# record declares (which the file may make up).
XLS_RESERVED_CELL_BYTES = 40
# A shared string kept in calamine's table: its text and this much beside it.
SHARED_STRING_BYTES = 40
# A byte of text costs its copies in calamine (one for xlsx, two for xls and ods) and the
# Python text the reader makes of each row: one byte a character for ASCII, up to four for
# any other (one emoji in a text makes Python keep the whole text at four bytes a
# character).
ASCII_TEXT_WEIGHT = 1 + 1
OTHER_TEXT_WEIGHT = 1 + 4
COPIED_ASCII_TEXT_WEIGHT = 2 + 1
COPIED_OTHER_TEXT_WEIGHT = 2 + 4
# The most a read may take. A client list of 100,000 rows of 20 columns costs about 250 MB.
MAX_READ_BYTES = 512 * 1024 * 1024
# A cell longer than this is cut to MAX_CELL_CHARS + 1 characters: the length rules still
# see it is too long, and memory stays bounded.
MAX_CELL_CHARS = 1_000
# The header row is looked for among the first this many non-blank rows of a sheet.
HEADER_SEARCH_ROWS = 10

FORMATS = ("xlsx", "xls", "ods", "csv")
TEXT_EXTENSIONS = (".csv", ".txt", ".tsv")


class FileProblem(Exception):
    """A file-level refusal: the import stops with this one message.

    ``code`` is one of ``unreadable_file``, ``unsupported_format``, ``empty_file``,
    ``missing_columns``, ``file_too_large``, ``content_too_large``, ``too_many_rows``,
    ``too_many_columns`` or ``sheet_not_found`` ({"sheet": the name asked for, "sheets":
    the worksheets' names);
    ``detail`` holds the particulars:

    - unreadable_file: {"reason": "corrupt" | "password_protected" | "encoding_unknown" |
      "too_large_uncompressed" | "sheet_too_large"} ("sheet_too_large" also gives
      {"limit": MAX_SHEET_CELLS}: a sheet whose used area, from its first to its last
      cell, is too large, usually because of stray content far from the table);
    - unsupported_format: {};
    - empty_file: {"reason": "no_data"} (no byte, no sheet, or only blank cells) or
      {"reason": "no_rows"} (the headers, but no row under them);
    - missing_columns: {"columns": [keys of the required columns not found, in COLUMNS
      order]};
    - file_too_large: {"limit": MAX_FILE_BYTES};
    - content_too_large: {"limit": MAX_READ_BYTES} (a small file whose cells repeat long
      texts, so that reading it would take more memory than the limit; also a file whose
      reading took the process reading it apart down, see :mod:`.isolation`);
    - too_many_rows: {"limit": MAX_ROWS};
    - too_many_columns: {"limit": MAX_COLUMNS}, counted in the header row.

    A plain exception class, not a frozen dataclass: Python sets ``__traceback__`` on
    exceptions that pass through ``contextlib.contextmanager`` generators, which a frozen
    dataclass refuses, and it pickles by its constructor arguments.
    """

    def __init__(self, code: str, detail: dict | None = None):
        detail = dict(detail or {})
        super().__init__(code, detail)
        self.code = code
        self.detail = detail

    def __repr__(self) -> str:
        return f"FileProblem({self.code!r}, {self.detail!r})"

    def __str__(self) -> str:
        return f"{self.code}: {self.detail}" if self.detail else self.code

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FileProblem):
            return NotImplemented
        return (self.code, self.detail) == (other.code, other.detail)

    def __hash__(self) -> int:
        return hash(self.code)

    def message(self) -> str:
        """The problem explained to the user, in the active language."""
        key = (
            self.detail.get("reason", "") if self.code in {"unreadable_file", "empty_file"} else ""
        )
        template = (
            FILE_PROBLEM_MESSAGES.get((self.code, key)) or FILE_PROBLEM_MESSAGES[(self.code, "")]
        )
        params = dict(self.detail)
        if "columns" in params:
            language = get_language() or "nl"
            params["columns"] = ", ".join(
                COLUMN_BY_KEY[k].label(language) if k in COLUMN_BY_KEY else k
                for k in params["columns"]
            )
        if "sheets" in params:
            params["sheets"] = ", ".join(params["sheets"])
        if "limit" in params and isinstance(params["limit"], int):
            if self.code in {"file_too_large", "content_too_large"}:
                params["limit"] = f"{params['limit'] // (1024 * 1024)} MB"
            else:
                params["limit"] = f"{params['limit']:,}".replace(",", ".")
        return str(template) % params


FILE_PROBLEM_MESSAGES = {
    ("unreadable_file", ""): _(
        "This file cannot be read: it is damaged or incomplete. Open it in your spreadsheet "
        "program, save it again and upload it once more."
    ),
    ("unreadable_file", "password_protected"): _(
        "This file is protected with a password. Save it without a password and upload it again."
    ),
    ("unreadable_file", "encoding_unknown"): _(
        "We cannot tell in which character set this file was saved, so its accents could be "
        "read wrong. Save it in your spreadsheet program as CSV UTF-8 (or as .xlsx) and upload "
        "it again."
    ),
    ("unreadable_file", "too_large_uncompressed"): _(
        "This file unpacks to far more data than a client list holds, so it is refused. "
        "Save the list again in a new file and upload that one."
    ),
    ("unreadable_file", "sheet_too_large"): _(
        "The sheet's used area is too large (more than %(limit)s cells from its first to its "
        "last cell). Delete content far below or to the right of your table, or copy the "
        "table to a new file, and upload it again."
    ),
    ("unsupported_format", ""): _(
        "This is not a spreadsheet we can read. Upload an Excel file (.xlsx, .xls), an "
        "OpenDocument spreadsheet (.ods) or a CSV file (.csv)."
    ),
    ("empty_file", ""): _("This file is empty."),
    ("empty_file", "no_rows"): _("This file has the column headers but no client under them."),
    ("missing_columns", ""): _(
        "These required columns are missing: %(columns)s. Use the headers of the template "
        "(in Dutch, French or English); the order of the columns does not matter."
    ),
    ("file_too_large", ""): _("This file is too large: at most %(limit)s."),
    ("sheet_not_found", ""): _("This file has no sheet named %(sheet)s. Its sheets: %(sheets)s."),
    ("content_too_large", ""): _(
        "This file is small, but its cells repeat so much text that reading it would take "
        "more than %(limit)s of memory, far more than a client list needs. Remove the long "
        "texts that are repeated in many cells, or copy the table to a new file, and upload "
        "it again."
    ),
    ("too_many_rows", ""): _(
        "This file has more than %(limit)s clients. Split it into several files."
    ),
    ("too_many_columns", ""): _(
        "This file has more than %(limit)s columns, far more than a list of clients has. Keep "
        "the columns with your clients' data and upload it again."
    ),
}


@dataclass(frozen=True, slots=True)
class CellProblem:
    """A cell whose content is not text the rules can check, e.g. a date where text is
    expected (``code`` "date_in_text_column", ``value`` the date as ISO text) or an error
    value ("cell_error", ``value`` "#N/A"). The cell is read as "".

    The same shape carries the reader's warnings (:attr:`Sheet.notes`), for which the row
    is read: "text_tidied" (a line break, tab or no-break space inside a value became a
    space; ``value`` as written, ``normalized`` as read), "reference_number" (an external
    reference stored as a number, whose leading zeros may be lost), "hidden_row" and
    "encoding_fallback" (a csv line not in the file's character set; ``value`` the set it
    was read in); ``key`` is "" for the row as a whole."""

    row: int
    key: str
    code: str
    value: str
    normalized: str = ""

    @property
    def field(self) -> str | None:
        return self.key or None

    @property
    def message(self) -> str:
        """The warning explained, in the active language (as a FieldWarning's)."""
        value = self.value
        if self.code == "encoding_fallback":
            value = ENCODING_NAMES.get(value, value)
        return str(NOTE_MESSAGES[self.code]) % {"value": value, "normalized": self.normalized}


NOTE_MESSAGES = {
    "text_tidied": _("A line break, tab or no-break space inside this value became a space."),
    "reference_number": _(
        "This reference was stored in the file as a number (%(value)s): leading zeros it had "
        "are lost. Format the column as text and type the reference again. An update keeps "
        "the reference the client has."
    ),
    "hidden_row": _("This row is hidden in the file. It is imported like the others."),
    "encoding_fallback": _(
        "This row is not in the file's character set (UTF-8) and was read as %(value)s: "
        "check its accents."
    ),
}


@dataclass(frozen=True, slots=True)
class Sheet:
    """What :func:`read_table` read.

    ``columns`` are the keys of the recognised columns in file order. Each item of
    ``rows`` is ``(row number as Excel shows it, values)``, ``values`` a tuple of text
    aligned with ``columns`` (stripped, "" for an empty cell, cut to 1,001 characters).
    Blank rows are left out. Columns absent from the file are absent from ``columns``:
    ``dicts()`` gives each row as {key: text} for the present columns only.

    ``sheet_name`` is the name of the sheet read ("" for csv), ``format`` one of "xlsx"
    (also .xlsm), "xls", "ods" and "csv", ``header_row`` the Excel row number of the
    header row.

    ``unknown_headers`` are the headers not recognised, or recognised a second time (the
    first column with a header wins; a duplicate is reported here and ignored), each
    once, in file order. Columns without a header are ignored silently.

    Cell values: text as is; numbers back to the digits the cell shows, without ".0" and
    without exponent (15 significant digits, like Excel); booleans "TRUE"/"FALSE";
    formulas their cached value; error values (#N/A ...) and dates and times "" with a
    :class:`CellProblem`; a number whose format shows leading zeros ("000000") as shown.
    Line breaks, tabs and no-break spaces inside a text become one space (a note).
    """

    columns: tuple[str, ...]
    unknown_headers: tuple[str, ...]
    rows: list[tuple[int, tuple[str, ...]]]
    row_count: int
    cell_problems: list[CellProblem]
    sheet_name: str
    format: str
    header_row: int = 0
    # The workbook's worksheets in workbook order (a person may choose another one).
    sheet_names: tuple[str, ...] = ()
    # A csv file's character set ("utf-8", "cp1252", ...); "" for a spreadsheet.
    encoding: str = ""
    # The reader's warnings (CellProblem codes text_tidied, reference_number, hidden_row,
    # encoding_fallback): the rows are read.
    notes: list[CellProblem] = field(default_factory=list)
    # Warnings by row number of combined cells split into their parts after the reading
    # (imports.mapping.sheet_split: SplitNote).
    split_notes: dict[int, list] = field(default_factory=dict)

    def dicts(self) -> Iterator[tuple[int, dict[str, str]]]:
        """Each row as (row number, {key: text})."""
        columns = self.columns
        for number, values in self.rows:
            yield number, dict(zip(columns, values, strict=True))


# --------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------


def read_table(
    data: bytes | bytearray | memoryview | BinaryIO,
    *,
    filename: str,
    headers: HeaderRules | None = None,
    sheet: str | None = None,
) -> Sheet:
    """Read the client table of an uploaded file. See the module documentation. Of a
    workbook, the worksheet whose header row names the most columns is read, or the one
    named ``sheet``.

    ``headers`` names the columns by a column mapping, or by the file's own headers
    (imports.mapping); the template's headers name them by default.

    Raises :class:`FileProblem`, and nothing else for bad input."""
    rules = headers or TEMPLATE_HEADERS
    raw = _read_limited(data)
    if not raw:
        raise FileProblem("empty_file", {"reason": "no_data"})
    try:
        kind, container = _detect(raw, filename)
        if kind == "csv":
            return _read_csv(raw, rules)
        return _read_spreadsheet(raw, kind, container, rules, sheet)
    except FileProblem:
        raise
    except (MemoryError, RecursionError):
        raise
    except Exception as exc:  # a parser failing on input we did not foresee
        logger.warning("Unreadable upload %r", filename, exc_info=True)
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc


def _read_limited(data) -> bytes:
    if isinstance(data, bytes | bytearray | memoryview):
        raw = bytes(data)
        if len(raw) > MAX_FILE_BYTES:
            raise FileProblem("file_too_large", {"limit": MAX_FILE_BYTES})
        return raw
    size = getattr(data, "size", None)
    if isinstance(size, int) and size > MAX_FILE_BYTES:
        raise FileProblem("file_too_large", {"limit": MAX_FILE_BYTES})
    chunks = []
    total = 0
    while total <= MAX_FILE_BYTES:
        chunk = data.read(min(1 << 20, MAX_FILE_BYTES + 1 - total))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if total > MAX_FILE_BYTES:
        raise FileProblem("file_too_large", {"limit": MAX_FILE_BYTES})
    return b"".join(chunks)


# --------------------------------------------------------------------------------------
# Recognising the format
# --------------------------------------------------------------------------------------

_ZIP_MAGIC = b"PK\x03\x04"
_EMPTY_ZIP_MAGIC = b"PK\x05\x06"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"
_BINARY_MAGICS = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"\x1f\x8b",
    b"Rar!",
    b"7z\xbc\xaf",
    b"II*\x00",
    b"MM\x00*",
    b"{\\rtf",
    b"\x00\x00\x01\x00",
)


def _detect(raw: bytes, filename: str):
    if raw.startswith(_ZIP_MAGIC) or raw.startswith(_EMPTY_ZIP_MAGIC):
        return _detect_zip(raw)
    if raw.startswith(_OLE_MAGIC):
        if _EMPTY_ZIP_MAGIC in raw:
            # calamine opens the zip inside when it cannot read the workbook: refused,
            # since only the workbook is measured
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        cfb = _Cfb(raw)
        names = {name.lower() for name in cfb.stream_names()}
        if "encryptioninfo" in names or "encryptedpackage" in names:
            raise FileProblem("unreadable_file", {"reason": "password_protected"})
        if "workbook" in names or "book" in names:
            return "xls", cfb
        raise FileProblem("unsupported_format")
    if filename.lower().endswith(TEXT_EXTENSIONS) and _looks_like_text(raw):
        return "csv", None
    raise FileProblem("unsupported_format")


def _looks_like_text(raw: bytes) -> bool:
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return True
    if raw.startswith(_BINARY_MAGICS) or b"\x00" in raw[:8192]:
        return False
    start = raw[:512].lstrip().lower()
    return not start.startswith((b"<!doctype html", b"<html", b"<?xml"))


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    NotImplementedError,
    EOFError,
    OSError,
    ValueError,
    struct.error,
)


def _detect_zip(raw: bytes):
    try:
        zf = zipfile.ZipFile(io.BytesIO(raw))
        infos = zf.infolist()
    except _ZIP_ERRORS as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
    if not infos:
        raise FileProblem("empty_file", {"reason": "no_data"})
    parts = _ZipIndex(infos)
    # calamine tries xlsx, then xlsb, then ods on any zip, whatever its name: a zip that
    # could be more than one of them is refused rather than measured as one and read as
    # another.
    if any(parts.has(name) for name in _XLSB_PARTS):
        raise FileProblem("unsupported_format")
    ods = "mimetype" in parts.exact
    if parts.has("_rels/.rels") or "xl/workbook.xml" in parts.exact:
        if ods:
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        return "xlsx", zf
    if ods:
        mimetype = _read_member(zf, parts.exact["mimetype"], limit=200)
        if mimetype.strip() == _ODS_MIMETYPE:
            return "ods", zf
        raise FileProblem("unsupported_format")
    if "content.xml" in parts.exact and "META-INF/manifest.xml" in parts.exact:
        manifest = _read_member(zf, parts.exact["META-INF/manifest.xml"], limit=1 << 20)
        if _ODS_MIMETYPE + b'"' in manifest:
            return "ods", zf
    raise FileProblem("unsupported_format")


# --------------------------------------------------------------------------------------
# Zip checks: sizes, bombs, and the cell grid of each sheet
# --------------------------------------------------------------------------------------

_CHUNK = 4 << 20


def _member_chunks(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """Inflate one member by chunks, refusing it when it inflates to more than its
    declared size (a directory that lies) or does not end where it should."""
    if info.flag_bits & 0x1:
        raise FileProblem("unreadable_file", {"reason": "password_protected"})
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    fp = zf.fp
    if fp is None or not 0 <= info.header_offset < fp.seek(0, io.SEEK_END):
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    fp.seek(info.header_offset)
    local = fp.read(30)
    if len(local) != 30 or local[:4] != _ZIP_MAGIC:
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    name_length, extra_length = struct.unpack_from("<HH", local, 26)
    fp.seek(info.header_offset + 30 + name_length + extra_length)
    left_in = info.compress_size
    expected = info.file_size
    produced = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if left_in != expected:
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        while left_in:
            chunk = fp.read(min(_CHUNK, left_in))
            if not chunk:
                raise FileProblem("unreadable_file", {"reason": "corrupt"})
            left_in -= len(chunk)
            yield chunk
        return
    inflater = zlib.decompressobj(-15)
    while not inflater.eof:
        if inflater.unconsumed_tail:
            data = inflater.unconsumed_tail
        else:
            if left_in <= 0:
                raise FileProblem("unreadable_file", {"reason": "corrupt"})
            data = fp.read(min(1 << 20, left_in))
            if not data:
                raise FileProblem("unreadable_file", {"reason": "corrupt"})
            left_in -= len(data)
        try:
            chunk = inflater.decompress(data, _CHUNK)
        except zlib.error as exc:
            raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
        produced += len(chunk)
        if produced > expected:
            raise FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
        if chunk:
            yield chunk
    if produced != expected:
        raise FileProblem("unreadable_file", {"reason": "corrupt"})


def _read_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, *, limit: int) -> bytes:
    if info.file_size > limit:
        raise FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
    return b"".join(_member_chunks(zf, info))


def _check_zip_sizes(zf: zipfile.ZipFile) -> list[zipfile.ZipInfo]:
    infos = zf.infolist()
    if len(infos) > MAX_ZIP_MEMBERS:
        raise FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
    total = 0
    for info in infos:
        total += info.file_size
        ratio_too_high = info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1)
        if total > MAX_UNCOMPRESSED_BYTES or (info.file_size > RATIO_MIN_BYTES and ratio_too_high):
            raise FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
    return infos


# --------------------------------------------------------------------------------------
# Finding the parts calamine reads, as calamine finds them
# --------------------------------------------------------------------------------------

_UNICODE_PATH_FIELD = 0x7075
# The parts of an .xlsb workbook: calamine opens a zip holding them as xlsb when it cannot
# open it as xlsx, and nothing here measures what it then reads.
_XLSB_PARTS = frozenset({"xl/workbook.bin", "xl/sharedstrings.bin", "xl/_rels/workbook.bin.rels"})


def _ascii_lower(text: str) -> str:
    """Rust's to_ascii_lowercase: A-Z only."""
    return text.translate(_ASCII_LOWER_TABLE)


_ASCII_LOWER_TABLE = {code: code + 32 for code in range(65, 91)}


class _ZipIndex:
    r"""The members of a zip as calamine looks them up: a part's path matched without
    regard to ASCII case and with ``\`` read as ``/``, else by its exact name.

    A zip that would let calamine read a member other than the one measured here is
    refused: two members whose names differ only so, or a member renamed by a Unicode
    path field (which calamine's zip reader honours and Python's does not)."""

    def __init__(self, infos: list[zipfile.ZipInfo]):
        self.exact: dict[str, zipfile.ZipInfo] = {}
        self.folded: dict[str, zipfile.ZipInfo] = {}
        for info in infos:
            if _unicode_path(info) not in (None, info.filename):
                raise FileProblem("unreadable_file", {"reason": "corrupt"})
            key = _ascii_lower(info.filename.replace("\\", "/"))
            if key in self.folded or info.filename in self.exact:
                raise FileProblem("unreadable_file", {"reason": "corrupt"})
            self.folded[key] = info
            self.exact[info.filename] = info

    def find(self, path: str) -> zipfile.ZipInfo | None:
        return self.folded.get(_ascii_lower(path)) or self.exact.get(path)

    def has(self, path: str) -> bool:
        return self.find(path) is not None


def _unicode_path(info: zipfile.ZipInfo) -> str | None:
    """The name an Info-ZIP Unicode path field (0x7075) gives the member, if any."""
    extra, at = info.extra, 0
    while at + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, at)
        if kind == _UNICODE_PATH_FIELD:
            return extra[at + 9 : at + 4 + size].decode("utf-8", "replace")
        at += 4 + size
    return None


@dataclass
class _XmlStart:
    """A start tag as calamine's XML reader sees it: its name, and its attributes as
    written (values neither unescaped nor normalized)."""

    name: str
    attributes: list[tuple[str, str]]

    @property
    def local(self) -> str:
        return _local(self.name)

    def get(self, key: str) -> str | None:
        """The value of the first attribute named ``key``, as calamine's get_attrs."""
        return next((value for name, value in self.attributes if name == key), None)


def _xml_events(data: bytes) -> list[tuple[str, _XmlStart | str]]:
    """("start", _XmlStart) and ("end", name) for each element of a small, well-formed
    XML document in UTF-8, found by expat (so that nothing in a comment, a processing
    instruction or a CDATA section counts). Anything else is refused: not well-formed,
    another encoding, or a document type declaration (whose entities could expand)."""
    events: list = []
    parser = _expat_parser()

    def start(name: str, attributes) -> None:
        events.append(("start", name, parser.CurrentByteIndex))

    def end(name: str) -> None:
        events.append(("end", name))

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _expat_parse(parser, [data])
    return [
        ("start", _XmlStart(event[1], _raw_attributes(data, event[2], event[1])))
        if event[0] == "start"
        else event
        for event in events
    ]


def _expat_parser():
    parser = expat.ParserCreate()
    parser.buffer_text = True
    parser.buffer_size = 1 << 16
    parser.ordered_attributes = True

    def refuse(*args) -> None:
        raise FileProblem("unreadable_file", {"reason": "corrupt"})

    def declaration(version, encoding, standalone) -> None:
        if encoding is not None and encoding.lower().replace("-", "") != "utf8":
            refuse()

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.XmlDeclHandler = declaration
    return parser


def _expat_parse(parser, chunks: Iterable[bytes]) -> None:
    first = True
    for chunk in chunks:
        _expat_feed(parser, chunk, first=first)
        first = False
    _expat_feed(parser, b"", final=True)


def _expat_feed(parser, chunk: bytes, *, first: bool = False, final: bool = False) -> None:
    if first and chunk.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    try:
        parser.Parse(chunk, final)
    except expat.ExpatError as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc


_TAG_REST = re.compile(rb"""(?:[^>"']|"[^"]*"|'[^']*')*""")
_RAW_ATTRIBUTE = re.compile(rb"""\s*([^=]*?)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _raw_attributes(data: bytes, index: int, name: str) -> list[tuple[str, str]]:
    """The attributes of the start tag at ``index`` of ``data``, as written."""
    head = b"<" + name.encode("utf-8")
    if not data.startswith(head, index):
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    rest = _TAG_REST.match(data, index + len(head))
    if rest is None:  # never: the pattern matches the empty string too
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    body = rest[0].rstrip().removesuffix(b"/")
    return [
        (match[1].decode("utf-8"), (match[2] if match[2] is not None else match[3]).decode())
        for match in _RAW_ATTRIBUTE.finditer(body)
    ]


@dataclass
class _XlsxPackage:
    """What calamine takes from an xlsx package before it reads a sheet: the folder of
    the workbook part, the shared strings' part, and each sheet's name, type and part, in
    the workbook's order. Found as calamine finds them (calamine's Xlsx::new), or the
    file is refused."""

    folder: str
    shared_strings: zipfile.ZipInfo | None
    sheets: list[tuple[str, str, str]]  # (name, type, part path)
    kept_bytes: int  # the parts calamine keeps parsed beside the sheets


def _xlsx_package(zf: zipfile.ZipFile, parts: _ZipIndex) -> _XlsxPackage:
    corrupt = FileProblem("unreadable_file", {"reason": "corrupt"})
    kept = 0

    def events(path: str):
        nonlocal kept
        info = parts.find(path)
        if info is None:
            return None
        kept += info.file_size
        return _xml_events(_read_member(zf, info, limit=_PACKAGE_PART_BYTES))

    package = events("_rels/.rels")
    if package is None:
        raise corrupt
    document = None
    inside = False
    for kind, item in package:
        if kind == "start" and item.local == "Relationships":
            inside = True
        elif kind == "end" and inside and _local(item) == "Relationships":
            break
        elif kind == "start" and inside and item.local == "Relationship":
            kind_of, target = item.get("Type"), item.get("Target")
            if kind_of and kind_of.endswith("/relationships/officeDocument") and target:
                document = _unescape_text(target)
    if document is None:
        raise corrupt
    folder = document[: document.rfind("/") + 1]
    folder = folder[1:] if folder.startswith("/") else folder

    relationships: dict[str, tuple[str, str]] = {}
    rels = events(f"{folder}_rels/workbook.xml.rels")
    if rels is None:
        raise corrupt
    for kind, item in rels:
        if kind == "end" and _local(item) == "Relationships":
            break
        if kind == "start" and item.local == "Relationship":
            rel_id = item.get("Id")
            if rel_id is not None:
                relationships[rel_id] = (item.get("Target") or "", item.get("Type") or "")

    sheets = []
    for kind, item in events(f"{folder}workbook.xml") or []:
        if kind == "end" and _local(item) == "workbook":
            break
        if kind != "start" or item.local != "sheet":
            continue
        name, rel_id = "", ""
        for key, value in item.attributes:
            if key == "name":
                name = _unescape_text(value)
            elif key == "state" and value not in ("visible", "hidden", "veryHidden"):
                raise corrupt
            elif key == "id" or key.endswith(":id"):
                rel_id = value
        if rel_id not in relationships:
            raise corrupt
        target, rel_type = relationships[rel_id]
        path = target[1:] if target.startswith("/") else folder + target
        typ = rel_type.rsplit("/", 1)[-1]
        if typ not in ("worksheet", "chartsheet", "dialogsheet"):
            raise corrupt
        sheets.append((name, typ, path))
    styles = parts.find(f"{folder}styles.xml")
    kept += styles.file_size if styles else 0
    return _XlsxPackage(
        folder=folder,
        shared_strings=parts.find(f"{folder}sharedStrings.xml"),
        sheets=sheets,
        kept_bytes=kept,
    )


# The package's small parts (relationships, workbook) are read whole: at most this large.
_PACKAGE_PART_BYTES = 32 * 1024 * 1024
# What calamine keeps of the workbook and styles parts (names, formats), per byte.
_KEPT_PART_WEIGHT = 3


def _local(name: str) -> str:
    """quick-xml's local name: what follows the first colon."""
    return name.partition(":")[2] if ":" in name else name


def _unescape_text(value: str) -> str:
    return _unescape(value.encode("utf-8")).decode("utf-8", "replace")


@dataclass
class _XlsxCheck:
    """The sheets' names in workbook order (as calamine lists them) and what reading
    each costs: the cost of the part calamine reads for that name (the first sheet of
    that name's), or 0 for a sheet that is not a worksheet."""

    names: list[str]
    costs: list[int]


def _check_xlsx(zf: zipfile.ZipFile) -> _XlsxCheck:
    """Check every member, find the parts as calamine will, and estimate what reading
    each worksheet costs (its cells and its text, see _Cost). A sheet whose grid is too
    large raises at once."""
    infos = _check_zip_sizes(zf)
    parts = _ZipIndex(infos)
    package = _xlsx_package(zf, parts)
    shared = _SharedStrings()
    if package.shared_strings is not None:
        shared.read(zf, package.shared_strings)
    base = shared.table_bytes + package.kept_bytes * _KEPT_PART_WEIGHT
    measured: dict[str, int] = {}

    def cost_of(path: str) -> int:
        info = parts.find(path)
        if info is None:
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        if info.filename not in measured:
            grid = _xlsx_grid(zf, info)
            cost = (
                grid * XLSX_CELL_BYTES
                + base
                # text written in the sheet itself (inline strings, formula results) is
                # at most the sheet's own size
                + info.file_size * ASCII_TEXT_WEIGHT
            )
            cost += _xlsx_copied_text(zf, info, shared, budget=MAX_READ_BYTES - cost)
            if grid > MAX_SHEET_CELLS:
                cost = max(cost, _GRID_TOO_LARGE)
            measured[info.filename] = cost
        return measured[info.filename]

    names = [name for name, _typ, _path in package.sheets]
    costs = []
    for name, typ, _path in package.sheets:
        # calamine reads, for a name, the part of the first sheet of that name
        first = next(path for other, _t, path in package.sheets if other == name)
        costs.append(cost_of(first) if typ == "worksheet" else 0)
    read = set(measured)
    if package.shared_strings is not None:
        read.add(package.shared_strings.filename)
    for info in infos:  # every other member is inflated once: a bomb anywhere is refused
        if not info.is_dir() and info.filename not in read:
            for _chunk in _member_chunks(zf, info):
                pass
    return _XlsxCheck(names=names, costs=costs)


# A cost that stands for "the grid is too large" (sheet_too_large, not content_too_large).
_GRID_TOO_LARGE = 1 << 62


def _check_cost(cost: int) -> None:
    if cost >= _GRID_TOO_LARGE:
        raise FileProblem(
            "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
        )
    if cost > MAX_READ_BYTES:
        raise FileProblem("content_too_large", {"limit": MAX_READ_BYTES})


def _segments(chunks: Iterable[bytes], end: bytes) -> Iterator[bytes]:
    """The chunks again, each cut after its last ``end`` (the rest comes first in the next
    one), so that an element ending with ``end`` is never split."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk if carry else chunk
        cut = buffer.rfind(end)
        if cut == -1:
            carry = buffer
            continue
        cut += len(end)
        carry = buffer[cut:]
        yield buffer[:cut]
    if carry:
        yield carry


class _SharedStrings:
    """What each shared string costs when a cell refers to it (its UTF-8 length, an upper
    bound, times its weight), and what calamine's table of them costs.

    Read with a real XML parser (expat), following calamine's own reading of the part:
    from the first ``<sst>``, each ``<si>`` (any prefix) is one string, ended by the first
    end tag of that very name, until ``</sst>``; all character data between, CDATA
    included, counts (calamine keeps only its ``<t>`` runs). Comments and processing
    instructions hold no text. A document type declaration is refused: no entity is ever
    expanded. calamine reserves a slot for each of the ``uniqueCount`` strings the part
    announces, before it reads one."""

    def __init__(self):
        self.lengths = array.array("Q")
        self.longest = 0
        self.table_bytes = 0

    def read(self, zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
        lengths = self.lengths
        append = lengths.append
        state = _BEFORE_SST
        closing = ""
        size = 0
        plain = True
        table = 0

        def start(name: str, attributes: list[str]) -> None:
            nonlocal state, closing, size, plain, table
            if state == _IN_SST:
                if name == "si" or _local(name) == "si":
                    state, closing, size, plain = _IN_STRING, name, 0, True
            elif state == _BEFORE_SST and _local(name) == "sst":
                state = _IN_SST
                for key, value in zip(attributes[::2], attributes[1::2], strict=True):
                    if key == "uniqueCount":
                        announced = re.match(r"\s*\+?(\d+)", value)
                        table += int(announced[1]) * _STRING_SLOT_BYTES if announced else 0

        def end(name: str) -> None:
            nonlocal state, table
            if state == _IN_STRING:
                if name == closing:
                    append(size * (ASCII_TEXT_WEIGHT if plain else OTHER_TEXT_WEIGHT))
                    table += size + SHARED_STRING_BYTES
                    state = _IN_SST
            elif state == _IN_SST and _local(name) == "sst":
                state = _AFTER_SST

        def text(data: str) -> None:
            nonlocal size, plain
            if state == _IN_STRING:
                if data.isascii():
                    size += len(data)
                else:
                    size += len(data.encode("utf-8", "surrogatepass"))
                    plain = False

        parser = _expat_parser()
        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = text

        def chunks() -> Iterator[bytes]:
            for chunk in _member_chunks(zf, info):
                yield chunk
                if table > MAX_READ_BYTES:
                    raise FileProblem("content_too_large", {"limit": MAX_READ_BYTES})

        _expat_parse(parser, chunks())
        if table > MAX_READ_BYTES:
            raise FileProblem("content_too_large", {"limit": MAX_READ_BYTES})
        self.longest = max(lengths, default=0)
        self.table_bytes = table


_BEFORE_SST, _IN_SST, _IN_STRING, _AFTER_SST = range(4)
# calamine's slot for each string it reserves room for (a Rust String).
_STRING_SLOT_BYTES = 24


# A cell of type s (a shared string): the attribute, in any spelling calamine accepts.
_SHARED_TYPE = re.compile(rb"""\st\s*=\s*["']s["']""")
_ODD_TYPE_SPELLING = re.compile(rb"""t\s+=|t=\s|t='""")
_USUAL_SHARED_VALUE = re.compile(rb't="s"[^>]*>(?:<f\b[^>]*?(?:/>|>[^<]*</f>))?<v>([^<]*)</v>')
# ... and its value, the string's index, after an optional formula.
_SHARED_VALUE = re.compile(
    rb"""\st\s*=\s*["']s["'][^>]*>\s*"""
    rb"""(?:<(?:[\w.\-]+:)?f\b[^>]*?(?:/>|>[^<]*</(?:[\w.\-]+:)?f>)\s*)?"""
    rb"""<(?:[\w.\-]+:)?v\b[^>]*>([^<]*)<"""
)


def _xlsx_copied_text(
    zf: zipfile.ZipFile, info: zipfile.ZipInfo, shared: _SharedStrings, *, budget: int
) -> int:
    """The bytes of shared strings calamine copies into this sheet's cells: the length of
    each string times the cells that refer to it. A cell whose index cannot be read as
    calamine reads it counts the longest string. Stops counting once over ``budget``, what
    the rest of the sheet leaves of MAX_READ_BYTES."""
    if not shared.lengths or budget < 0:
        return 0
    lengths, longest, count = shared.lengths, shared.longest, len(shared.lengths)
    copied = 0
    for segment in _segments(_member_chunks(zf, info), b"c>"):
        if _ODD_TYPE_SPELLING.search(segment):
            indexes = _SHARED_VALUE.findall(segment)
            typed = len(_SHARED_TYPE.findall(segment))
        else:  # as Excel, LibreOffice and XlsxWriter write it: found fast, by its start
            indexes = _USUAL_SHARED_VALUE.findall(segment)
            typed = segment.count(b't="s"')
        copied += max(typed - len(indexes), 0) * longest
        for index, cells in Counter(indexes).items():
            if index.isdigit() and len(index) < 10 and int(index) < count:
                copied += lengths[int(index)] * cells
            elif index:
                copied += longest * cells
        if copied > budget:
            break
    return copied


_SHEET_TAG = re.compile(rb"<(?:\w+:)?sheet\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_REL_TAG = re.compile(rb"<(?:\w+:)?Relationship\b((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_R_ID = re.compile(rb"\b(?:\w+:)?id\s*=\s*[\"']([^\"']*)[\"']")
_ID = re.compile(rb"\bId\s*=\s*[\"']([^\"']*)[\"']")
_TARGET = re.compile(rb"\bTarget\s*=\s*[\"']([^\"']*)[\"']")


def _xlsx_sheet_parts(zf: zipfile.ZipFile) -> list[str] | None:
    """The part of each sheet, in workbook order (as calamine numbers them)."""
    try:
        workbook = _read_member(zf, zf.getinfo("xl/workbook.xml"), limit=8 << 20)
        rels = _read_member(zf, zf.getinfo("xl/_rels/workbook.xml.rels"), limit=8 << 20)
    except KeyError:
        return None
    targets = {}
    for match in _REL_TAG.finditer(rels):
        rel_id, target = _ID.search(match[1]), _TARGET.search(match[1])
        if rel_id and target:
            path = target[1].decode("utf-8", "replace")
            path = path.lstrip("/") if path.startswith("/") else "xl/" + path
            targets[rel_id[1]] = path
    parts = []
    for match in _SHEET_TAG.finditer(workbook):
        rel_id = _R_ID.search(match[1])
        if not rel_id or rel_id[1] not in targets:
            return None
        parts.append(targets[rel_id[1]])
    return parts


# A cell start tag (unprefixed) that is not the usual ``<c r="A1"`` with one letter and at
# most five digits; its reference when it has one where expected.
_UNUSUAL_CELL = re.compile(rb'<c(?=[\s/>])(?! r="[A-Z]\d{1,5}")(?: r="([A-Z]+)(\d+)")?')
_PREFIXED_CELL = re.compile(rb":c(?=[\s/>])")
_OVERLAP = 64


def _xlsx_grid(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """The number of cells of the rectangle calamine will allocate for this sheet, or a
    bound above it.

    The fast way, for sheets whose every cell starts ``<c r="..."`` (Excel, LibreOffice,
    XlsxWriter and openpyxl write them so): one search finds the cells beyond column Z
    or row 99,999, the only ones whose place has to be read. Anything else (namespace
    prefixes, cells without ``r`` whose place calamine counts, odd spelling, or a grid
    too large for the fast bound) takes :func:`_xlsx_grid_exactly`."""
    max_row, max_col = 99_999, 26
    pending = b""
    chunks = _member_chunks(zf, info)
    while True:
        chunk = next(chunks, None)
        buffer = pending + chunk if chunk is not None else pending
        # A tag cut at the end of the buffer is looked at with the next chunk.
        limit = len(buffer) - _OVERLAP if chunk is not None else len(buffer)
        if limit > 0:
            if _PREFIXED_CELL.search(buffer):
                return _xlsx_grid_exactly(zf, info)
            # Up to the last tag that starts before the overlap: a cell tag found before
            # it ends before it (no "<" inside), so it is whole. Each place counts once.
            end = buffer.rfind(b"<", 0, limit) if chunk is not None else len(buffer)
            end = end if end > 0 else limit
            found = _UNUSUAL_CELL.findall(buffer, 0, end)
            if found:
                columns, rows = (set(places) for places in zip(*found, strict=True))
                if b"" in columns:
                    return _xlsx_grid_exactly(zf, info)
                if max(map(len, columns)) > 3 or max(map(len, rows)) > 7:
                    raise FileProblem(
                        "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
                    )
                max_col = max(max_col, *map(_column_number, columns))
                max_row = max(max_row, *map(int, rows))
            pending = buffer[end:]
        else:
            pending = buffer
        if chunk is None:
            break
    grid = max_row * max_col
    if grid > MAX_SHEET_CELLS:
        return _xlsx_grid_exactly(zf, info)
    return grid


_XLSX_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.\-]*:)?(row|c)(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
_R_ATTR = re.compile(rb"(?:^|[\s:])r\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_CELL_REF = re.compile(rb"\s*([A-Za-z]*)\s*(\d*)")


def _xlsx_grid_exactly(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> int:
    """Follow every ``<row>`` and ``<c>`` as calamine does: a cell's ``r`` gives its place;
    a cell without one comes right of the previous cell; a row without ``r`` comes under
    the previous row. Cells written ``<c .../>`` hold no value and take no room; every
    other cell counts (a bound: calamine also leaves out cells whose value is empty)."""
    row = -1
    col = -1
    max_row = max_col = -1
    carry = b""
    for chunk in _member_chunks(zf, info):
        buffer = carry + chunk
        cut = buffer.rfind(b"<")
        if cut <= 0:
            carry = buffer
            continue
        carry = buffer[cut:]
        for match in _XLSX_TAG.finditer(buffer, 0, cut):
            attribute = _R_ATTR.search(match[2])
            value = None
            if attribute:
                value = attribute[1] if attribute[1] is not None else attribute[2]
                if b"&" in value:
                    value = _unescape(value)
            if match[1] == b"row":
                if value is not None and value.strip().isdigit():
                    row = int(value) - 1
                else:
                    row += 1
                col = -1
                continue
            if value is not None:
                reference = _CELL_REF.match(value)
                if reference is None:  # never: the pattern matches the empty string too
                    raise FileProblem("unreadable_file", {"reason": "corrupt"})
                letters, digits = reference.groups()
                if len(letters) > 3 or len(digits) > 7:
                    raise FileProblem(
                        "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
                    )
                if letters:
                    col = _column_number(letters.upper()) - 1
                else:
                    col += 1
                if digits:
                    row = int(digits) - 1
            else:
                col += 1
            if match[2].endswith(b"/"):
                continue
            max_row = max(max_row, row)
            max_col = max(max_col, col)
        if (max_row + 1) * (max_col + 1) > MAX_SHEET_CELLS:
            break
    return (max_row + 1) * (max_col + 1)


_CHAR_REF = re.compile(r"&#(x[0-9a-fA-F]{1,6}|[0-9]{1,7});")
_NAMED_REFS = (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&apos;", "'"), ("&amp;", "&"))


def _unescape(value: bytes) -> bytes:
    """An attribute value with its character and entity references replaced."""

    def char(match: re.Match) -> str:
        ref = match[1]
        code = int(ref[1:], 16) if ref[0] == "x" else int(ref)
        return chr(code) if code < 0x110000 else ""

    text = _CHAR_REF.sub(char, value.decode("utf-8", "replace"))
    for entity, replacement in _NAMED_REFS:
        text = text.replace(entity, replacement)
    return text.encode("utf-8", "replace")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + (letter - 64)
    return number


def _check_ods(zf: zipfile.ZipFile) -> int:
    """Check every member, and estimate the cells and text of all tables together
    (calamine reads them all when it opens the file): their cost. A grid too large raises.

    content.xml is read by a real XML parser (expat) as it is measured, and refused when it
    is not well-formed or holds a comment, a processing instruction, a CDATA section or a
    document type declaration: none of them is in a spreadsheet program's content.xml,
    and any of them could hide the markup measured here from the measuring."""
    infos = _check_zip_sizes(zf)
    cost = 0
    for info in infos:
        if info.is_dir():
            continue
        if info.filename == "content.xml":
            grid, text = _ods_grid(_plain_xml(_member_chunks(zf, info)))
            if grid > MAX_SHEET_CELLS:
                raise FileProblem(
                    "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
                )
            cost = max(cost, grid * ODS_CELL_BYTES + text)
        else:
            for _chunk in _member_chunks(zf, info):
                pass
    return cost


def _plain_xml(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks, checked by expat as they pass: well-formed XML of elements, attributes
    and text only (see _check_ods)."""
    parser = _expat_parser()

    def refuse(*args) -> None:
        raise FileProblem("unreadable_file", {"reason": "corrupt"})

    parser.CommentHandler = refuse
    parser.ProcessingInstructionHandler = refuse
    parser.StartCdataSectionHandler = refuse
    first = True
    for chunk in chunks:
        _expat_feed(parser, chunk, first=first)
        first = False
        yield chunk
    _expat_feed(parser, b"", final=True)


_ODS_ROW = re.compile(rb"<table:table-row(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>")
_ODS_CELL = re.compile(
    rb"<table:(?:covered-)?table-cell(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
_ODS_CELL_STARTS = (b"<table:table-cell", b"<table:covered-table-cell")
_ROWS_REPEATED = re.compile(rb"""table:number-rows-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_COLUMNS_REPEATED = re.compile(rb"""table:number-columns-repeated\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_TEXT_SPACES = re.compile(rb"""text:c\s*=\s*(?:"([^"]*)"|'([^']*)')""")
# A count as calamine reads it: Rust's parse of an unsigned integer, after the attribute's
# entities are replaced ("+1500", "&#49;500" and "0015" are numbers; " 15", "1e3" are not).
_RUST_UNSIGNED = re.compile(rb"\+?[0-9]+")


def _counts(pattern: re.Pattern, attributes: bytes) -> list[int]:
    """Each count ``pattern`` finds in a tag's attributes, read as calamine reads it. A
    count calamine could not read is refused here (calamine refuses the file)."""
    counts = []
    for double, single in pattern.findall(attributes):
        value = double or single
        if b"&" in value:
            value = _unescape(value)
        if not _RUST_UNSIGNED.fullmatch(value):
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        counts.append(int(value))
    return counts


def _repeats(pattern: re.Pattern, attributes: bytes) -> int:
    """How many times a row or cell repeats: its count, the largest when the tag seems to
    hold more than one (the others in another attribute's value), else 1."""
    return max(_counts(pattern, attributes), default=1)


_ROW_END = b"</table:table-row>"
_TABLE_END = b"</table:table>"


def _ods_grid(chunks: Iterator[bytes]) -> tuple[int, int]:
    """Bound the cells calamine expands, table by table: a table spans from its first
    row to its last row with a non-empty cell, and is as wide as its widest row up to
    that row's last non-empty cell; repeated rows and cells count as often as they
    repeat. Also the text calamine makes of it (_ods_written_text), and of repeated rows
    and cells and spaces written as a count on top (_ods_row_text). Reads content.xml by
    chunks, row by row."""
    total = height = width = position = text = 0
    pending = b""
    for chunk in chunks:
        buffer = pending + chunk
        done = 0
        table_end = buffer.find(_TABLE_END)
        at = buffer.find(b"<table:table-row")
        while at != -1:
            match = _ODS_ROW.match(buffer, at)
            if match is None:  # <table:table-rows>, or a tag cut at the end of the chunk
                at = buffer.find(b"<table:table-row", at + 1)
                continue
            while table_end != -1 and table_end < at:
                total += height * width
                height = width = position = 0
                table_end = buffer.find(_TABLE_END, table_end + 1)
            attributes = match[1]
            times = 1
            if b"repeated" in attributes:
                times = _repeats(_ROWS_REPEATED, attributes)
            if attributes.endswith(b"/"):  # <table:table-row/>
                position += times
                done = match.end()
                at = buffer.find(b"<table:table-row", done)
                continue
            row_end = buffer.find(_ROW_END, match.end())
            if row_end == -1:
                break  # the rest of this row comes with the next chunk
            position += times
            content_end = _ods_content_end(buffer, match.end(), row_end)
            row_width = _ods_row_width(buffer, match.end(), content_end)
            if row_width:
                height = position
                if row_width > width:
                    width = row_width
                if total + height * width > MAX_SHEET_CELLS:
                    return total + height * width, text
                text += _ods_row_text(buffer, match.end(), content_end, times)
                if text > MAX_READ_BYTES:
                    return total + height * width, text
            done = row_end + len(_ROW_END)
            at = buffer.find(b"<table:table-row", done)
        while table_end != -1 and table_end < done:
            total += height * width
            height = width = position = 0
            table_end = buffer.find(_TABLE_END, table_end + 1)
        text += _ods_written_text(buffer, done)
        pending = buffer[done:]
    return total + height * width, text


_TEXT_RUN = re.compile(rb">([^<]+)<")
_TEXT_ATTRIBUTE = re.compile(rb"""(?:-value|formula)\s*=\s*(?:"([^"]*)"|'([^']*)')""")


def _ods_written_text(buffer: bytes, end: int) -> int:
    """The text content.xml spells out up to ``end``, weighted as calamine and the reader
    keep it: the runs between tags, the values written as attributes (dates, times,
    strings, formulas), and a line break between paragraphs."""
    size = sum(map(len, _TEXT_RUN.findall(buffer, 0, end)))
    if buffer.find(b"-value", 0, end) != -1 or buffer.find(b"formula", 0, end) != -1:
        for double, single in _TEXT_ATTRIBUTE.findall(buffer, 0, end):
            size += len(double) + len(single)
    size += buffer.count(b"<text:p", 0, end)
    return size * (COPIED_ASCII_TEXT_WEIGHT if buffer.isascii() else COPIED_OTHER_TEXT_WEIGHT)


_CELL_END = b"table-cell>"
_XML_SPACE = frozenset(b" \t\r\n")


def _ods_row_text(buffer: bytes, start: int, end: int, times: int) -> int:
    """The text calamine makes of a row beyond what content.xml spells out once: each
    cell with a value counts its whole element (text and attributes, a bound) once for
    every column and every row it is repeated over, plus the spaces it writes as a count
    (``<text:s text:c="1000000"/>``, a million spaces). 0 for a row that repeats nothing."""
    spaces = buffer.find(b"text:c", start, end) != -1
    if times == 1 and not spaces and buffer.find(b"-repeated", start, end) == -1:
        return 0
    total = 0
    for cell in _ODS_CELL.finditer(buffer, start, end):
        attributes = cell[1]
        if b"value" not in attributes and b"formula" not in attributes:
            continue  # an empty cell: calamine keeps nothing of it
        columns = _repeats(_COLUMNS_REPEATED, attributes)
        if attributes.endswith(b"/"):
            cell_end = cell.end()
        else:
            cell_end = buffer.find(_CELL_END, cell.end(), end)
            cell_end = end if cell_end == -1 else cell_end + len(_CELL_END)
        size = cell_end - cell.start()
        if spaces:
            size += sum(_counts(_TEXT_SPACES, buffer[cell.start() : cell_end]))
        ascii_only = buffer[cell.start() : cell_end].isascii()
        weight = COPIED_ASCII_TEXT_WEIGHT if ascii_only else COPIED_OTHER_TEXT_WEIGHT
        total += size * columns * weight
        if total * times > MAX_READ_BYTES:
            break
    return total * times


def _ods_content_end(buffer: bytes, start: int, end: int) -> int:
    """Where a row's last cell that holds something ends. LibreOffice ends each row with
    one empty cell repeated to the sheet's last column. Gnumeric indents its XML: the
    spaces between the cells do not count."""
    while True:
        while end > start and buffer[end - 1] in _XML_SPACE:
            end -= 1
        if not buffer.endswith(b"/>", start, end):
            break
        last = buffer.rfind(b"<", start, end)
        if (
            last == -1
            or not buffer.startswith(_ODS_CELL_STARTS, last)
            or buffer.find(b"value", last, end) != -1  # <table:table-cell office:value="5"/>
            or buffer.find(b"formula", last, end) != -1
        ):
            break
        end = last
    return end


def _ods_row_width(buffer: bytes, start: int, end: int) -> int:
    """The width of a row up to its last non-empty cell (0 for an empty row), ``end``
    being where that cell ends (_ods_content_end). Counts every ``<table:`` element of
    the row as a cell: a bound."""
    width = buffer.count(b"<table:", start, end)
    if width and buffer.find(b"-repeated", start, end) != -1:
        width = 0
        for cell in _ODS_CELL.finditer(buffer, start, end):
            width += _repeats(_COLUMNS_REPEATED, cell[1])
    return width


# --------------------------------------------------------------------------------------
# OLE2 compound files and xls
# --------------------------------------------------------------------------------------

_END_OF_CHAIN = 0xFFFFFFFE
_SPECIAL_SECTOR = 0xFFFFFFFA


class _Cfb:
    """The little of the compound file format needed here: the names of the streams,
    and a stream's bytes. Any inconsistency raises FileProblem("unreadable_file")."""

    def __init__(self, raw: bytes):
        try:
            self._open(raw)
        except (struct.error, IndexError, ValueError, OverflowError) as exc:
            raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc

    def _open(self, raw: bytes) -> None:
        self.raw = raw
        if len(raw) < 512:
            raise ValueError("short header")
        sector_shift, mini_shift = struct.unpack_from("<HH", raw, 0x1E)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise ValueError("sector size")
        self.sector_size = 1 << sector_shift
        self.sectors = (len(raw) - 512) // self.sector_size + 1
        (fat_count, dir_start, _, self.mini_cutoff, minifat_start, _, difat_start, _) = (
            struct.unpack_from("<IIIIIIII", raw, 0x2C)
        )
        difat = list(struct.unpack_from("<109I", raw, 0x4C))
        per_sector = self.sector_size // 4
        sector = difat_start
        for _step in range(self.sectors):
            if sector >= _SPECIAL_SECTOR:
                break
            entries = struct.unpack_from(f"<{per_sector}I", self._sector(sector))
            difat.extend(entries[:-1])
            sector = entries[-1]
        fat_sectors = [s for s in difat if s < _SPECIAL_SECTOR][:fat_count]
        fat_bytes = b"".join(self._sector(s) for s in fat_sectors)
        self.fat = struct.unpack(f"<{len(fat_bytes) // 4}I", fat_bytes)
        directory = self._chain(dir_start, self.fat, self.sector_size, self._sector)
        self.entries = []
        for at in range(0, len(directory) - 127, 128):
            name_length, kind = struct.unpack_from("<HB", directory, at + 64)
            start, size = struct.unpack_from("<IQ", directory, at + 116)
            if kind not in (1, 2, 5) or not 2 <= name_length <= 64:
                continue
            name = directory[at : at + name_length - 2].decode("utf-16-le", "replace")
            self.entries.append((name, kind, start, size))
        self.minifat_start = minifat_start

    def _sector(self, index: int) -> bytes:
        if index >= self.sectors:
            raise ValueError("sector out of range")
        at = (index + 1) * self.sector_size
        return self.raw[at : at + self.sector_size]

    def _chain(self, start: int, fat, size: int, read) -> bytes:
        parts: list[bytes] = []
        sector = start
        for _step in range(len(fat) + 1):
            if sector == _END_OF_CHAIN:
                return b"".join(parts)
            if sector >= len(fat):
                raise ValueError("broken chain")
            parts.append(read(sector))
            sector = fat[sector]
        raise ValueError("looping chain")

    def stream_names(self) -> list[str]:
        return [name for name, kind, _, _ in self.entries if kind == 2]

    def stream(self, wanted: Iterable[str]) -> bytes | None:
        wanted = {name.lower() for name in wanted}
        for name, kind, start, size in self.entries:
            if kind != 2 or name.lower() not in wanted:
                continue
            if size >= self.mini_cutoff:
                return self._chain(start, self.fat, self.sector_size, self._sector)[:size]
            return self._mini_stream(start, size)
        return None

    def _mini_stream(self, start: int, size: int) -> bytes:
        root = next((e for e in self.entries if e[1] == 5), None)
        if root is None:
            raise ValueError("no root")
        container = self._chain(root[2], self.fat, self.sector_size, self._sector)
        minifat_bytes = self._chain(self.minifat_start, self.fat, self.sector_size, self._sector)
        minifat = struct.unpack(f"<{len(minifat_bytes) // 4}I", minifat_bytes)

        def mini_sector(index: int) -> bytes:
            if (index + 1) * 64 > len(container):
                raise ValueError("mini sector out of range")
            return container[index * 64 : (index + 1) * 64]

        return self._chain(start, minifat, 64, mini_sector)[:size]


# BIFF records that place a cell (BIFF2 to BIFF8); MULRK and MULBLANK span columns.
_XLS_CELLS = frozenset(
    {
        0x0001,
        0x0002,
        0x0003,
        0x0004,
        0x0005,
        0x0006,
        0x0201,
        0x0203,
        0x0204,
        0x0205,
        0x0206,
        0x027E,
        0x00FD,
        0x00D6,
        0x0406,
    }
)
_XLS_MULTI = frozenset({0x00BD, 0x00BE})
_XLS_BOF = frozenset({0x0809, 0x0409, 0x0209, 0x0009})
_XLS_EOF = 0x000A
_XLS_FILEPASS = 0x002F
_XLS_BOUNDSHEET = 0x0085
_XLS_SST = 0x00FC
_XLS_CONTINUE = 0x003C
_XLS_LABELSST = 0x00FD
_XLS_DIMENSIONS = 0x0200
_XLS_FORMULA = 0x0006
# Records whose text calamine keeps as it is written: LABEL (BIFF2 and later), RSTRING and
# a formula's STRING result. A character of 1 or 2 bytes becomes at most 3 bytes of UTF-8.
_XLS_TEXT = frozenset({0x0004, 0x0204, 0x00D6, 0x0207})
# Records holding a name a formula can print (a sheet, a defined name, an external name).
_XLS_NAMES = frozenset({0x0085, 0x0018, 0x0023})
# A sheet's records are read once for each sheet the workbook lists at their place; more
# reading than this many times the stream is refused rather than done.
_XLS_MAX_WALK = 4


def _xls_records(stream: bytes, at: int) -> Iterator[tuple[int, int, int]]:
    """(type, offset of the data, size) of each record from ``at`` on."""
    unpack = struct.unpack_from
    end = len(stream) - 4
    while 0 <= at <= end:
        kind, size = unpack("<HH", stream, at)
        yield kind, at + 4, size
        at += 4 + size


def _check_xls(cfb: _Cfb) -> int:
    """Refuse an xls saved with a password, and bound what calamine builds when it opens
    the file: every sheet the workbook lists (calamine reads them all at once, and a sheet
    listed twice twice), its grid and its text, the shared strings (SST) copied into each
    cell that refers to them, and the list of cells it reserves at the size the sheet's
    DIMENSIONS record declares. Returns the cost of it all."""
    try:
        stream = cfb.stream(("Workbook", "Book"))
    except (struct.error, IndexError, ValueError) as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
    if not stream:
        raise FileProblem("unreadable_file", {"reason": "corrupt"})
    positions: list[int] = []
    sst_parts: list[bytes] = []
    collecting = False
    longest_name = 0
    # The workbook globals, up to their EOF, as calamine reads them.
    for kind, at, size in _xls_records(stream, 0):
        if kind == _XLS_CONTINUE and collecting:
            sst_parts.append(stream[at : at + size])
            continue
        collecting = False
        if kind == _XLS_FILEPASS:
            raise FileProblem("unreadable_file", {"reason": "password_protected"})
        if kind in _XLS_NAMES:
            longest_name = max(longest_name, size)
        if kind == _XLS_BOUNDSHEET and size >= 4:
            positions.append(struct.unpack_from("<I", stream, at)[0])
        elif kind == _XLS_SST:
            sst_parts, collecting = [stream[at : at + size]], True
        elif kind == _XLS_EOF:
            break
    try:
        lengths = _sst_lengths(sst_parts) if sst_parts else array.array("I")
    except (struct.error, IndexError, ValueError) as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
    # A formula's text: each byte of its tokens prints at most 16 bytes, or a name (5 bytes
    # of token) or a sheet's name (7).
    formula_bytes = 16 + -(-3 * longest_name // 5)
    cost = sum(lengths) // COPIED_ASCII_TEXT_WEIGHT + len(lengths) * SHARED_STRING_BYTES
    cells = walked = 0
    sheets: dict[int, tuple[int, int, int]] = {}
    for position in positions:
        if position not in sheets:
            sheets[position] = _xls_sheet(stream, position, lengths, formula_bytes)
            walked += sheets[position][2]
            if walked > _XLS_MAX_WALK * len(stream):
                raise FileProblem("content_too_large", {"limit": MAX_READ_BYTES})
        grid, sheet_cost, _walked = sheets[position]
        cells += grid
        cost += sheet_cost
        if cells > MAX_SHEET_CELLS:
            raise FileProblem(
                "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
            )
    return cost


def _xls_sheet(
    stream: bytes, position: int, lengths: array.array, formula_bytes: int
) -> tuple[int, int, int]:
    """(grid, cost, bytes read) of the sheet calamine reads from ``position``: records up
    to the EOF of the substream begun there, skipping nested substreams (a chart's)."""
    unpack = struct.unpack_from
    cells = _XLS_CELLS
    count = len(lengths)
    max_row = max_col = -1
    text = reserved = cell_count = 0
    seen_bof = False
    depth = 0
    last = position
    for kind, at, size in _xls_records(stream, position):
        last = at + size
        if depth:
            if kind == 0x0809:
                depth += 1
            elif kind == _XLS_EOF:
                depth -= 1
            continue
        if kind in cells:
            if size >= 4:
                row, col = unpack("<HH", stream, at)
                max_row = max(max_row, row)
                max_col = max(max_col, col)
                cell_count += 1
            if kind == _XLS_LABELSST:
                if size >= 10:
                    index = unpack("<I", stream, at + 6)[0]
                    text += lengths[index] if index < count else 0
            elif kind in _XLS_TEXT:
                # up to 3 bytes of UTF-8 a character, twice in calamine, then Python's text
                text += (3 + 3 + 4) * size
            elif kind == _XLS_FORMULA:
                text += formula_bytes * size
        elif kind in _XLS_MULTI and size >= 6:
            row = unpack("<H", stream, at)[0]
            last_col = unpack("<H", stream, at + size - 2)[0]
            max_row = max(max_row, row)
            max_col = max(max_col, last_col)
            cell_count += max(size // 6, 1)
        elif kind == _XLS_DIMENSIONS:
            declared = _xls_declared(stream[at : at + size])
            if declared > MAX_SHEET_CELLS:
                raise FileProblem(
                    "unreadable_file", {"reason": "sheet_too_large", "limit": MAX_SHEET_CELLS}
                )
            reserved = max(reserved, declared)
        elif kind == 0x0809:
            if seen_bof:
                depth += 1
            seen_bof = True
        elif kind == _XLS_EOF:
            break
    grid = (max_row + 1) * (max_col + 1)
    cost = grid * XLS_CELL_BYTES + (reserved + cell_count) * XLS_RESERVED_CELL_BYTES + text
    return grid, cost, last - position


def _xls_declared(data: bytes) -> int:
    """The cells calamine reserves for a DIMENSIONS record, computed as it does (with
    32-bit arithmetic that wraps when the first row lies after the last)."""
    if len(data) == 10:
        first_row, last_row, first_col, last_col = struct.unpack_from("<HHHH", data)
    elif len(data) == 14:
        first_row, last_row, first_col, last_col = struct.unpack_from("<IIHH", data)
    else:
        return 0  # calamine refuses the file
    if first_col > 0xFF or last_col < first_col:
        first_col = 0
    if last_row >= 1 and last_col >= 1:
        end_row, end_col = last_row - 1, last_col - 1
    else:
        end_row, end_col = first_row, first_col
    rows = (end_row - first_row + 1) & 0xFFFFFFFF
    cols = (end_col - first_col + 1) & 0xFFFFFFFF
    return rows * cols


def _sst_lengths(parts: list[bytes]) -> array.array:
    """What each string of an SST record (``parts``: its data and its CONTINUE records')
    costs when a cell refers to it: its characters three times (calamine's UTF-8, the copy
    of the sheet it hands out, and Python's text), or 3 + 3 + 4 bytes each for any but
    plain ASCII. Walks the
    strings as calamine does: a string's characters may go on in the next record, which
    then starts with a byte saying whether they are 8 or 16 bits wide."""
    lengths = array.array("I")
    index, data, at = 0, parts[0], 8
    unpack = struct.unpack_from
    while True:
        if at >= len(data):
            index += 1
            if index >= len(parts):
                return lengths
            data, at = parts[index], 0
            continue
        count, flags = unpack("<HB", data, at)
        at += 3
        skip = 0
        if flags & 0x8:
            skip += 4 * unpack("<H", data, at)[0]
            at += 2
        if flags & 0x4:
            skip += unpack("<I", data, at)[0]
            at += 4
        high = flags & 0x1
        wide = bool(high)
        left = count
        while left:
            width = 2 if high else 1
            take = min(left, (len(data) - at) // width)
            if not high and not data[at : at + take].isascii():
                wide = True
            at += take * width
            left -= take
            if left:
                index += 1
                data = parts[index]
                high = data[0] & 0x1
                wide = wide or bool(high)
                at = 1
        # UTF-8 in calamine, then Python's text of it
        lengths.append((3 + 3 + 4) * count if wide else COPIED_ASCII_TEXT_WEIGHT * count)
        while skip:
            step = min(skip, len(data) - at)
            at += step
            skip -= step
            if skip:
                index += 1
                data, at = parts[index], 0


# --------------------------------------------------------------------------------------
# Spreadsheets through calamine
# --------------------------------------------------------------------------------------


def _read_spreadsheet(
    raw: bytes, kind: str, container, rules: HeaderRules, wanted: str | None
) -> Sheet:
    check = None
    if kind == "xlsx":
        check = _check_xlsx(container)
    elif kind == "ods":
        if _ods_encrypted(container):
            raise FileProblem("unreadable_file", {"reason": "password_protected"})
        _check_cost(_check_ods(container))
    else:
        _check_cost(_check_xls(container))
    if kind == "ods":
        raw = _ods_unindented(container) or raw
    try:
        workbook = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except python_calamine.PasswordError as exc:
        raise FileProblem("unreadable_file", {"reason": "password_protected"}) from exc
    except Exception as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
    except BaseException as exc:  # a Rust panic reaches Python as a BaseException
        if type(exc).__name__ != "PanicException":
            raise
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
    with workbook:
        if check is not None and list(workbook.sheet_names) != check.names:
            # calamine did not read the workbook as it was measured
            raise FileProblem("unreadable_file", {"reason": "corrupt"})
        order = _sheet_order(workbook)
        names = tuple(workbook.sheet_names[index] for index in sorted(order))
        if wanted:
            order = [_sheet_named(workbook, order, wanted, names)]
        finder = _HeaderFinder(rules)
        best: _Candidate | None = None
        for index in order:
            if check is not None:
                held = check.costs[best.index] if best is not None else 0
                over = check.costs[index] + held > MAX_READ_BYTES
                if over and best is not None and best.complete:
                    break  # a sheet that has every column in hand beats reading another
                _check_cost(check.costs[index] + held)
            try:
                sheet = workbook.get_sheet_by_index(index)
                rows = enumerate(sheet.iter_rows(), start=1)
                name = sheet.name
                start = sheet.start
            except Exception as exc:
                raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
            except BaseException as exc:
                if type(exc).__name__ != "PanicException":
                    raise
                raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc
            found = finder.find(rows)
            # The sheet with the most recognised headers; on a tie, the first (visible
            # sheets come first): an overview sheet in front of the data sheet, whose
            # headers name a few columns, is passed over.
            if found is not None and (best is None or len(found.keys) > len(best.header.keys)):
                best = _Candidate(index, name, sheet, rows, found, start[1] if start else 0)
            del sheet, rows
        if best is None:
            raise finder.problem()
        best.header.check()
        marks = _Marks(col_offset=best.col_offset)
        columns = {
            best.col_offset + index
            for index, text in enumerate(best.header.texts)
            if text and rules.key(text) is not None
        }
        if kind == "xlsx":
            marks = _xlsx_marks(container, best.index, marks, columns)
        elif kind == "ods":
            marks = _ods_marks(container, best.name, marks, columns)
        result = _read_rows(
            best.rows, best.header, best.name, kind, rules, marks=marks, sheet_names=names
        )
        del best
        return result


# --------------------------------------------------------------------------------------
# What calamine does not say: hidden rows, error cells, number formats (xlsx)
# --------------------------------------------------------------------------------------

# Cells with an error or a zero-showing format noted, at most: beyond, a number is read
# without its zeros (and a reference so read is flagged), an error cell as empty.
MAX_MARKS = 200_000


@dataclass(frozen=True, slots=True)
class _ZeroFormat:
    """A number format that shows an integer with leading zeros ("000000", "K-"00000), as
    much of it as the reader shows: the text before and after the digits, and how many
    digits at least."""

    prefix: str
    digits: int
    suffix: str

    def show(self, value: float) -> str | None:
        if not value.is_integer() or not 0 <= value < 1e15:
            return None
        return f"{self.prefix}{int(value):0{self.digits}d}{self.suffix}"

    @classmethod
    def parse(cls, code: str) -> _ZeroFormat | None:
        """The format of the code's first section, when it is literal text around digit
        placeholders of which at least two are zeros; None for any other format."""
        section = code.split(";", 1)[0]
        prefix: list[str] = []
        suffix: list[str] = []
        placeholders = ""
        at = 0
        while at < len(section):
            char = section[at]
            literal = None
            if char == '"':
                end = section.find('"', at + 1)
                if end == -1:
                    return None
                literal, at = section[at + 1 : end], end + 1
            elif char == "\\" and at + 1 < len(section):
                literal, at = section[at + 1], at + 2
            elif char == "[":
                end = section.find("]", at)
                if end == -1:
                    return None
                at = end + 1
                continue
            elif char in "0#":
                if suffix:
                    return None
                placeholders += char
                at += 1
                continue
            elif char in "_*" and at + 1 < len(section):
                # _x: a space as wide as x; *x: x repeated to fill the cell (none here)
                literal, at = (" " if char == "_" else ""), at + 2
            elif char in " -()/:+":
                literal, at = char, at + 1
            else:
                return None  # a decimal point, a thousands separator, a date: not a code
            (suffix if placeholders else prefix).append(literal)
        zeros = placeholders.count("0")
        if zeros < 2 or "#" in placeholders.lstrip("#"):
            return None
        return cls("".join(prefix), zeros, "".join(suffix))


_NUM_FMT = "numFmt"
_HIDDEN_ROW = re.compile(
    rb"""<(?:[\w.\-]+:)?row\b((?:[^>"']|"[^"]*"|'[^']*')*?\shidden\s*=\s*["'](?:1|true)["'](?:[^>"']|"[^"]*"|'[^']*')*)>"""
)
_CELL_TAG = re.compile(rb"""<(?:[\w.\-]+:)?c\b((?:[^>"']|"[^"]*"|'[^']*')*)>""")
_ERROR_TYPE = re.compile(rb"""\st\s*=\s*["']e["']""")
_STYLE_ATTR = re.compile(rb"""\ss\s*=\s*["'](\d+)["']""")
_VALUE = re.compile(rb"<(?:[\w.\-]+:)?v>([^<]*)<")


def _xlsx_marks(zf: zipfile.ZipFile, index: int, marks: _Marks, columns: set[int]) -> _Marks:
    """The hidden rows of the sheet calamine read as sheet ``index``, and of its cells in
    ``columns`` those holding an error and those whose number format shows leading zeros:
    one pass over the sheet's XML, which looks closer only where such a cell or row can
    be (its marks are rare)."""
    parts = _ZipIndex(zf.infolist())
    package = _xlsx_package(zf, parts)
    name = package.sheets[index][0]
    path = next(path for other, _typ, path in package.sheets if other == name)
    info = parts.find(path)
    styles = parts.find(f"{package.folder}styles.xml")
    if info is None:
        return marks
    zero_styles = _zero_styles(zf, styles) if styles is not None else {}
    style_needles = [b's="%d"' % number for number in zero_styles]
    noted = 0
    for segment in _segments(_member_chunks(zf, info), b"</row>"):
        if noted > MAX_MARKS:
            break
        if b"hidden" in segment:
            for match in _HIDDEN_ROW.finditer(segment):
                place = _place(match[1])
                if place is not None and place[0] is not None:
                    marks.hidden_rows.add(place[0] + 1)
                    noted += 1
        errors = b'"e"' in segment or b"'e'" in segment
        styled = style_needles and any(needle in segment for needle in style_needles)
        if not (errors or styled):
            continue
        for match in _CELL_TAG.finditer(segment):
            attributes = match[1]
            place = _place(attributes)
            if place is None or place[0] is None or place[1] not in columns:
                continue
            if errors and _ERROR_TYPE.search(attributes) and not attributes.endswith(b"/"):
                end = segment.find(b"c>", match.end())
                value = _VALUE.search(segment, match.end(), len(segment) if end == -1 else end)
                if value is not None:
                    text = _unescape(value[1]).decode("utf-8", "replace").strip()
                    marks.errors[place] = text[:20] or "#N/A"  # type: ignore[index]  # row checked above
                    noted += 1
            style = _STYLE_ATTR.search(attributes) if styled else None
            if style is not None and int(style[1]) in zero_styles:
                marks.formats[place] = zero_styles[int(style[1])]  # type: ignore[index]  # row checked above
                noted += 1
    return marks


def _place(attributes: bytes) -> tuple[int | None, int] | None:
    """(0-based row, 0-based column) of a cell or row tag's ``r`` attribute; None when it
    has none (such a cell is not looked at: a bound, not an exact reading)."""
    attribute = _R_ATTR.search(attributes)
    if attribute is None:
        return None
    value = attribute[1] if attribute[1] is not None else attribute[2]
    reference = _CELL_REF.match(value)
    if reference is None:
        return None
    letters, digits = reference.groups()
    if len(letters) > 3 or not digits or len(digits) > 7:
        return None
    column = _column_number(letters.upper()) - 1 if letters else -1
    return int(digits) - 1, column


def _zero_styles(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> dict[int, _ZeroFormat]:
    """The cell styles (their index in cellXfs) whose number format shows leading zeros,
    read from the styles part by expat, streaming."""
    formats: dict[str, _ZeroFormat] = {}
    styles: dict[int, _ZeroFormat] = {}
    state = {"in_xfs": False, "count": 0}

    def start(name: str, attributes: list[str]) -> None:
        local = _local(name)
        pairs = dict(zip(attributes[::2], attributes[1::2], strict=True))
        if local == _NUM_FMT and "numFmtId" in pairs:
            parsed = _ZeroFormat.parse(pairs.get("formatCode", ""))
            if parsed is not None:
                formats[pairs["numFmtId"]] = parsed
        elif local == "cellXfs":
            state["in_xfs"] = True
        elif local == "xf" and state["in_xfs"]:
            parsed = formats.get(pairs.get("numFmtId", "0"))
            if parsed is not None:
                styles[state["count"]] = parsed
            state["count"] += 1

    def end(name: str) -> None:
        if _local(name) == "cellXfs":
            state["in_xfs"] = False

    parser = _expat_parser()
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    _expat_parse(parser, _member_chunks(zf, info))
    return styles


# Indentation between two tags: a line break, and spaces or tabs, up to the next tag (or
# the end of a piece cut just before a tag). One space between two tags, as in
# <text:span>An</text:span> <text:span>Peeters</text:span>, has no line break and stays.
_INDENTATION = re.compile(rb">[ \t\r]*\n[ \t\r\n]*(?=<|\Z)")


def _ods_unindented(zf: zipfile.ZipFile) -> bytes | None:
    """The file again with its content.xml's indentation removed, when it has any (Gnumeric
    writes its XML indented; calamine refuses spaces between the cells of a row), else
    None. Every member is copied by chunks, content.xml cut just before a tag."""
    info = zf.NameToInfo.get("content.xml")
    if info is None:
        return None
    head = b"".join(itertools.islice(_member_chunks(zf, info), 1))[: 1 << 16]
    if not re.search(rb">[ \t\r]*\n[ \t\r\n]*<", head):
        return None
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as out:
        for member in zf.infolist():
            copy = zipfile.ZipInfo(member.filename, date_time=member.date_time)
            copy.compress_type = member.compress_type
            with out.open(copy, "w") as target:
                if member.filename == "content.xml":
                    for piece in _pieces_before_tags(_member_chunks(zf, member)):
                        target.write(_INDENTATION.sub(b">", piece))
                elif not member.is_dir():
                    for chunk in _member_chunks(zf, member):
                        target.write(chunk)
    return buffer.getvalue()


def _pieces_before_tags(chunks: Iterable[bytes]) -> Iterator[bytes]:
    """The chunks again, each cut just before its last ``<`` (the rest comes first in the
    next one)."""
    carry = b""
    for chunk in chunks:
        buffer = carry + chunk if carry else chunk
        cut = buffer.rfind(b"<")
        if cut <= 0:
            carry = buffer
            continue
        carry = buffer[cut:]
        yield buffer[:cut]
    if carry:
        yield carry


_ODS_MARKED = (b'calcext:value-type="error"', b"table:visibility=")
_ODS_TOKEN = re.compile(
    rb"<table:table(?=[\s>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    rb"|<table:table-row(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
    rb"|<table:(?:covered-)?table-cell(?=[\s/>])((?:[^>\"']|\"[^\"]*\"|'[^']*')*)>"
)
_ODS_NAME = re.compile(rb"""table:name\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ODS_HIDDEN = re.compile(rb"""table:visibility\s*=\s*["'](?:collapse|filter)["']""")
_ODS_TEXT = re.compile(rb"<text:p(?:\s[^>]*)?>([^<]*)<")


def _ods_marks(zf: zipfile.ZipFile, name: str, marks: _Marks, columns: set[int]) -> _Marks:
    """The hidden rows of the table ``name`` and its cells in ``columns`` holding an error
    (LibreOffice writes calcext:value-type="error", calamine reads them as empty). Only a
    file that holds either is walked, row by row."""
    info = zf.NameToInfo.get("content.xml")
    if info is None:
        return marks
    tail = b""
    for chunk in _member_chunks(zf, info):
        if any(needle in tail + chunk[:64] or needle in chunk for needle in _ODS_MARKED):
            break
        tail = chunk[-64:]
    else:
        return marks
    wanted = name.encode("utf-8")
    inside = False
    row = column = first = rows_here = 0
    noted = 0
    for segment in _segments(_member_chunks(zf, info), _ROW_END):
        for match in _ODS_TOKEN.finditer(segment):
            table, row_tag, cell = match.groups()
            if table is not None:
                found = _ODS_NAME.search(table)
                value = (found[1] if found[1] is not None else found[2]) if found else b""
                inside = _unescape(value) == wanted
                row = 0
                continue
            if not inside:
                continue
            if row_tag is not None:
                times = _repeats(_ROWS_REPEATED, row_tag) if b"repeated" in row_tag else 1
                if _ODS_HIDDEN.search(row_tag) and times <= MAX_ROWS:
                    marks.hidden_rows.update(range(row + 1, row + 1 + times))
                    noted += times
                first, rows_here = row, min(times, 1024)
                row += times
                column = 0
                continue
            times = _repeats(_COLUMNS_REPEATED, cell) if b"repeated" in cell else 1
            if b"error" in cell and _ODS_MARKED[0] in cell and not cell.endswith(b"/"):
                text = _ODS_TEXT.search(segment, match.end())
                error = _unescape(text[1]).decode("utf-8", "replace").strip() if text else ""
                for at in range(column, column + min(times, 1024)):
                    if at in columns:
                        for here in range(first, first + rows_here):
                            marks.errors[(here, at)] = error[:20] or "#N/A"
                        noted += rows_here
            column += times
        if noted > MAX_MARKS:
            break
    return marks


def _ods_encrypted(zf: zipfile.ZipFile) -> bool:
    """Whether the OpenDocument file was saved with a password: its manifest gives the
    encryption of its parts (the zip itself is not encrypted, its content.xml is noise)."""
    info = zf.NameToInfo.get("META-INF/manifest.xml")
    if info is None:
        return False
    manifest = _read_member(zf, info, limit=1 << 20)
    return b"encryption-data" in manifest


@dataclass
class _Candidate:
    """A sheet whose header row was found, kept open (its rows part read) while the other
    sheets are looked at."""

    index: int
    name: str
    sheet: object
    rows: Iterator[tuple[int, list]]
    header: _Header
    col_offset: int

    @property
    def complete(self) -> bool:
        return not self.header.missing


def _sheet_named(workbook, order: list[int], wanted: str, names: tuple[str, ...]) -> int:
    """The worksheet the person chose, by its name (spaces and case aside)."""
    for index in order:
        if workbook.sheet_names[index] == wanted:
            return index
    folded = wanted.strip().casefold()
    for index in order:
        if workbook.sheet_names[index].strip().casefold() == folded:
            return index
    raise FileProblem("sheet_not_found", {"sheet": wanted, "sheets": list(names)})


def estimated_cost(data: bytes, *, filename: str) -> int:
    """What reading ``data`` is estimated to take (bytes), before anything is read: the
    largest of its sheets' costs for xlsx, all sheets together for xls and ods (calamine
    reads them at once), 0 for delimited text. Raises FileProblem as read_table would for
    a file refused before it is read."""
    raw = _read_limited(data)
    kind, container = _detect(raw, filename)
    if kind == "xlsx":
        return max(_check_xlsx(container).costs, default=0)
    if kind == "ods":
        return _check_ods(container)
    if kind == "xls":
        return _check_xls(container)
    return 0


def _sheet_order(workbook) -> list[int]:
    """Worksheets in workbook order, visible ones first; chart sheets and the like never."""
    visible: list[int] = []
    hidden: list[int] = []
    for index, meta in enumerate(workbook.sheets_metadata):
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        (visible if meta.visible == python_calamine.SheetVisibleEnum.Visible else hidden).append(
            index
        )
    return visible + hidden


# --------------------------------------------------------------------------------------
# csv
# --------------------------------------------------------------------------------------

_DELIMITERS = (";", ",", "\t")
# The template's headers, the reader's default.
TEMPLATE_HEADERS = HeaderRules()


def _read_csv(raw: bytes, rules: HeaderRules) -> Sheet:
    decoded = _decode(raw)
    del raw
    text = decoded.text
    if "\r" in text and "\n" not in text:  # "CSV (Macintosh)": lines end with CR alone
        text = text.replace("\r", "\n")
    delimiter = _sniff_delimiter(text, rules)
    marks = _Marks()
    lines = _lines(text)
    if decoded.fallback_starts:
        lines = _CountedLines(lines)
    reader = csv.reader(lines, delimiter=delimiter)
    rows: Iterator[tuple[int, list]] = enumerate(reader, start=1)
    if decoded.fallback_starts:
        rows = _flag_rows(rows, lines, decoded.fallback_starts, marks.fallback_rows)  # type: ignore[arg-type]  # _CountedLines when there are fallback lines
        marks.fallback_encoding = decoded.fallback_encoding
    finder = _HeaderFinder(rules)
    try:
        header = finder.find(rows)
        if header is None:
            raise finder.problem()
        header.check()
        return _read_rows(rows, header, "", "csv", rules, marks=marks, encoding=decoded.encoding)
    except csv.Error as exc:
        raise FileProblem("unreadable_file", {"reason": "corrupt"}) from exc


class _CountedLines:
    """The lines for the csv module, counting the characters handed out: after a row is
    read, where in the text it ends."""

    def __init__(self, lines: Iterator[str]):
        self.lines = lines
        self.read = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self.lines)
        self.read += len(line)
        return line


def _flag_rows(
    rows: Iterator[tuple[int, list]], lines: _CountedLines, starts: list[int], flagged: set[int]
) -> Iterator[tuple[int, list]]:
    """The rows, noting in ``flagged`` the number of each row that holds a line read in the
    fallback character set (a row may span lines: a line break inside quotes)."""
    pending = iter(starts)
    start = next(pending, None)
    for number, row in rows:
        while start is not None and start < lines.read:
            flagged.add(number)
            start = next(pending, None)
        yield number, row


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` for the csv module. Read block by block: io.StringIO holds
    its text at four bytes a character."""
    return itertools.chain.from_iterable(
        io.StringIO(block, newline="") for block in _blocks(text, 1 << 20)
    )


def _blocks(text: str, size: int) -> Iterator[str]:
    """``text`` in pieces of about ``size`` characters, each ending with a line break."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + size)
        end = len(text) if end == -1 else end + 1
        yield text[start:end]
        start = end


# The character sets Excel writes a CSV file in, besides UTF-8: "CSV (comma delimited)" in
# the Windows code page of Western Europe, "CSV (MS-DOS)" in its DOS code page, "CSV
# (Macintosh)" in Mac Roman. A file in none of them is read as one of them, or refused.
LEGACY_ENCODINGS = ("cp1252", "cp850", "mac_roman")
# Detection looks at the lines that hold non-ASCII bytes (where the encodings differ), up to
# this many bytes of them.
ENCODING_SAMPLE_BYTES = 64 * 1024
ENCODING_NAMES = {
    "utf-8": "UTF-8",
    "utf-16": "UTF-16",
    "cp1252": "Windows-1252",
    "cp850": "MS-DOS (850)",
    "mac_roman": "Mac Roman",
}


@dataclass
class _Decoded:
    """A csv file as text: ``encoding`` the character set it was read in, and for a UTF-8
    file with lines in another one, where those lines start in ``text`` and what they were
    read in."""

    text: str
    encoding: str
    fallback_starts: list[int] = field(default_factory=list)
    fallback_encoding: str = ""


def _decode(raw: bytes) -> _Decoded:
    """The text of a csv file. UTF-8 (with or without BOM) and UTF-16 (with BOM) as they
    are; otherwise the character set charset-normalizer finds among LEGACY_ENCODINGS. A
    UTF-8 file with a few lines in another character set (lines pasted from another file)
    keeps its UTF-8 lines and reads those lines in the set found for them; the rows they are
    in get a warning. A file whose character set cannot be told is refused: its accents
    would be stored wrong."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _Decoded(raw.decode("utf-16", "replace"), "utf-16")
    try:
        return _Decoded(raw.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    lines = raw.split(b"\n") if b"\n" in raw else raw.split(b"\r")
    good = bad = 0
    for line in lines:
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            bad += 1
        else:
            good += 1
    if good >= bad:
        return _decode_mixed(lines)
    encoding = _detect_encoding(lines)
    return _Decoded(raw.decode(encoding), encoding)


def _decode_mixed(lines: list[bytes]) -> _Decoded:
    failing = []
    for line in lines:
        if not line.isascii():
            try:
                line.decode("utf-8")
            except UnicodeDecodeError:
                failing.append(line)
    # A line or two says little about its character set: the best guess is taken, and each
    # row read so is flagged for a person to check.
    encoding = _detect_encoding(failing, strict=False)
    parts: list[str] = []
    starts: list[int] = []
    at = 0
    for line in lines:
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError:
            text = line.decode(encoding, "replace")
            starts.append(at)
        parts.append(text)
        at += len(text) + 1
    return _Decoded("\n".join(parts), "utf-8", starts, encoding)


def _detect_encoding(lines: list[bytes], *, strict: bool = True) -> str:
    """The character set of these lines among LEGACY_ENCODINGS, as charset-normalizer finds
    it on a sample of the lines that hold non-ASCII bytes. Of the readings it finds equally
    plausible, those that put a symbol inside a word or a capital after a small letter
    ("Caf‚", "CafŽ") are left out; when readings that differ remain, the file is refused
    (``strict``) or the first is taken."""
    sample = bytearray()
    for line in lines:
        if not line.isascii():
            sample += line[:ENCODING_SAMPLE_BYTES] + b"\n"
            if len(sample) >= ENCODING_SAMPLE_BYTES:
                break
    sample = sample[:ENCODING_SAMPLE_BYTES]
    matches = list(charset_normalizer.from_bytes(bytes(sample), cp_isolation=[*LEGACY_ENCODINGS]))
    if not matches:
        if strict:
            raise FileProblem("unreadable_file", {"reason": "encoding_unknown"})
        return LEGACY_ENCODINGS[0]
    least = min(match.chaos for match in matches)
    readings: dict[str, str] = {}
    for match in matches:
        if match.chaos > least + _CHAOS_TOLERANCE or match.encoding not in LEGACY_ENCODINGS:
            continue
        text = bytes(sample).decode(match.encoding, "replace")
        if _plausible(text):
            readings.setdefault(text, match.encoding)
    if len(readings) == 1:
        return next(iter(readings.values()))
    if strict:
        raise FileProblem("unreadable_file", {"reason": "encoding_unknown"})
    if readings:
        return next(iter(readings.values()))
    return matches[0].encoding if matches[0].encoding in LEGACY_ENCODINGS else "cp1252"


_CHAOS_TOLERANCE = 0.01
_NON_ASCII = re.compile(r"[^\x00-\x7f]")
# Punctuation that follows a letter in a name: D’Hondt, Saint–Gilles, ‘t Hof’.
_AFTER_LETTER = frozenset({"Pd", "Pi", "Pf"})


def _plausible(text: str) -> bool:
    """False for a text that shows what a reading in the wrong one of LEGACY_ENCODINGS
    shows and a name or an address does not: a symbol glued to a letter ("Caf‚", "M³ller")
    or a capital right after a small letter ("CafŽ")."""
    for match in _NON_ASCII.finditer(text):
        at = match.start()
        before = text[at - 1] if at else " "
        if not before.isalpha():
            continue
        char = match[0]
        if char.isalpha():
            if before.islower() and char.isupper():
                return False
        elif unicodedata.category(char) not in _AFTER_LETTER:
            return False
    return True


def _sniff_delimiter(text: str, rules: HeaderRules) -> str:
    """The delimiter that makes the most headers recognisable among the first rows; on a
    tie, the one found most often in the first non-blank line.

    Read by the file's own headers (the mapping step), every cell is "recognisable": there
    the delimiter is the one that splits the most of the first rows into more than one cell
    (the header row included, which a value's comma does not split), then the one that splits
    most of them alike; a value full of another delimiter (a note with commas in a semicolon
    file) splits only its own row."""
    sample = text[:65536]
    first_line = next((line for line in sample.splitlines() if line.strip()), "")
    best, best_score = ";", (-1, -1, -1, -1)
    for delimiter in _DELIMITERS:
        rows: list[list[str]] = []
        try:
            for row in csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter):
                if any(cell.strip() for cell in row):
                    rows.append(row)
                    if len(rows) >= HEADER_SEARCH_ROWS:
                        break
        except csv.Error:
            continue
        if rules.raw:
            widths = Counter(len(row) for row in rows if len(row) > 1)
            rows_alike, width = max(((n, w) for w, n in widths.items()), default=(0, 0))
            score = (sum(widths.values()), rows_alike, width, first_line.count(delimiter))
        else:
            recognised = max(
                (len({rules.key(cell) for cell in row} - {None}) for row in rows), default=0
            )
            score = (recognised, 0, 0, first_line.count(delimiter))
        if score > best_score:
            best, best_score = delimiter, score
    return best


# --------------------------------------------------------------------------------------
# Finding the header row and reading the rows under it
# --------------------------------------------------------------------------------------


@dataclass
class _Header:
    """A sheet's header row: its Excel row number, its cells as text, the keys they name
    (by the reader's HeaderRules) and the required fields no column is given to."""

    number: int
    texts: list[str]
    keys: set[str]
    missing: list[str]

    def check(self) -> None:
        if self.missing:
            raise FileProblem("missing_columns", {"columns": self.missing})


@dataclass
class _HeaderFinder:
    """Looks for the header row of each sheet, naming its cells by the HeaderRules (the
    template's headers, a column mapping, or the file's own). Remembers the best candidate
    row, for the missing_columns report."""

    rules: HeaderRules = field(default_factory=HeaderRules)
    best_keys: set[str] = field(default_factory=set)
    seen_data: bool = False

    def problem(self) -> FileProblem:
        if not self.seen_data:
            return FileProblem("empty_file", {"reason": "no_data"})
        missing = self.rules.missing(self.best_keys) or list(REQUIRED_KEYS)
        return FileProblem("missing_columns", {"columns": missing})

    def find(self, rows: Iterator[tuple[int, list]]) -> _Header | None:
        """The header row among the sheet's first non-blank rows: the first that names
        every required column or at least three columns. ``rows`` is left just under it."""
        looked = 0
        for number, row in rows:
            texts = [_header_text(value) for value in row]
            if not any(texts):
                continue
            self.seen_data = True
            keys = {key for text in texts if text and (key := self.rules.key(text)) is not None}
            if len(keys) > len(self.best_keys):
                self.best_keys = keys
            if self.rules.is_header(keys):
                return _Header(number, texts, keys, self.rules.missing(keys))
            looked += 1
            if looked >= HEADER_SEARCH_ROWS:
                break
        return None


def _header_text(value: object) -> str:
    if type(value) is str:
        return value.strip()
    if value is None or value == "":
        return ""
    if type(value) is float:
        return _number_text(value)
    return str(value).strip()


@dataclass
class _Marks:
    """What the cells' values do not tell, found beside them: for a spreadsheet the rows
    hidden, the cells holding an error (calamine reads them as empty) and the number
    formats that show leading zeros, by (0-based row, 0-based column); for a csv file the
    rows read in a fallback character set. ``col_offset`` is the column of the first value
    of each row calamine hands out."""

    col_offset: int = 0
    hidden_rows: set[int] = field(default_factory=set)
    errors: dict[tuple[int, int], str] = field(default_factory=dict)
    formats: dict[tuple[int, int], _ZeroFormat] = field(default_factory=dict)
    fallback_rows: set[int] = field(default_factory=set)
    fallback_encoding: str = ""

    def rows(self) -> set[int]:
        """The Excel row numbers that need a look."""
        return (
            self.hidden_rows
            | {row + 1 for row, _col in self.errors}
            | {row + 1 for row, _col in self.formats}
        )


# The texts of Excel's error values: a cell showing one holds no value (a csv file, or a
# text cell, holds it as text).
ERROR_TEXTS = frozenset(
    {
        "#N/A",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#NULL!",
        "#SPILL!",
        "#CALC!",
        "#GETTING_DATA",
        "#FIELD!",
        "#BLOCKED!",
        "#CONNECT!",
        "#BUSY!",
        "#UNKNOWN!",
        "Err:502",
        "Err:504",
        "Err:508",
        "Err:509",
        "Err:510",
        "Err:511",
        "Err:512",
        "Err:522",
        "Err:523",
    }
)
# What a value should not hold inside: a line break or a tab (Excel's Alt+Enter), a
# no-break space (text pasted from a web page). Looked for only in a row that holds a
# character that is not printable (_read_rows).
_UNTIDY_SPACE = re.compile("[\n\r\t\u00a0\u2007\u202f]+")
_SPACES = re.compile(" {2,}")


def _read_rows(
    rows: Iterator[tuple[int, list]],
    header: _Header,
    name: str,
    kind: str,
    rules: HeaderRules,
    *,
    marks: _Marks,
    sheet_names: tuple[str, ...] = (),
    encoding: str = "",
) -> Sheet:
    headers = header.texts
    if sum(1 for text in headers if text) > MAX_COLUMNS:
        raise FileProblem("too_many_columns", {"limit": MAX_COLUMNS})
    indexes: list[int] = []
    keys: list[str] = []
    unknown: list[str] = []
    # Sets beside the lists, which keep the file's order: a look-up per header, not a scan.
    keys_seen: set[str] = set()
    unknown_seen: set[str] = set()
    for index, text in enumerate(headers):
        if not text or header_ignored(text):
            continue
        key = rules.key(text)
        if key is None or key in keys_seen:
            if text not in unknown_seen:
                unknown.append(text)
                unknown_seen.add(text)
            continue
        indexes.append(index)
        keys.append(key)
        keys_seen.add(key)
    columns = tuple(keys)
    width = len(indexes)
    needed = max(indexes) + 1
    in_order = indexes == list(range(width))
    out: list[tuple[int, tuple[str, ...]]] = []
    append = out.append
    problems: list[CellProblem] = []
    notes: list[CellProblem] = []
    dates: list[object] = []
    convert = _converter(dates)
    strip = str.strip
    limit = MAX_ROWS
    marked = marks.rows()
    # filled as the csv rows are read (_flag_rows)
    fallback = marks.fallback_rows if marks.fallback_encoding else None
    reference = columns.index("external_reference") if "external_reference" in columns else -1
    join = " ".join
    for number, row in rows:
        if not row:  # an empty line of a csv file
            continue
        if len(row) < needed:
            row = [*row, *([""] * (needed - len(row)))]
        if in_order:
            cells = row if len(row) == width else row[:width]
        else:
            cells = [row[i] for i in indexes]
        values = [
            strip(v)
            if type(v) is str
            else (str(int(v)) if type(v) is float and v.is_integer() else convert(v))
            for v in cells
        ]
        dated = bool(dates)
        if dated:
            for position, value in enumerate(values):
                if value is _DATE:
                    problems.append(
                        CellProblem(
                            number, columns[position], "date_in_text_column", _iso(dates.pop(0))
                        )
                    )
                    values[position] = ""
            dates.clear()
        formatted = None
        if number in marked:
            formatted = _marked_row(number, cells, values, columns, indexes, marks, problems)
        joined = join(values)
        # isprintable: no line break, tab or no-break space (nor other control or space
        # character) anywhere in the row, found in one pass
        if not joined.isprintable() or "#" in joined or "Err:" in joined:
            _tidy_row(number, values, columns, problems, notes)
        if not (dated or any(values)):
            continue
        if number in marked and number in marks.hidden_rows:
            notes.append(CellProblem(number, "", "hidden_row", ""))
        if fallback and number in fallback:
            notes.append(CellProblem(number, "", "encoding_fallback", marks.fallback_encoding))
        if (
            reference >= 0
            and type(cells[reference]) is float
            and values[reference]
            and reference not in (formatted or ())
        ):
            notes.append(
                CellProblem(number, "external_reference", "reference_number", values[reference])
            )
        if max(map(len, values)) > MAX_CELL_CHARS:
            values = [v[: MAX_CELL_CHARS + 1] for v in values]
        append((number, tuple(values)))
        if len(out) > limit:
            raise FileProblem("too_many_rows", {"limit": MAX_ROWS})
        if len(out) == rules.row_limit:
            break
    if not out:
        raise FileProblem("empty_file", {"reason": "no_rows"})
    return Sheet(
        columns=columns,
        unknown_headers=tuple(unknown),
        rows=out,
        row_count=len(out),
        cell_problems=problems,
        sheet_name=name,
        format=kind,
        header_row=header.number,
        sheet_names=sheet_names,
        encoding=encoding,
        notes=notes,
    )


def _marked_row(
    number: int,
    cells: list,
    values: list[str],
    columns: tuple[str, ...],
    indexes: list[int],
    marks: _Marks,
    problems: list[CellProblem],
) -> set[int]:
    """A row with error cells or zero-showing number formats: an error cell is a problem,
    a number shown with leading zeros keeps them. Returns the positions so formatted."""
    formatted = set()
    row = number - 1
    offset = marks.col_offset
    for position, index in enumerate(indexes):
        at = (row, offset + index)
        error = marks.errors.get(at)
        if error is not None and not values[position]:
            problems.append(CellProblem(number, columns[position], "cell_error", error))
            continue
        zeros = marks.formats.get(at)
        value = cells[position]
        if zeros is not None and type(value) is float:
            text = zeros.show(value)
            if text is not None:
                values[position] = text
                formatted.add(position)
    return formatted


def _tidy_row(
    number: int,
    values: list[str],
    columns: tuple[str, ...],
    problems: list[CellProblem],
    notes: list[CellProblem],
) -> None:
    """An error's text is a problem of its cell (the cell is read as empty); line breaks,
    tabs and no-break spaces inside a value become one space, and control characters (a NUL
    from Excel's _x0000_, core.text) are taken out, with a warning."""
    for position, value in enumerate(values):
        if value in ERROR_TEXTS:
            problems.append(CellProblem(number, columns[position], "cell_error", value))
            values[position] = ""
        elif _UNTIDY_SPACE.search(value) or CONTROL.search(value):
            tidy = _SPACES.sub(" ", _UNTIDY_SPACE.sub(" ", CONTROL.sub("", value))).strip()
            shown = CONTROL.sub("\ufffd", value)  # the report shows where they were
            notes.append(CellProblem(number, columns[position], "text_tidied", shown, tidy))
            values[position] = tidy


_DATE = object()
_DATE_TYPES = (datetime.date, datetime.time, datetime.timedelta)


def _converter(dates: list[object]):
    def convert(value: object):
        kind = type(value)
        if kind is float:  # mypy narrows on `type(value) is float`, not through `kind`
            return _number_text(value)  # type: ignore[arg-type]  # kind is float: so is value
        if kind is bool:
            return "TRUE" if value else "FALSE"
        if kind is int:
            return str(value)
        if value is None:
            return ""
        if isinstance(value, _DATE_TYPES):
            dates.append(value)
            return _DATE
        if isinstance(value, str):
            return value.strip()
        return str(value).strip()

    return convert


def _number_text(value: float) -> str:
    """The digits of a number cell: 123456789.0 -> "123456789", 0.5 -> "0.5",
    1.23456789012e+11 -> "123456789012", 1e-05 -> "0.00001"; 15 significant digits for
    fractions, as Excel shows them (0.1 + 0.2 -> "0.3")."""
    if value.is_integer():
        return str(int(value))
    if not math.isfinite(value):
        return ""
    text = format(value, ".15g")
    if "e" in text:
        text = format(Decimal(text), "f")
    return text


def _iso(value: object) -> str:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    return str(value)
