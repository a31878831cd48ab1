"""Builders of import files for the reader's tests: every test file is made here, in
memory, so that no binary fixture has to be committed.

- ``xlsx``: XlsxWriter (numbers, booleans, dates, formulas with a cached value);
- ``raw_xlsx``: a minimal OOXML package around hand-written sheet XML;
- ``ods``: an OpenDocument spreadsheet, its XML written here;
- ``xls``: a BIFF8 workbook in an OLE2 (compound file) container, both written here;
- ``ole2``: the compound file container itself (also for a password-protected OOXML
  package, which is an OLE2 file with ``EncryptionInfo`` and ``EncryptedPackage``);
- ``csv_bytes``: the csv module;
- ``zip_bomb_xlsx``: an xlsx whose sheet inflates to ``size`` bytes, its zip written by
  hand from one repeated deflate block.
"""

from __future__ import annotations

import csv
import datetime
import io
import math
import struct
import zipfile
import zlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

import xlsxwriter

from partnerspace.imports.columns import COLUMNS, headers_for

# The template's headers in the words of the Dutch help article (../shared/seed/): the
# reference the code's headers_for("nl") is checked against, so written out, not derived.
DUTCH_HEADERS = [
    "Juridische naam *",
    "Land (lettercode) *",
    "E-mailadres contactpersoon *",
    "Voornaam contactpersoon *",
    "Achternaam contactpersoon *",
    "Taal contactpersoon (locale) *",
    "Bedrijfsnummer",
    "BTW",
    "Externe referentie",
    "IBAN",
    "Straat",
    "Nummer",
    "Postbus",
    "Postcode",
    "Gemeente/stad",
    "Mandaat",
    "Sjabloon",
]
HEADERS_NL = headers_for("nl")
HEADERS_FR = headers_for("fr")
HEADERS_EN = headers_for("en")
KEYS = [column.key for column in COLUMNS]


def client_row(n: int) -> list[str]:
    """A plausible, complete row of text for client ``n``, in COLUMNS order."""
    return [
        f"Bakkerij {n} BV",
        "BE",
        f"contact{n}@bakkerij{n}.be",
        "An",
        "Peeters",
        "nl-BE",
        "0403019261",
        "BE0403019261",
        f"K-{n:05d}",
        "BE71 0961 2345 6769",
        "Kerkstraat",
        str(n),
        "",
        "9000",
        "Gent",
        "Ja",
        "Standaard",
    ]


@dataclass(frozen=True)
class Formula:
    """A formula cell with the cached value a spreadsheet program stores beside it."""

    formula: str
    value: object


# --------------------------------------------------------------------------------------
# xlsx
# --------------------------------------------------------------------------------------


