"""A file read by its column mapping is read as any other: the sheet with the most
recognised headers or the one chosen, its character set found, and the reader's warnings
kept beside those of its combined cells split."""

import pytest

from partnerspace.imports.mapping import (
    RAW_HEADERS,
    HeaderRules,
    file_columns,
    mapping_normalized,
    sheet_split,
)
from partnerspace.imports.reading import CellProblem, FileProblem, read_table
from tests.imports.builders import csv_bytes, xlsx
from tests.imports.exports import DUTCH, EXACT, EXACT_FIELDS, FIELDS, dutch_row, exact_row
from tests.imports.rows import run

# An overview in front of the data: two of its headers are the data's (Naam, Land).
OVERVIEW = [["Overzicht"], ["Naam", "Land", "Aantal"], ["Totaal", "", 2]]
DUTCH_MAPPING = mapping_normalized(dict(zip(DUTCH, FIELDS, strict=True)))


def _exact_workbook(*rows: list[str]) -> bytes:
    return xlsx([EXACT, *rows], sheet_name="Relaties", sheets_before={"Overzicht": OVERVIEW})


def test_a_mapped_read_and_the_mapping_step_read_the_data_sheet_behind_an_overview():
    content = _exact_workbook(exact_row(1), exact_row(2))
    raw = read_table(content, filename="k.xlsx", headers=RAW_HEADERS)
    assert raw.sheet_name == "Relaties"
    assert [column.header for column in file_columns(raw)] == EXACT
    rules = HeaderRules(mapping=mapping_normalized(EXACT_FIELDS))
    sheet = read_table(content, filename="k.xlsx", headers=rules)
    assert (sheet.sheet_name, sheet.sheet_names, sheet.row_count) == (
        "Relaties",
        ("Overzicht", "Relaties"),
        2,
    )


def test_a_mapped_read_reads_the_sheet_chosen_and_names_the_others_when_it_is_missing():
    content = _exact_workbook(exact_row(1))
    rules = HeaderRules(mapping=mapping_normalized(EXACT_FIELDS))
    with pytest.raises(FileProblem) as refused:
        read_table(content, filename="k.xlsx", headers=rules, sheet="Overzicht")
    assert refused.value.code == "missing_columns"
    with pytest.raises(FileProblem) as missing:
        read_table(content, filename="k.xlsx", headers=rules, sheet="Blad9")
    assert missing.value.detail == {"sheet": "Blad9", "sheets": ["Overzicht", "Relaties"]}


def test_a_mapped_csv_in_cp850_is_read_in_its_character_set():
    row = dutch_row(1)
    row[0] = "Brasserie Café Müller BV"
    content = csv_bytes([DUTCH, row], encoding="cp850")
    sheet = read_table(content, filename="k.csv", headers=HeaderRules(mapping=DUTCH_MAPPING))
    assert sheet.encoding == "cp850"
    assert sheet.rows[0][1][0] == "Brasserie Café Müller BV"


@pytest.mark.django_db
def test_the_reader_s_notes_and_the_split_notes_of_one_row_are_both_its_warnings(firm_a):
    row = dutch_row(1)
    row[0] = "Bakkerij\nPeeters BV"  # a line break typed in the name (Alt+Enter)
    content = xlsx([DUTCH, row])
    read = read_table(content, filename="k.xlsx", headers=HeaderRules(mapping=DUTCH_MAPPING))
    sheet = sheet_split(read)
    assert sheet.notes == [
        CellProblem(2, "legal_name", "text_tidied", "Bakkerij\nPeeters BV", "Bakkerij Peeters BV")
    ]
    assert [note.code for note in sheet.split_notes[2]] == ["address_split", "name_split"]
    outcome = run(firm_a.firm, sheet)
    assert outcome.created == 1
    assert [w.warning.code for w in outcome.warnings if w.row == 2][:1] == ["text_tidied"]
    assert {"text_tidied", "address_split", "name_split"} <= {
        w.warning.code for w in outcome.warnings
    }


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_mapping_step_splits_a_csv_on_its_own_delimiter_whatever_a_value_holds(delimiter):
    # One value full of another delimiter (commas in a semicolon file, as a note often has):
    # the file's own delimiter still splits every row into the same columns, the other not.
    other = ", " if delimiter != "," else "; "
    row = dutch_row(1)
    row[0] = "Vereniging van " + other.join(f"lid {i}" for i in range(40)) + " VZW"
    content = csv_bytes([DUTCH, row, dutch_row(2)], delimiter=delimiter)
    raw = read_table(content, filename="k.csv", headers=RAW_HEADERS)
    assert [column.header for column in file_columns(raw)] == DUTCH
    mapped = read_table(content, filename="k.csv", headers=HeaderRules(mapping=DUTCH_MAPPING))
    assert mapped.row_count == 2


def test_a_ragged_semicolon_file_with_a_comma_in_each_address_is_split_on_semicolons():
    # Its rows' empty tails are not written (4 or 5 cells under 8 headers) and each address
    # holds a comma: only the header row tells the semicolon apart.
    headers = ["Naam", "Adres", "Postcode", "Gemeente", "E-mail", "Telefoon", "IBAN", "Notities"]
    rows = [";".join(headers)]
    for n in range(1, 12):
        cells = [f"Bakkerij {n} BV", f"Kerkstraat {n}, bus {n}", "9000", "Gent", f"info{n}@b.be"]
        rows.append(";".join(cells[: 4 + n % 2]))
    content = ("\n".join(rows) + "\n").encode()
    table = read_table(content, filename="klanten.csv", headers=RAW_HEADERS)
    assert [column.header for column in file_columns(table)] == headers


def test_a_semicolon_file_with_decimal_commas_and_an_optional_last_column():
    rows = ["Naam;BTW;Omzet;Notities"]
    rows += [f"B{n};BE0{n:09d};{n}234,50" + (";nota" if n % 3 == 0 else "") for n in range(1, 12)]
    content = ("\n".join(rows) + "\n").encode()
    table = read_table(content, filename="klanten.csv", headers=RAW_HEADERS)
    assert [column.header for column in file_columns(table)] == ["Naam", "BTW", "Omzet", "Notities"]
