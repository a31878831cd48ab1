"""A file with far more columns than a client list has (a mis-exported sheet) is refused by
its header row, by every reading (the mapping step's, a mapped one, the template's), before
its rows are read: the mapping step would otherwise draw a choice for every column."""

import pytest
from django.utils import translation

from partnerspace.imports import reading
from partnerspace.imports.mapping import RAW_HEADERS, file_columns
from partnerspace.imports.reading import FileProblem, read_table

from .builders import HEADERS_NL, client_row, csv_bytes, xlsx


def _wide(columns: int) -> list[list[str]]:
    extra = [f"Kolom {number}" for number in range(columns - len(HEADERS_NL))]
    return [[*HEADERS_NL, *extra], [*client_row(1), *("x" for _ in extra)]]


@pytest.mark.parametrize("build", [csv_bytes, xlsx], ids=["csv", "xlsx"])
@pytest.mark.parametrize("headers", [RAW_HEADERS, None], ids=["own headers", "template"])
def test_a_file_with_more_columns_than_the_limit_is_refused(build, headers):
    name = "breed.csv" if build is csv_bytes else "breed.xlsx"
    content = build(_wide(reading.MAX_COLUMNS + 1))
    with pytest.raises(FileProblem) as refused:
        read_table(content, filename=name, **({"headers": headers} if headers else {}))
    assert refused.value == FileProblem("too_many_columns", {"limit": reading.MAX_COLUMNS})


def test_a_file_with_as_many_columns_as_the_limit_is_read():
    content = csv_bytes(_wide(reading.MAX_COLUMNS))
    table = read_table(content, filename="breed.csv", headers=RAW_HEADERS)
    assert len(file_columns(table)) == reading.MAX_COLUMNS


def test_the_refusal_says_how_many_columns_a_file_may_have():
    with translation.override("nl"):
        message = FileProblem("too_many_columns", {"limit": 500}).message()
    assert "500" in message and "kolommen" in message