def xlsx(
    rows: list[list[object]],
    *,
    sheet_name: str = "Klanten",
    first_row: int = 0,
    first_col: int = 0,
    sheets_before: dict[str, list[list[object]]] | None = None,
    hidden_before: bool = False,
    far_cell_on: str | None = None,
) -> bytes:
    """An xlsx workbook whose sheet ``sheet_name`` holds ``rows`` from the 0-based cell
    (first_row, first_col); ``None`` leaves a cell empty. ``sheets_before`` adds sheets
    in front of it; ``far_cell_on`` names a sheet that also gets "x" in CV100000 (its used
    area is then 10 million cells)."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    datetime_format = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm"})
    for name, other_rows in (sheets_before or {}).items():
        sheet = workbook.add_worksheet(name)
        _write_rows(sheet, other_rows, 0, 0, date_format, datetime_format)
        if name == far_cell_on:
            sheet.write_string(99999, 99, "x")
        if hidden_before:
            sheet.hide()
    sheet = workbook.add_worksheet(sheet_name)
    if hidden_before:
        sheet.activate()
    _write_rows(sheet, rows, first_row, first_col, date_format, datetime_format)
    if sheet_name == far_cell_on:
        sheet.write_string(99999, 99, "x")
    workbook.close()
    return buffer.getvalue()


def _write_rows(sheet, rows, first_row, first_col, date_format, datetime_format):
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            at = (first_row + r, first_col + c)
            if value is None:
                continue
            if isinstance(value, Formula):
                sheet.write_formula(*at, value.formula, None, value.value)
            elif isinstance(value, datetime.datetime):
                sheet.write_datetime(*at, value, datetime_format)
            elif isinstance(value, datetime.date):
                sheet.write_datetime(*at, value, date_format)
            elif isinstance(value, str):
                sheet.write_string(*at, value)
            else:
                sheet.write(*at, value)


_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<sheets><sheet name="Blad1" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_WORKBOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)
_SHEET_OPEN = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    "<sheetData>"
)
_SHEET_CLOSE = "</sheetData></worksheet>"


def _package(zf: zipfile.ZipFile) -> None:
    zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
    zf.writestr("_rels/.rels", _RELS)
    zf.writestr("xl/workbook.xml", _WORKBOOK)
    zf.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)


def raw_xlsx(sheet_data: str, *, prefix: str = "") -> bytes:
    """A minimal xlsx package whose only sheet's ``<sheetData>`` holds ``sheet_data``
    (written as is). With ``prefix`` (e.g. "x"), the worksheet elements use that
    namespace prefix, as some generators write them."""
    if prefix:
        sheet = (
            f'<?xml version="1.0" encoding="UTF-8"?><{prefix}:worksheet xmlns:{prefix}='
            f'"http://schemas.openxmlformats.org/spreadsheetml/2006/main"><{prefix}:sheetData>'
            f"{sheet_data}</{prefix}:sheetData></{prefix}:worksheet>"
        )
    else:
        sheet = _SHEET_OPEN + sheet_data + _SHEET_CLOSE
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        _package(zf)
        zf.writestr("xl/worksheets/sheet1.xml", sheet)
    return buffer.getvalue()


def inline_row(number: int, values: list[str]) -> str:
    """``<row>`` XML with inline-string cells from column A."""
    cells = "".join(
        f'<c r="{column_letters(c)}{number}" t="inlineStr"><is><t>{escape(v)}</t></is></c>'
        for c, v in enumerate(values)
    )
    return f'<row r="{number}">{cells}</row>'


def column_letters(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def zip_bomb_xlsx(size: int, *, claimed_size: int | None = None) -> bytes:
    """An xlsx whose sheet1.xml is ``size`` bytes, nearly all spaces, deflated about
    1000:1. The deflate stream is built from one flushed 1 MB block repeated, so the
    test never holds nor compresses ``size`` bytes. With ``claimed_size`` the zip's
    headers claim that size for the sheet instead of the real one (and its CRC is that
    of the real content), as a malicious file would."""
    header = (_SHEET_OPEN + inline_row(1, HEADERS_NL)).encode()
    footer = (inline_row(2, client_row(1)) + _SHEET_CLOSE).encode()
    spaces = b" " * (1 << 20)
    blocks, rest = divmod(size - len(header) - len(footer), len(spaces))
    deflate = zlib.compressobj(9, zlib.DEFLATED, -15)
    parts = [deflate.compress(header) + deflate.flush(zlib.Z_FULL_FLUSH)]
    block = deflate.compress(spaces) + deflate.flush(zlib.Z_FULL_FLUSH)
    # after a full flush the compressor starts afresh: the same input, the same bytes
    assert deflate.compress(spaces) + deflate.flush(zlib.Z_FULL_FLUSH) == block
    parts.extend([block] * blocks)
    parts.append(deflate.compress(spaces[:rest]) + deflate.compress(footer) + deflate.flush())
    crc = zlib.crc32(header)
    for _ in range(blocks):
        crc = zlib.crc32(spaces, crc)
    crc = zlib.crc32(footer, zlib.crc32(spaces[:rest], crc))
    members = package_members()
    members.append(("xl/worksheets/sheet1.xml", crc, b"".join(parts), claimed_size or size, 8))
    return zip_by_hand(members)


def package_members() -> list[tuple[str, int, bytes, int, int]]:
    """The parts of a minimal xlsx package around its sheet, for ``zip_by_hand``."""
    return [
        (name, zlib.crc32(data), data, len(data), 0)
        for name, data in (
            ("[Content_Types].xml", _CONTENT_TYPES.encode()),
            ("_rels/.rels", _RELS.encode()),
            ("xl/workbook.xml", _WORKBOOK.encode()),
            ("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS.encode()),
        )
    ]


def zip_by_hand(members: list[tuple[str, int, bytes, int, int]]) -> bytes:
    """A zip of (name, crc, stored bytes, uncompressed size, method) members, written
    without zipfile so that sizes and contents may disagree."""
    out = io.BytesIO()
    directory = []
    for name, crc, data, size, method in members:
        encoded = name.encode()
        offset = out.tell()
        fields = (20, 0, method, 0, 0x21, crc, len(data), size, len(encoded))
        out.write(struct.pack("<4sHHHHHIIIHH", b"PK\x03\x04", *fields, 0) + encoded + data)
        directory.append(
            struct.pack("<4sH", b"PK\x01\x02", 20)
            + struct.pack("<HHHHHIIIHHHHHII", *fields, 0, 0, 0, 0, 0, offset)
            + encoded
        )
    start = out.tell()
    out.write(b"".join(directory))
    out.write(
        struct.pack(
            "<4sHHHHIIH",
            b"PK\x05\x06",
            0,
            0,
            len(members),
            len(members),
            out.tell() - start,
            start,
            0,
        )
    )
    return out.getvalue()


# --------------------------------------------------------------------------------------
# ods
# --------------------------------------------------------------------------------------

_ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"


def ods(tables: dict[str, list[list[object]]], *, leading_empty_rows: int = 0) -> bytes:
    """An OpenDocument spreadsheet with one table per item; cell values may be str,
    int, float, bool, date, Formula or None. Each row ends as LibreOffice writes it, with
    a repeated empty cell, and each table with a repeated empty row."""
    body = []
    for name, rows in tables.items():
        body.append(f'<table:table table:name="{escape(name)}">')
        body.append('<table:table-column table:number-columns-repeated="1024"/>')
        if leading_empty_rows:
            body.append(
                f'<table:table-row table:number-rows-repeated="{leading_empty_rows}">'
                '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
            )
        for row in rows:
            cells = "".join(_ods_cell(value) for value in row)
            body.append(
                f"<table:table-row>{cells}<table:table-cell "
                f'table:number-columns-repeated="{1024 - len(row)}"/></table:table-row>'
            )
        body.append(
            '<table:table-row table:number-rows-repeated="1048000">'
            '<table:table-cell table:number-columns-repeated="1024"/></table:table-row>'
        )
        body.append("</table:table>")
    return ods_package("".join(body))


def _ods_cell(value: object) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, Formula):
        return (
            f'<table:table-cell table:formula="of:{escape(value.formula)}" '
            f'office:value-type="float" office:value="{value.value}">'
            f"<text:p>{value.value}</text:p></table:table-cell>"
        )
    if isinstance(value, bool):
        text = "true" if value else "false"
        return (
            f'<table:table-cell office:value-type="boolean" office:boolean-value="{text}">'
            f"<text:p>{text.upper()}</text:p></table:table-cell>"
        )
    if isinstance(value, int | float):
        return (
            f'<table:table-cell office:value-type="float" office:value="{value!r}">'
            f"<text:p>{value}</text:p></table:table-cell>"
        )
    if isinstance(value, datetime.date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="'
            f'{value.isoformat()}"><text:p>{value.isoformat()}</text:p></table:table-cell>'
        )
    return (
        f'<table:table-cell office:value-type="string"><text:p>{escape(str(value))}</text:p>'
        "</table:table-cell>"
    )


def ods_package(tables_xml: str) -> bytes:
    """An .ods zip around ``tables_xml`` (the ``<table:table>`` elements), written as is."""
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0"'
        ' xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0"'
        ' xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"'
        ' xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2" office:version="1.2">'
        f"<office:body><office:spreadsheet>{tables_xml}</office:spreadsheet></office:body>"
        "</office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"'
        ' manifest:version="1.2"><manifest:file-entry manifest:full-path="/" '
        f'manifest:media-type="{_ODS_MIMETYPE}"/><manifest:file-entry '
        'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), _ODS_MIMETYPE)  # first and stored
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
        zf.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


# --------------------------------------------------------------------------------------
# csv
# --------------------------------------------------------------------------------------


def csv_bytes(
    rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8", newline="\r\n"
) -> bytes:
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter, lineterminator=newline)
    writer.writerows(rows)
    return text.getvalue().encode(encoding)


# --------------------------------------------------------------------------------------
# OLE2 compound file and xls (BIFF8)
# --------------------------------------------------------------------------------------

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_END_OF_CHAIN = 0xFFFFFFFE
_FREE = 0xFFFFFFFF
_FAT_SECTOR = 0xFFFFFFFD
_NO_STREAM = 0xFFFFFFFF


def ole2(streams: dict[str, bytes]) -> bytes:
    """A version 3 compound file (512-byte sectors) holding ``streams`` in its root
    storage. Streams are padded to 4,096 bytes so that none lives in the mini stream."""
    items = [(name, data.ljust(4096, b"\0")) for name, data in streams.items()]
    items.sort(key=lambda item: (len(item[0]), item[0].upper()))
    dir_sectors = math.ceil((1 + len(items)) / 4)
    stream_sectors = [math.ceil(len(data) / 512) for _, data in items]
    fat_sectors = 1
    while math.ceil((fat_sectors + dir_sectors + sum(stream_sectors)) / 128) > fat_sectors:
        fat_sectors += 1
    assert fat_sectors <= 109, "no DIFAT sectors here: keep test workbooks under ~7 MB"
    fat = [_FREE] * (fat_sectors * 128)
    fat[:fat_sectors] = [_FAT_SECTOR] * fat_sectors

    def chain(start: int, count: int) -> None:
        for k in range(count - 1):
            fat[start + k] = start + k + 1
        fat[start + count - 1] = _END_OF_CHAIN

    dir_start = fat_sectors
    chain(dir_start, dir_sectors)
    starts = []
    at = dir_start + dir_sectors
    for count in stream_sectors:
        starts.append(at)
        chain(at, count)
        at += count

    header = struct.pack(
        "<8s16sHHHHH6sIIIIIIIII",
        _OLE_MAGIC,
        b"\0" * 16,
        0x3E,
        3,
        0xFFFE,
        9,
        6,
        b"\0" * 6,
        0,
        fat_sectors,
        dir_start,
        0,
        4096,
        _END_OF_CHAIN,
        0,
        _END_OF_CHAIN,
        0,
    )
    header += struct.pack("<109I", *(list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)))

    entries = [_dir_entry("Root Entry", 5, _END_OF_CHAIN, 0, child=1 if items else _NO_STREAM)]
    for index, ((name, data), start) in enumerate(zip(items, starts, strict=True)):
        right = index + 2 if index + 1 < len(items) else _NO_STREAM
        entries.append(_dir_entry(name, 2, start, len(data), right=right))
    while len(entries) % 4:
        entries.append(_dir_entry("", 0, 0, 0))

    body = struct.pack(f"<{len(fat)}I", *fat) + b"".join(entries)
    body += b"".join(
        data.ljust(count * 512, b"\0")
        for (_, data), count in zip(items, stream_sectors, strict=True)
    )
    return header + body


def _dir_entry(name, kind, start, size, *, right=_NO_STREAM, child=_NO_STREAM) -> bytes:
    encoded = name.encode("utf-16-le") + b"\0\0" if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded,
        len(encoded),
        kind,
        1,
        _NO_STREAM,
        right,
        child,
        b"\0" * 16,
        0,
        0,
        0,
        start,
        size,
    )


def _record(kind: int, payload: bytes = b"") -> bytes:
    return struct.pack("<HH", kind, len(payload)) + payload


def _bof(kind: int) -> bytes:
    return _record(0x0809, struct.pack("<HHHHII", 0x0600, kind, 0x0DBB, 0x07CC, 0x41, 0x06))


def _xl_string(text: str, length_bytes: int = 2) -> bytes:
    length = struct.pack("<H" if length_bytes == 2 else "<B", len(text))
    return length + b"\x01" + text.encode("utf-16-le")


def xls(
    sheets: dict[str, list[list[object]]], *, first_row: int = 0, password: bool = False
) -> bytes:
    """An Excel 97-2003 workbook (BIFF8) with one worksheet per item; cells may be str,
    int, float, bool, Formula (numeric cached value) or None. With ``password`` the
    workbook carries a FILEPASS record, as one saved with a password to open does."""
    substreams = []
    for rows in sheets.values():
        cells = []
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                cells.append(_xls_cell(first_row + r, c, value))
        width = max((len(row) for row in rows), default=0)
        dimensions = _record(
            0x0200, struct.pack("<IIHHH", first_row, first_row + len(rows), 0, width, 0)
        )
        substreams.append(_bof(0x0010) + dimensions + b"".join(cells) + _record(0x000A))

    def globals_part(offsets: list[int]) -> bytes:
        parts = [_bof(0x0005), _record(0x0042, struct.pack("<H", 1200))]
        if password:
            parts.append(_record(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\x11" * 48))
        parts.extend(_xf() for _ in range(16))
        for name, offset in zip(sheets, offsets, strict=True):
            parts.append(_record(0x0085, struct.pack("<IBB", offset, 0, 0) + _xl_string(name, 1)))
        parts.append(_record(0x000A))
        return b"".join(parts)

    size = len(globals_part([0] * len(sheets)))
    offsets = []
    for substream in substreams:
        offsets.append(size)
        size += len(substream)
    stream = globals_part(offsets) + b"".join(substreams)
    return ole2({"Workbook": stream})


def _xf() -> bytes:
    # a cell XF with the General number format (ifmt 0)
    return _record(0x00E0, struct.pack("<HHHBBBBIIH", 0, 0, 0, 0x20, 0, 0, 0, 0, 0, 0x20C0))


def _xls_cell(row: int, col: int, value: object) -> bytes:
    if value is None:
        return b""
    if isinstance(value, Formula):
        rgce = b"\x1e" + struct.pack("<H", 1)  # tInt 1: the formula's text is not kept
        return _record(
            0x0006,
            struct.pack("<HHHdHIH", row, col, 15, float(value.value), 0, 0, len(rgce)) + rgce,
        )
    if isinstance(value, bool):
        return _record(0x0205, struct.pack("<HHHBB", row, col, 15, int(value), 0))
    if isinstance(value, int | float):
        return _record(0x0203, struct.pack("<HHHd", row, col, 15, float(value)))
    return _record(0x0204, struct.pack("<HHH", row, col, 15) + _xl_string(str(value)))


def encrypted_ooxml() -> bytes:
    """The shape of an xlsx saved with a password to open: an OLE2 file whose streams
    are ``EncryptionInfo`` (here an agile-encryption header) and ``EncryptedPackage``."""
    info = struct.pack("<HHI", 4, 4, 0x40) + b'<?xml version="1.0"?><encryption/>'
    return ole2({"EncryptionInfo": info, "EncryptedPackage": b"\x7f" * 5000})


# --------------------------------------------------------------------------------------
# Files whose cells copy one text many times (a small file, a large read)
# --------------------------------------------------------------------------------------


def shared_strings_xlsx(
    strings: list[str],
    rows: list[list[int]],
    *,
    items: list[str] | None = None,
    shared_part: str = "xl/sharedStrings.xml",
    sheet_target: str = "worksheets/sheet1.xml",
    unique_count: str | None = None,
    after_rows: str = "",
    stored: bool = False,
) -> bytes:
    """An xlsx whose cells refer to ``strings`` by index (``t="s"``), as Excel writes text:
    each string is kept once in ``xl/sharedStrings.xml``; a reader copies it into every
    cell that refers to it.

    ``items`` replaces the ``<si>`` elements written (as is); ``shared_part`` names the
    shared strings' part, ``sheet_target`` the worksheet's target in the workbook's
    relationships (its part is found from there, as the format says); ``unique_count``
    is written as the ``uniqueCount`` attribute; ``after_rows`` (XML) follows the rows;
    ``stored`` keeps the shared strings uncompressed."""
    items = items if items is not None else [f"<si><t>{escape(text)}</t></si>" for text in strings]
    count = unique_count if unique_count is not None else str(len(items))
    shared = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        f'count="{len(items)}" uniqueCount="{count}">{"".join(items)}</sst>'
    )
    body = "".join(
        f'<row r="{r + 1}">'
        + "".join(
            f'<c r="{column_letters(c)}{r + 1}" t="s"><v>{index}</v></c>'
            for c, index in enumerate(row)
        )
        + "</row>"
        for r, row in enumerate(rows)
    )
    sheet_part = sheet_target[1:] if sheet_target.startswith("/") else f"xl/{sheet_target}"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", _CONTENT_TYPES)
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", _WORKBOOK)
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            _WORKBOOK_RELS.replace("worksheets/sheet1.xml", escape(sheet_target)),
        )
        zf.writestr(shared_part, shared, zipfile.ZIP_STORED if stored else None)
        zf.writestr(sheet_part, _SHEET_OPEN + body + after_rows + _SHEET_CLOSE)
    return buffer.getvalue()


# How the long string of amplified_xlsx is written: plainly, or behind a comment, a
# processing instruction or a CDATA section holding a false end of the string.
LONG_STRING_SPELLINGS = {
    "plain": "<si><t>{text}</t></si>",
    "comment": "<si><!-- </si> --><t>{text}</t></si>",
    "pi": "<si><?p </si>?><t>{text}</t></si>",
    "cdata": "<si><t><![CDATA[</si>{text}]]></t></si>",
}


def amplified_xlsx(
    length: int, cells: int, *, spelling: str = "plain", items_text: str | None = None, **package
) -> bytes:
    """The headers and one client row, then ``cells`` cells (20 a row) that all refer to
    one shared string of ``length`` characters: a small file that a reader without a
    bound expands to ``length * cells`` bytes. ``spelling`` is one of
    LONG_STRING_SPELLINGS; ``items_text`` is that string's text instead of x's;
    ``package`` goes to shared_strings_xlsx."""
    text = items_text if items_text is not None else "x" * length
    strings = [*HEADERS_NL, *client_row(1), text]
    items = [f"<si><t>{escape(text)}</t></si>" for text in strings[:-1]]
    items.append(LONG_STRING_SPELLINGS[spelling].format(text=escape(text)))
    long_one = len(strings) - 1
    rows = [list(range(len(HEADERS_NL))), list(range(len(HEADERS_NL), long_one))]
    rows += [[long_one] * 20 for _ in range(cells // 20)]
    return shared_strings_xlsx(strings, rows, items=items, **package)


def entity_bomb_xlsx() -> bytes:
    """An xlsx whose shared strings declare entities in a DTD, each ten of the one before
    ("billion laughs"): one string that an expanding parser makes 10**9 characters."""
    entities = '<!ENTITY e0 "xxxxxxxxxx">' + "".join(
        f'<!ENTITY e{n} "{f"&e{n - 1};" * 10}">' for n in range(1, 9)
    )
    items = [f"<si><t>{escape(text)}</t></si>" for text in [*HEADERS_NL, *client_row(1)]]
    data = shared_strings_xlsx(
        [], [list(range(17)), list(range(17, 35))], items=[*items, "<si><t>&e8;</t></si>"]
    )
    zin = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in zin.infolist():
            member = zin.read(info)
            if info.filename == "xl/sharedStrings.xml":
                member = member.replace(b"\n<sst", f"\n<!DOCTYPE sst [{entities}]>\n<sst".encode())
            zf.writestr(info.filename, member)
    return buffer.getvalue()


def _sst(strings: list[str]) -> bytes:
    """An SST record and its CONTINUE records: each string in 16-bit characters, split
    over records of at most 8,224 bytes with the flag byte that starts a continued
    string's characters, as Excel writes it."""
    records, current = [], bytearray(struct.pack("<II", len(strings), len(strings)))
    limit = 8224
    for text in strings:
        data = text.encode("utf-16-le")
        if len(current) + 3 > limit:
            records.append(bytes(current))
            current = bytearray()
        current += struct.pack("<HB", len(text), 1)
        while data:
            room = (limit - len(current)) // 2 * 2
            current += data[:room]
            data = data[room:]
            if data:
                records.append(bytes(current))
                current = bytearray(b"\x01")
    records.append(bytes(current))
    return _record(0x00FC, records[0]) + b"".join(_record(0x003C, r) for r in records[1:])


