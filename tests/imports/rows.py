"""Rows of client data for the import's tests: valid and distinct by default, any cell
overridable by its column key."""

from __future__ import annotations

import io
import zipfile

from partnerspace.imports.columns import COLUMNS, headers_for
from partnerspace.imports.pipeline import Importer, Outcome
from partnerspace.imports.reading import Sheet, read_table

from .builders import inline_row, xlsx

KEYS = [column.key for column in COLUMNS]


def enterprise_number(n: int) -> str:
    """A valid Belgian enterprise number, different for each ``n``."""
    first = f"0{2_000_000 + n:07d}"
    return first + f"{97 - int(first) % 97:02d}"


def client_values(n: int, **cells: str) -> dict[str, str]:
    """The cells of client ``n`` by column key: every column filled, identifiers unique."""
    number = enterprise_number(n)
    values = {
        "legal_name": f"Bakkerij {n} BV",
        "country": "BE",
        "contact_email": f"contact{n}@bakkerij{n}.be",
        "contact_first_name": "An",
        "contact_last_name": f"Peeters{n}",
        "contact_locale": "nl-BE",
        "company_number": number,
        "vat_number": f"BE{number}",
        "external_reference": f"K-{n:05d}",
        "iban": "BE71096123456769",
        "street": "Kerkstraat",
        "house_number": str(n),
        "box": "",
        "postal_code": "9000",
        "city": "Gent",
        "peppol_mandate": "Nee",
        "template": "",
    }
    unknown = set(cells) - set(values)
    assert not unknown, unknown
    values.update(cells)
    return values


def client_row(n: int, **cells: str) -> list[str]:
    values = client_values(n, **cells)
    return [values[key] for key in KEYS]


def table(rows: list[list[str]], language: str = "nl") -> list[list[str]]:
    return [headers_for(language), *rows]


def xlsx_of(rows: list[list[str]], language: str = "nl") -> bytes:
    return xlsx(table(rows, language))


def sheet_of(rows: list[list[str]], language: str = "nl") -> Sheet:
    return read_table(xlsx_of(rows, language), filename="klanten.xlsx")


def run(firm, rows: list[list[str]] | Sheet, **options) -> Outcome:
    sheet = rows if isinstance(rows, Sheet) else sheet_of(rows)
    return Importer(firm=firm, **options).run(sheet)


def codes(outcome: Outcome) -> list[tuple[int | None, str | None, str]]:
    return [(issue.row, issue.field, issue.code) for issue in outcome.errors]


def fill_workbook(content: bytes, rows: list[list[str]], sheet_part: str) -> bytes:
    """``content`` (an .xlsx) with ``rows`` added under the header row of ``sheet_part``
    (e.g. "xl/worksheets/sheet1.xml"), as inline strings from row 2: a person filling in a
    downloaded file, without a library that rewrites the rest of the package."""
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == sheet_part:
                added = "".join(inline_row(number, row) for number, row in enumerate(rows, start=2))
                data = data.replace(b"</sheetData>", added.encode() + b"</sheetData>", 1)
            target.writestr(info, data)
    return out.getvalue()
