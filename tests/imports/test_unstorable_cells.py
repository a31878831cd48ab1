"""A NUL or another control character in a cell (Excel's _x0000_ escape, which calamine
decodes; a NUL in a CSV file past the part the binary check reads) is taken out of the value
with a "text tidied" warning, as line breaks are: it never reaches the database, and the
preview and the import answer."""

import pytest

from partnerspace.clients.models import Client
from tests.imports.builders import csv_bytes, inline_row, raw_xlsx
from tests.imports.test_views import HEADERS_NL, row, upload, uploads_in_tmp  # noqa: F401

pytestmark = pytest.mark.django_db


def _post(client, content: bytes, name: str, dry_run: bool):
    return client.client.post(
        "/api/v1/imports", {"file": upload(content, name), "dry_run": str(dry_run).lower()}
    )


def _xlsx_with_escaped_nul() -> bytes:
    return raw_xlsx(
        inline_row(1, HEADERS_NL) + inline_row(2, row(1, legal_name="Bakkerij _x0000_ BV"))
    )


def _csv_with_late_nul() -> bytes:
    rows = [row(n) for n in range(1, 200)]  # more than the 8 KB the binary check reads
    return csv_bytes([HEADERS_NL, *rows, row(500, legal_name="Bakkerij\x00 Peeters BV")])


@pytest.mark.parametrize(
    ("content", "name"),
    [(_xlsx_with_escaped_nul(), "klanten.xlsx"), (_csv_with_late_nul(), "klanten.csv")],
    ids=["xlsx_x0000", "csv_late_nul"],
)
@pytest.mark.parametrize("dry_run", [True, False], ids=["preview", "import"])
def test_a_nul_in_a_cell_never_reaches_the_database(firm_a, api, content, name, dry_run):
    response = _post(api(firm_a.admin), content, name, dry_run)

    assert response.status_code == 201, (response.status_code, response.content[:200])
    names = list(Client.objects.values_list("legal_name", flat=True))
    # Compared in Python: SQLite's LIKE ends a pattern at a NUL.
    assert not [name for name in names if "\x00" in name]
    if not dry_run:
        assert [name for name in names if name.startswith("Bakkerij")]