def sst_xls(
    strings: list[str],
    rows: list[list[int]],
    *,
    sheets: int = 1,
    dimensions: tuple[int, int, int, int] | None = None,
) -> bytes:
    """A BIFF8 workbook whose cells are LABELSST records: indexes into one shared string
    table (SST), as Excel 97-2003 writes text. With ``sheets`` the workbook lists the one
    worksheet that many times, as many sheets, each pointing at the same records. With
    ``dimensions`` (first row, row after the last, first column, column after the last)
    the sheet's DIMENSIONS record says so, whatever its cells."""
    cells = [
        _record(0x00FD, struct.pack("<HHHI", r, c, 15, index))
        for r, row in enumerate(rows)
        for c, index in enumerate(row)
    ]
    width = max((len(row) for row in rows), default=0)
    declared = dimensions or (0, len(rows), 0, width)
    substream = (
        _bof(0x0010)
        + _record(0x0200, struct.pack("<IIHHH", *declared, 0))
        + b"".join(cells)
        + _record(0x000A)
    )
    sst = _sst(strings)

    def globals_part(offset: int) -> bytes:
        parts = [_bof(0x0005), _record(0x0042, struct.pack("<H", 1200))]
        parts.extend(_xf() for _ in range(16))
        for n in range(sheets):
            name = f"Blad{n + 1}"
            parts.append(_record(0x0085, struct.pack("<IBB", offset, 0, 0) + _xl_string(name, 1)))
        parts.append(sst)
        parts.append(_record(0x000A))
        return b"".join(parts)

    offset = len(globals_part(0))
    return ole2({"Workbook": globals_part(offset) + substream})


def amplified_xls(length: int, cells: int) -> bytes:
    strings = [*HEADERS_NL, *client_row(1), "x" * length]
    long_one = len(strings) - 1
    rows = [list(range(len(HEADERS_NL))), list(range(len(HEADERS_NL), long_one))]
    rows += [[long_one] * 20 for _ in range(cells // 20)]
    return sst_xls(strings, rows)


def amplified_ods(
    length: int,
    *,
    columns: int,
    rows: int,
    spaces: int = 0,
    count: str = "{}",
    rows_count: str | None = None,
    in_row: str = "",
) -> bytes:
    """The headers and one client row, then one text cell of ``length`` characters
    repeated over ``columns`` columns in a row repeated ``rows`` times; with ``spaces``,
    the cell's text also holds ``<text:s text:c="spaces"/>``, which a reader expands to
    that many spaces. ``count`` spells each of those numbers (e.g. "+{}"), ``rows_count``
    the rows' if it differs; ``in_row`` (XML) comes first in the repeated row."""
    header = "".join(_ods_cell(text) for text in HEADERS_NL)
    first = "".join(_ods_cell(text) for text in client_row(1))
    gap = f'<text:s text:c="{count.format(spaces)}"/>' if spaces else ""
    table = (
        '<table:table table:name="Blad1">'
        f"<table:table-row>{header}</table:table-row>"
        f"<table:table-row>{first}</table:table-row>"
        '<table:table-row table:number-rows-repeated="'
        f'{(rows_count or count).format(rows)}">{in_row}'
        f'<table:table-cell table:number-columns-repeated="{count.format(columns)}" '
        f'office:value-type="string"><text:p>{"x" * length}{gap}</text:p></table:table-cell>'
        "</table:table-row></table:table>"
    )
    return ods_package(table)
