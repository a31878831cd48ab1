import contextlib
import datetime
import io
import pickle
import random
import resource
import struct
import time
import tracemalloc
import zipfile
import zlib
from xml.sax.saxutils import escape

import pytest
import xlsxwriter

from partnerspace.imports import reading
from partnerspace.imports.reading import (
    MAX_FILE_BYTES,
    MAX_ROWS,
    CellProblem,
    FileProblem,
    Sheet,
    read_table,
)

from .builders import (
    HEADERS_EN,
    HEADERS_FR,
    HEADERS_NL,
    KEYS,
    Formula,
    client_row,
    column_letters,
    csv_bytes,
    encrypted_ooxml,
    inline_row,
    ods,
    ods_package,
    package_members,
    raw_xlsx,
    xls,
    xlsx,
    zip_bomb_xlsx,
    zip_by_hand,
)

REQUIRED_NL = HEADERS_NL[:6]


def problem_of(data: bytes, filename: str = "klanten.xlsx") -> FileProblem:
    with pytest.raises(FileProblem) as caught:
        read_table(data, filename=filename)
    return caught.value


def values(sheet: Sheet) -> list[dict[str, str]]:
    return [row for _, row in sheet.dicts()]


def numbers(sheet: Sheet) -> list[int]:
    return [number for number, _ in sheet.rows]


# --------------------------------------------------------------------------------------
# Formats
# --------------------------------------------------------------------------------------


def test_xlsx_with_dutch_headers_is_read_into_text_rows():
    sheet = read_table(xlsx([HEADERS_NL, client_row(1), client_row(2)]), filename="k.xlsx")
    assert sheet.format == "xlsx"
    assert sheet.sheet_name == "Klanten"
    assert sheet.columns == tuple(KEYS)
    assert sheet.unknown_headers == ()
    assert sheet.row_count == 2
    assert sheet.header_row == 1
    assert sheet.rows == [(2, tuple(client_row(1))), (3, tuple(client_row(2)))]
    assert sheet.cell_problems == []


def test_format_is_recognised_from_the_content_not_the_name():
    data = xlsx([HEADERS_NL, client_row(1)])
    for name in ("clients.xlsm", "clients.csv", "clients.ods", "clients"):
        assert read_table(data, filename=name).format == "xlsx"


def test_xls_is_read():
    data = xls({"Blad1": [HEADERS_NL, client_row(1), client_row(2)]})
    sheet = read_table(data, filename="klanten.xls")
    assert sheet.format == "xls"
    assert sheet.sheet_name == "Blad1"
    assert sheet.rows == [(2, tuple(client_row(1))), (3, tuple(client_row(2)))]


def test_ods_is_read():
    data = ods({"Blad1": [HEADERS_NL, client_row(1), client_row(2)]})
    sheet = read_table(data, filename="klanten.ods")
    assert sheet.format == "ods"
    assert sheet.sheet_name == "Blad1"
    assert sheet.rows == [(2, tuple(client_row(1))), (3, tuple(client_row(2)))]


@pytest.mark.parametrize(
    ("delimiter", "encoding"),
    [
        (",", "utf-8"),
        (";", "utf-8"),
        (";", "utf-8-sig"),
        (",", "utf-8-sig"),
        ("\t", "utf-16"),
    ],
)
def test_csv_in_utf8_with_or_without_bom_comma_or_semicolon_is_read(delimiter, encoding):
    row = client_row(1)
    row[0] = "Brasserie Élise, Söhne & Cie"  # a delimiter and accents inside a value
    data = csv_bytes([HEADERS_FR, row], delimiter=delimiter, encoding=encoding)
    sheet = read_table(data, filename="clients.csv")
    assert sheet.format == "csv"
    assert sheet.columns == tuple(KEYS)
    assert sheet.rows == [(2, tuple(row))]


def test_semicolon_csv_in_windows_1252_is_read():
    row = client_row(1)
    row[0] = "Café Crème SRL – Liège"  # é, è, and an en dash, all in Windows-1252
    data = csv_bytes([HEADERS_FR, row], delimiter=";", encoding="cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = read_table(data, filename="clients.csv")
    assert values(sheet)[0]["legal_name"] == "Café Crème SRL – Liège"
    assert sheet.columns[:2] == ("legal_name", "country")


def test_csv_with_quoted_line_breaks_numbers_rows_as_excel_does():
    first = client_row(1)
    first[10] = "Kerkstraat\nachteraan"
    data = csv_bytes([HEADERS_NL, first, client_row(2)], delimiter=";")
    sheet = read_table(data, filename="k.csv")
    assert numbers(sheet) == [2, 3]
    # the line break inside the street is tidied to a space, with a note
    assert values(sheet)[0]["street"] == "Kerkstraat achteraan"
    assert sheet.notes == [
        CellProblem(2, "street", "text_tidied", "Kerkstraat\nachteraan", "Kerkstraat achteraan")
    ]


def test_csv_whose_lines_end_with_a_carriage_return_alone_is_read():
    data = csv_bytes([HEADERS_NL, client_row(1), client_row(2)], newline="\r")
    assert numbers(read_table(data, filename="mac.csv")) == [2, 3]


def test_txt_file_with_tabs_is_read_as_delimited_text():
    data = csv_bytes([HEADERS_EN, client_row(1)], delimiter="\t")
    assert read_table(data, filename="export.TXT").row_count == 1


def test_csv_rows_shorter_or_longer_than_the_header_are_padded_and_cut():
    short = client_row(1)[:6]
    long = [*client_row(2), "extra", "more"]
    sheet = read_table(csv_bytes([HEADERS_NL, short, long]), filename="k.csv")
    assert values(sheet)[0]["company_number"] == ""
    assert values(sheet)[0]["legal_name"] == "Bakkerij 1 BV"
    assert sheet.rows[1][1] == tuple(client_row(2))


def test_file_object_and_memoryview_are_read_like_bytes():
    data = xlsx([HEADERS_NL, client_row(1)])
    assert read_table(io.BytesIO(data), filename="k.xlsx").row_count == 1
    assert read_table(memoryview(data), filename="k.xlsx").row_count == 1


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


def test_french_headers_are_recognised():
    sheet = read_table(xlsx([HEADERS_FR, client_row(1)]), filename="clients.xlsx")
    assert sheet.columns == tuple(KEYS)


def test_english_headers_are_recognised():
    sheet = read_table(xlsx([HEADERS_EN, client_row(1)]), filename="clients.xlsx")
    assert sheet.columns == tuple(KEYS)


def test_headers_in_another_case_spacing_without_star_and_mixed_languages_are_recognised():
    headers = [
        "JURIDISCHE NAAM",
        " pays (code à deux lettres) ",
        "Contact\u00a0e-mail\u00a0address *",
        "voornaam contactpersoon",
        "Nom de la personne de contact",
        "Taal contactpersoon (locale)*",
    ]
    sheet = read_table(xlsx([headers, client_row(1)[:6]]), filename="k.xlsx")
    assert sheet.columns == tuple(KEYS[:6])


def test_columns_in_another_order_are_read_by_their_header():
    order = [16, 5, 0, 9, 1, 2, 3, 4, 12, 6]
    headers = [HEADERS_NL[i] for i in order]
    row = [client_row(7)[i] for i in order]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert sheet.columns == tuple(KEYS[i] for i in order)
    assert values(sheet)[0] == {KEYS[i]: client_row(7)[i] for i in order}


def test_header_row_need_not_be_the_first_row_nor_start_in_column_a():
    rows = [["Klantenlijst kantoor Peeters"], [None], HEADERS_NL, client_row(1), client_row(2)]
    sheet = read_table(xlsx(rows, first_row=2, first_col=3), filename="k.xlsx")
    assert sheet.header_row == 5
    assert numbers(sheet) == [6, 7]
    assert sheet.rows[0][1] == tuple(client_row(1))


def test_header_row_below_a_title_in_xls_ods_and_csv_gives_excel_row_numbers():
    rows = [["Klantenlijst"], HEADERS_NL, client_row(1)]
    xls_sheet = read_table(xls({"Blad1": rows}, first_row=3), filename="k.xls")
    assert (xls_sheet.header_row, numbers(xls_sheet)) == (5, [6])
    ods_sheet = read_table(ods({"Blad1": rows}, leading_empty_rows=3), filename="k.ods")
    assert (ods_sheet.header_row, numbers(ods_sheet)) == (5, [6])
    csv_sheet = read_table(csv_bytes([["Klantenlijst"], [], *rows[1:]]), filename="k.csv")
    assert (csv_sheet.header_row, numbers(csv_sheet)) == (3, [4])


def test_header_row_beyond_the_first_ten_non_blank_rows_is_not_looked_for():
    notes = [[f"Toelichting {n}"] for n in range(10)]
    problem = problem_of(xlsx([*notes, HEADERS_NL, client_row(1)]))
    assert problem.code == "missing_columns"
    assert problem.detail == {"columns": list(KEYS[:6])}


@pytest.mark.parametrize("label", ["Meldingen", "Problèmes", "Problems", "MELDINGEN"])
def test_the_error_reports_own_messages_column_is_read_past_quietly(label):
    headers = [*REQUIRED_NL, label]
    row = [*client_row(1)[:6], "Ondernemingsnummer: ongeldig"]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert sheet.unknown_headers == ()
    assert sheet.columns == tuple(KEYS[:6])


def test_unknown_columns_are_reported_once_and_ignored():
    headers = ["Opmerkingen", *REQUIRED_NL, "Telefoon", "Opmerkingen"]
    row = ["bel eerst", *client_row(1)[:6], "09 123 45 67", "nog iets"]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert sheet.unknown_headers == ("Opmerkingen", "Telefoon")
    assert sheet.columns == tuple(KEYS[:6])
    assert sheet.rows[0][1] == tuple(client_row(1)[:6])


def test_a_duplicated_header_keeps_the_first_column_and_reports_the_second_as_unknown():
    headers = [*REQUIRED_NL, "BTW", "Btw-nummer"]
    row = [*client_row(1)[:6], "BE0403019261", "BE0999999999"]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert sheet.columns == (*KEYS[:6], "vat_number")
    assert values(sheet)[0]["vat_number"] == "BE0403019261"
    assert sheet.unknown_headers == ("Btw-nummer",)


def test_columns_without_a_header_are_ignored_silently():
    headers = [*REQUIRED_NL, None, "IBAN"]
    row = [*client_row(1)[:6], "zonder kop", "BE71 0961 2345 6769"]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert sheet.columns == (*KEYS[:6], "iban")
    assert sheet.unknown_headers == ()


def test_missing_required_columns_stop_the_import_with_their_keys():
    headers = [HEADERS_NL[0], HEADERS_NL[2], HEADERS_NL[3], "Bedrijfsnummer"]
    problem = problem_of(xlsx([headers, ["Bakkerij", "a@b.be", "An", "0403019261"]]))
    assert problem.code == "missing_columns"
    assert problem.detail == {"columns": ["country", "contact_last_name", "contact_locale"]}


def test_a_sheet_without_any_known_header_lists_all_required_columns_as_missing():
    problem = problem_of(csv_bytes([["Naam", "Adres"], ["x", "y"]]), "k.csv")
    assert problem == FileProblem("missing_columns", {"columns": list(KEYS[:6])})


def test_the_first_sheet_with_the_headers_is_used():
    data = xlsx(
        [HEADERS_NL, client_row(1)],
        sheet_name="Klanten",
        sheets_before={"Uitleg": [["Vul het tweede blad in."], ["Velden met * zijn verplicht"]]},
    )
    sheet = read_table(data, filename="k.xlsx")
    assert sheet.sheet_name == "Klanten"
    assert sheet.row_count == 1


def test_a_hidden_sheet_is_read_only_after_the_visible_ones():
    data = xlsx(
        [HEADERS_NL, client_row(2)],
        sheet_name="Zichtbaar",
        sheets_before={"Oud": [HEADERS_NL, client_row(1)]},
        hidden_before=True,
    )
    assert read_table(data, filename="k.xlsx").sheet_name == "Zichtbaar"


# --------------------------------------------------------------------------------------
# Rows and cells
# --------------------------------------------------------------------------------------


def test_blank_rows_are_skipped_not_counted_and_row_numbers_stay_excel_row_numbers():
    rows = [
        HEADERS_NL,
        client_row(1),
        [None] * 17,
        ["  ", "\u00a0", None, "\t"],
        client_row(2),
        [None],
        [None],
        client_row(3),
    ]
    sheet = read_table(xlsx(rows), filename="k.xlsx")
    assert numbers(sheet) == [2, 5, 8]
    assert sheet.row_count == 3


def test_a_row_with_content_only_in_unknown_columns_counts_as_blank():
    headers = [*REQUIRED_NL, "Opmerkingen"]
    rows = [headers, [*client_row(1)[:6], ""], [None] * 6 + ["totaal: 1 klant"]]
    sheet = read_table(xlsx(rows), filename="k.xlsx")
    assert numbers(sheet) == [2]


def test_text_cells_are_stripped_of_spaces_and_no_break_spaces():
    row = client_row(1)
    row[0] = "\u00a0 Bakkerij Peeters BV \t"
    row[3] = " An\u00a0"
    sheet = read_table(xlsx([HEADERS_NL, row]), filename="k.xlsx")
    assert values(sheet)[0]["legal_name"] == "Bakkerij Peeters BV"
    assert values(sheet)[0]["contact_first_name"] == "An"


def test_number_cells_keep_their_digits_without_decimal_point_or_exponent():
    headers = [*REQUIRED_NL, "Bedrijfsnummer", "Nummer", "Postcode", "Postbus", "IBAN", "BTW"]
    row = [*client_row(1)[:6], 403019261, 12.0, 123456789012, 0.5, 1e-05, 1.23456789012e11]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    assert values(sheet)[0] | {} == {
        **dict(zip(KEYS[:6], client_row(1)[:6], strict=True)),
        "company_number": "403019261",  # the lost leading zero is the identifier rules' job
        "house_number": "12",
        "postal_code": "123456789012",
        "box": "0.5",
        "iban": "0.00001",
        "vat_number": "123456789012",
    }


@pytest.mark.parametrize(
    ("number", "text"),
    [
        (123456789.0, "123456789"),
        (0.5, "0.5"),
        (1.23456789012e11, "123456789012"),
        (-0.0, "0"),
        (1e20, "100000000000000000000"),
        (1e-05, "0.00001"),
        (0.1 + 0.2, "0.3"),
        (12.75, "12.75"),
        (float("nan"), ""),
    ],
)
def test_numbers_are_written_as_the_digits_a_spreadsheet_shows(number, text):
    assert reading._number_text(number) == text


def test_number_cells_in_xls_and_ods_keep_their_digits_too():
    headers = [*REQUIRED_NL, "Bedrijfsnummer", "Nummer"]
    row = [*client_row(1)[:6], 403019261, 12.5]
    for data, name in (
        (xls({"B": [headers, row]}), "k.xls"),
        (ods({"B": [headers, row]}), "k.ods"),
    ):
        sheet = read_table(data, filename=name)
        assert values(sheet)[0]["company_number"] == "403019261"
        assert values(sheet)[0]["house_number"] == "12.5"


def test_boolean_cells_become_true_or_false_text():
    headers = [*REQUIRED_NL, "Mandaat"]
    rows = [headers, [*client_row(1)[:6], True], [*client_row(2)[:6], False]]
    for data, name in (
        (xlsx(rows), "k.xlsx"),
        (xls({"B": rows}), "k.xls"),
        (ods({"B": rows}), "k.ods"),
    ):
        sheet = read_table(data, filename=name)
        assert [row["peppol_mandate"] for row in values(sheet)] == ["TRUE", "FALSE"], name


def test_formulas_give_their_cached_value():
    headers = [*REQUIRED_NL, "Externe referentie", "Nummer"]
    row = [
        Formula('="Bakkerij "&"Peeters"', "Bakkerij Peeters"),
        *client_row(1)[1:6],
        Formula('="K-"&TEXT(12,"000")', "K-012"),
        Formula("=6*7", 42),
    ]
    sheet = read_table(xlsx([headers, row]), filename="k.xlsx")
    got = values(sheet)[0]
    assert (got["legal_name"], got["external_reference"], got["house_number"]) == (
        "Bakkerij Peeters",
        "K-012",
        "42",
    )
    xls_row = [*client_row(1)[:6], "K-1", Formula("6*7", 42)]
    assert (
        values(read_table(xls({"B": [headers, xls_row]}), filename="k.xls"))[0]["house_number"]
        == "42"
    )


def test_dates_in_text_columns_are_cell_problems_and_read_as_empty():
    headers = [*REQUIRED_NL, "Bedrijfsnummer", "Externe referentie"]
    rows = [
        headers,
        [*client_row(1)[:6], datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1, 9, 30)],
        [None] * 6 + [datetime.date(2023, 12, 31)],  # a row with only a date is still a row
    ]
    sheet = read_table(xlsx(rows), filename="k.xlsx")
    assert numbers(sheet) == [2, 3]
    assert values(sheet)[0]["company_number"] == ""
    assert values(sheet)[0]["external_reference"] == ""
    assert sheet.cell_problems == [
        CellProblem(2, "company_number", "date_in_text_column", "2024-03-01"),
        CellProblem(2, "external_reference", "date_in_text_column", "2024-03-01T09:30:00"),
        CellProblem(3, "company_number", "date_in_text_column", "2023-12-31"),
    ]


def test_dates_in_an_ods_file_are_cell_problems_too():
    rows = [[*REQUIRED_NL, "Bedrijfsnummer"], [*client_row(1)[:6], datetime.date(2024, 3, 1)]]
    sheet = read_table(ods({"B": rows}), filename="k.ods")
    assert sheet.cell_problems == [
        CellProblem(2, "company_number", "date_in_text_column", "2024-03-01")
    ]


def test_a_cell_longer_than_1000_characters_is_cut_to_1001():
    row = client_row(1)
    row[0] = "x" * 5000
    sheet = read_table(xlsx([HEADERS_NL, row]), filename="k.xlsx")
    assert values(sheet)[0]["legal_name"] == "x" * 1001
    assert values(sheet)[0]["country"] == "BE"


def test_dicts_give_each_row_as_a_mapping_of_the_present_columns():
    sheet = read_table(csv_bytes([REQUIRED_NL, client_row(1)[:6]]), filename="k.csv")
    assert list(sheet.dicts()) == [(2, dict(zip(KEYS[:6], client_row(1)[:6], strict=True)))]


# --------------------------------------------------------------------------------------
# Empty files and limits
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename"),
    [
        (b"", "k.xlsx"),
        (b"", "k.csv"),
        (b"\r\n ; ;\r\n\r\n", "k.csv"),
        (xlsx([]), "k.xlsx"),
        (xlsx([[" ", None, "\u00a0"]]), "k.xlsx"),
        (ods({"Blad1": []}), "k.ods"),
        (xls({"Blad1": []}), "k.xls"),
    ],
)
def test_a_file_without_any_content_is_empty(data, filename):
    assert problem_of(data, filename) == FileProblem("empty_file", {"reason": "no_data"})


def test_a_file_with_only_the_headers_is_empty_with_reason_no_rows():
    for data, name in (
        (xlsx([HEADERS_NL, [None] * 17, ["  "]]), "k.xlsx"),
        (csv_bytes([HEADERS_NL]), "k.csv"),
    ):
        assert problem_of(data, name) == FileProblem("empty_file", {"reason": "no_rows"})


def test_a_file_over_20_mb_is_refused_before_it_is_parsed():
    data = b"x" * (MAX_FILE_BYTES + 1)
    assert problem_of(data, "k.csv") == FileProblem("file_too_large", {"limit": MAX_FILE_BYTES})

    class Stream(io.RawIOBase):
        read_bytes = 0

        def readable(self):
            return True

        def readinto(self, buffer):
            self.read_bytes += len(buffer)
            buffer[:] = b"x" * len(buffer)
            return len(buffer)

    stream = Stream()
    assert problem_of(stream, "k.csv").code == "file_too_large"
    assert stream.read_bytes <= MAX_FILE_BYTES + (1 << 20)  # stopped reading at the limit


def test_a_file_of_exactly_20_mb_is_not_refused_for_its_size():
    body = csv_bytes([REQUIRED_NL, client_row(1)[:6]])
    padding = b" " * 99 + b"\n"  # blank lines
    data = body + padding * ((MAX_FILE_BYTES - len(body)) // len(padding))
    data += b" " * (MAX_FILE_BYTES - len(data))
    assert len(data) == MAX_FILE_BYTES
    assert read_table(data, filename="k.csv").row_count == 1


def test_more_rows_than_the_limit_stop_the_import(monkeypatch):
    monkeypatch.setattr(reading, "MAX_ROWS", 5)
    rows = [HEADERS_NL, *[client_row(n) for n in range(5)], [None], [None]]
    assert read_table(xlsx(rows), filename="k.xlsx").row_count == 5  # blank rows don't count
    problem = problem_of(xlsx([*rows, client_row(6), client_row(7)]))
    assert problem == FileProblem("too_many_rows", {"limit": 5})


def test_one_hundred_thousand_rows_are_read_and_one_more_is_refused():
    row = ",".join(client_row(1)[:6]).encode() + b"\n"
    header = ",".join(REQUIRED_NL).encode() + b"\n"
    assert read_table(header + row * MAX_ROWS, filename="k.csv").row_count == MAX_ROWS
    problem = problem_of(header + row * (MAX_ROWS + 1), "k.csv")
    assert problem == FileProblem("too_many_rows", {"limit": MAX_ROWS})


# --------------------------------------------------------------------------------------
# Files that are not spreadsheets, damaged or hostile
# --------------------------------------------------------------------------------------

PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


@pytest.mark.parametrize("filename", ["k.xlsx", "k.csv", "k.pdf", "k.txt"])
@pytest.mark.parametrize("data", [PDF, PNG, bytes(random.Random(3).randbytes(4096))])
def test_a_pdf_a_png_or_random_bytes_are_not_a_supported_format(data, filename):
    assert problem_of(data, filename) == FileProblem("unsupported_format")


def test_text_that_is_not_named_csv_is_not_a_supported_format():
    data = csv_bytes([REQUIRED_NL, client_row(1)[:6]])
    assert problem_of(data, "klanten.xlsx").code == "unsupported_format"
    assert problem_of(b"<html><body><table></table></body></html>", "k.csv").code == (
        "unsupported_format"
    )


def test_a_zip_that_is_not_a_spreadsheet_is_not_a_supported_format():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
        zf.writestr("mimetype", "application/vnd.oasis.opendocument.text")
    assert problem_of(buffer.getvalue()).code == "unsupported_format"


def test_an_ole2_file_that_is_not_a_workbook_is_not_a_supported_format():
    from .builders import ole2

    assert problem_of(ole2({"WordDocument": b"\0" * 100}), "k.xls").code == "unsupported_format"


def test_a_truncated_xlsx_is_unreadable():
    data = xlsx([HEADERS_NL, *[client_row(n) for n in range(50)]])
    for cut in (len(data) // 2, len(data) - 30, 100):
        assert problem_of(data[:cut]) == FileProblem("unreadable_file", {"reason": "corrupt"})


def test_damaged_files_raise_only_file_problems():
    """Cut a valid file at 20 random places and flip bytes at 20 more: each read ends in a
    Sheet or a FileProblem, never another exception."""
    rng = random.Random(20240301)
    originals = [
        (xlsx([HEADERS_NL, *[client_row(n) for n in range(30)]]), "k.xlsx"),
        (xls({"Blad1": [HEADERS_NL, *[client_row(n) for n in range(30)]]}), "k.xls"),
        (ods({"Blad1": [HEADERS_NL, *[client_row(n) for n in range(30)]]}), "k.ods"),
    ]
    outcomes = set()
    for data, name in originals:
        damaged = [data[: rng.randrange(1, len(data))] for _ in range(20)]
        for _ in range(20):
            flipped = bytearray(data)
            for _ in range(rng.randrange(1, 8)):
                at = rng.randrange(len(flipped))
                flipped[at] ^= 1 << rng.randrange(8)
            damaged.append(bytes(flipped))
        for sample in damaged:
            try:
                outcomes.add(type(read_table(sample, filename=name)).__name__)
            except FileProblem as problem:
                outcomes.add(problem.code)
    assert "unreadable_file" in outcomes


def test_a_password_protected_xlsx_is_unreadable_because_of_its_password():
    problem = problem_of(encrypted_ooxml(), "klanten.xlsx")
    assert problem == FileProblem("unreadable_file", {"reason": "password_protected"})


def test_a_password_protected_xls_is_unreadable_because_of_its_password():
    data = xls({"Blad1": [HEADERS_NL, client_row(1)]}, password=True)
    problem = problem_of(data, "klanten.xls")
    assert problem == FileProblem("unreadable_file", {"reason": "password_protected"})


def _peak_during(call):
    """Peak Python memory (tracemalloc) and the growth of the process's peak RSS."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    tracemalloc.start()
    try:
        outcome = call()
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - rss_before
    return outcome, peak, rss_growth


def test_a_zip_bomb_is_refused_without_inflating_it():
    bomb = zip_bomb_xlsx(1 << 30)  # a 1 GB sheet of spaces
    assert len(bomb) < 2 * 1024 * 1024
    started = time.perf_counter()
    problem, peak, rss_growth = _peak_during(lambda: problem_of(bomb))
    assert problem == FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
    assert peak < 50 * 1024 * 1024
    assert rss_growth < 200 * 1024 * 1024
    assert time.perf_counter() - started < 2


def test_a_zip_bomb_whose_directory_lies_about_its_size_is_refused_after_the_claimed_size():
    bomb = zip_bomb_xlsx(1 << 30, claimed_size=2000)
    with zipfile.ZipFile(io.BytesIO(bomb)) as zf:
        assert zf.getinfo("xl/worksheets/sheet1.xml").file_size == 2000
    problem, peak, rss_growth = _peak_during(lambda: problem_of(bomb))
    assert problem == FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})
    assert peak < 50 * 1024 * 1024
    assert rss_growth < 200 * 1024 * 1024


def test_members_claiming_more_than_200_mb_in_all_are_refused_before_inflating():
    noise = random.Random(5).randbytes(3 << 20)  # does not compress: a ratio under 100
    deflate = zlib.compressobj(1, zlib.DEFLATED, -15)
    sheet = deflate.compress(noise) + deflate.flush()
    claimed = 250 << 20
    assert claimed / len(sheet) < reading.MAX_COMPRESSION_RATIO
    members = [
        *package_members(),
        ("xl/worksheets/sheet1.xml", zlib.crc32(noise), sheet, claimed, 8),
    ]
    assert problem_of(zip_by_hand(members)) == FileProblem(
        "unreadable_file", {"reason": "too_large_uncompressed"}
    )


def test_a_member_compressed_more_than_a_hundred_times_is_refused():
    bomb = zip_bomb_xlsx(50 << 20)  # below the 200 MB total, but 1000:1
    assert problem_of(bomb) == FileProblem("unreadable_file", {"reason": "too_large_uncompressed"})


TOO_LARGE = FileProblem(
    "unreadable_file", {"reason": "sheet_too_large", "limit": reading.MAX_SHEET_CELLS}
)


def test_a_stray_cell_far_from_the_table_is_refused_instead_of_exhausting_memory():
    """calamine allocates the rectangle from A1 to the last cell: XFD1048576 would be
    550 GB and abort the process."""
    sheet_data = (
        inline_row(1, REQUIRED_NL)
        + inline_row(2, client_row(1)[:6])
        + '<row r="1048576"><c r="XFD1048576"><v>1</v></c></row>'
    )
    assert problem_of(raw_xlsx(sheet_data)) == TOO_LARGE
    row_only = inline_row(1, REQUIRED_NL) + '<row r="900000"><c r="F900000"><v>1</v></c></row>'
    assert problem_of(raw_xlsx(row_only)) == TOO_LARGE


def test_a_far_cell_hidden_behind_namespace_prefixes_or_missing_references_is_refused():
    prefixed = (
        '<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Juridische naam</x:t></x:is></x:c>'
        '</x:row><x:row r="1048576"><x:c r="XFD1048576"><x:v>1</x:v></x:c></x:row>'
    )
    assert problem_of(raw_xlsx(prefixed, prefix="x")) == TOO_LARGE
    # 3,000 cells without reference in one row reach column DKJ; then a row far below
    counted = "<row>" + "<c><v>1</v></c>" * 3000 + '</row><row r="20000"><c><v>1</v></c></row>'
    assert problem_of(raw_xlsx(counted)) == TOO_LARGE
    spaced = '<row r="1"><c\nr="XFD1048576"\n><v>1</v></c><c r="A1"><v>1</v></c></row>'
    assert problem_of(raw_xlsx(spaced)) == TOO_LARGE
    escaped = '<row r="1"><c r="&#88;FD1048576"><v>1</v></c><c r="A1"><v>1</v></c></row>'
    assert problem_of(raw_xlsx(escaped)) == TOO_LARGE


def test_formatted_but_empty_cells_far_away_do_not_count():
    """Excel writes a formatted empty cell as <c r="..." s="1"/>; calamine skips it."""
    sheet_data = (
        inline_row(1, REQUIRED_NL)
        + inline_row(2, client_row(1)[:6])
        + '<row r="1048576"><c r="XFD1048576" s="1"/></row>'
    )
    assert read_table(raw_xlsx(sheet_data), filename="k.xlsx").rows == [
        (2, tuple(client_row(1)[:6]))
    ]


def test_a_far_cell_on_a_sheet_that_is_never_opened_does_not_matter():
    clients = {"Klanten": [HEADERS_NL, client_row(1)]}
    junk_after = xlsx(
        [["rommel"]], sheet_name="Rommel", sheets_before=clients, far_cell_on="Rommel"
    )
    assert read_table(junk_after, filename="k.xlsx").row_count == 1
    junk_first = xlsx(
        [HEADERS_NL, client_row(1)],
        sheet_name="Klanten",
        sheets_before={"Rommel": [["rommel"]]},
        far_cell_on="Rommel",
    )
    assert problem_of(junk_first) == TOO_LARGE


def test_sheets_written_with_namespace_prefixes_or_without_references_are_still_read():
    prefixed = (
        (inline_row(1, REQUIRED_NL) + inline_row(2, client_row(1)[:6]))
        .replace("<", "<x:")
        .replace("<x:/", "</x:")
    )
    sheet = read_table(raw_xlsx(prefixed, prefix="x"), filename="k.xlsx")
    assert sheet.rows == [(2, tuple(client_row(1)[:6]))]
    no_refs = "".join(
        "<row>"
        + "".join(f'<c t="inlineStr"><is><t>{value}</t></is></c>' for value in row)
        + "</row>"
        for row in (REQUIRED_NL, client_row(1)[:6], client_row(2)[:6])
    )
    sheet = read_table(raw_xlsx(no_refs), filename="k.xlsx")
    assert sheet.rows == [(2, tuple(client_row(1)[:6])), (3, tuple(client_row(2)[:6]))]


def test_a_wide_sheet_within_the_cell_budget_is_read():
    headers = [*REQUIRED_NL, *[f"Extra {n}" for n in range(60)]]
    rows = [headers, *[[*client_row(n)[:6], *["x"] * 60] for n in range(50)]]
    sheet = read_table(xlsx(rows), filename="k.xlsx")
    assert sheet.row_count == 50
    assert len(sheet.unknown_headers) == 60
    assert column_letters(len(headers) - 1) == "BN"


def test_an_ods_cell_repeated_over_a_huge_area_is_refused():
    tables = (
        '<table:table table:name="A"><table:table-row table:number-rows-repeated="1000000">'
        '<table:table-cell table:number-columns-repeated="16384" office:value-type="string">'
        "<text:p>x</text:p></table:table-cell></table:table-row></table:table>"
    )
    assert problem_of(ods_package(tables), "k.ods") == TOO_LARGE
    gap = (
        '<table:table table:name="A"><table:table-row table:number-rows-repeated="500000">'
        '<table:table-cell table:number-columns-repeated="1000"/>'
        '<table:table-cell office:value-type="string"><text:p>x</text:p></table:table-cell>'
        "</table:table-row></table:table>"
    )
    assert problem_of(ods_package(gap), "k.ods") == TOO_LARGE


def test_xls_sheets_with_far_cells_are_refused_together():
    far = [["a"], *([[]] * 40000), [None] * 200 + ["z"]]  # 8 million cells, one sheet
    assert problem_of(xls({"Blad1": far}), "k.xls") == TOO_LARGE
    fair = [["a"], *([[]] * 10000), [None] * 100 + ["z"]]  # 1 million cells a sheet ...
    sheets = {f"Blad{n}": fair for n in range(6)}  # ... but calamine reads them all at once
    assert problem_of(xls(sheets), "k.xls") == TOO_LARGE


# --------------------------------------------------------------------------------------
# FileProblem
# --------------------------------------------------------------------------------------


def test_file_problem_compares_pickles_and_passes_through_context_managers():
    problem = FileProblem("missing_columns", {"columns": ["country"]})
    assert problem == FileProblem("missing_columns", {"columns": ["country"]})
    assert problem != FileProblem("missing_columns", {"columns": ["legal_name"]})
    assert pickle.loads(pickle.dumps(problem)) == problem  # noqa: S301

    @contextlib.contextmanager
    def step():
        yield

    with pytest.raises(FileProblem) as caught, step():
        raise problem
    assert caught.value.detail == {"columns": ["country"]}
    assert str(problem) == "missing_columns: {'columns': ['country']}"


def test_file_problem_messages_name_the_missing_columns_and_limits():
    from django.conf import settings

    if not settings.configured:
        settings.configure(USE_I18N=False)
    from django.utils.translation import get_language

    from partnerspace.imports.columns import COLUMN_BY_KEY

    missing = FileProblem("missing_columns", {"columns": ["country", "contact_locale"]})
    labels = [COLUMN_BY_KEY[key].label(get_language()) for key in ("country", "contact_locale")]
    assert ", ".join(labels) in missing.message()
    assert "20 MB" in FileProblem("file_too_large", {"limit": MAX_FILE_BYTES}).message()
    assert "100.000" in FileProblem("too_many_rows", {"limit": MAX_ROWS}).message()
    for (code, reason), _message in reading.FILE_PROBLEM_MESSAGES.items():
        detail = {"reason": reason} if reason else {}
        if code == "missing_columns":
            detail = {"columns": ["country"]}
        sized = {"file_too_large", "content_too_large", "too_many_rows", "too_many_columns"}
        if code in sized or reason == "sheet_too_large":
            detail["limit"] = 5
        if code == "sheet_not_found":
            detail = {"sheet": "Blad9", "sheets": ["Overzicht", "Klanten"]}
        assert FileProblem(code, detail).message()
    sheets = FileProblem("sheet_not_found", {"sheet": "Blad9", "sheets": ["Overzicht", "Klanten"]})
    assert "Blad9" in sheets.message() and "Overzicht, Klanten" in sheets.message()


def test_one_long_shared_string_among_many_short_ones_is_counted_exactly_and_read():
    """The quick bound (cells times the longest string) would refuse this file: each cell
    is then counted by the length of its own string."""
    from .builders import shared_strings_xlsx

    strings = [*HEADERS_NL, *client_row(1), "x" * 20_000]
    rows = [list(range(17)), [*range(17, 33), 34], *([list(range(17, 34))] * 3000)]
    sheet = read_table(shared_strings_xlsx(strings, rows), filename="k.xlsx")
    assert sheet.row_count == 3001
    assert len(sheet.rows[0][1][-1]) == reading.MAX_CELL_CHARS + 1


# --------------------------------------------------------------------------------------
# The parts calamine reads, found as calamine finds them
# --------------------------------------------------------------------------------------

CORRUPT = FileProblem("unreadable_file", {"reason": "corrupt"})


def _rezipped(data: bytes, change) -> bytes:
    """The zip ``data`` written again, each member through ``change(info, bytes)``, which
    gives the (info, bytes) pairs to write in its place."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for info in source.infolist():
            for new_info, member in change(info, source.read(info)):
                zf.writestr(new_info, member)
    return buffer.getvalue()


def test_the_worksheet_and_shared_strings_are_read_where_the_package_puts_them():
    from .builders import shared_strings_xlsx

    strings = [*HEADERS_NL, *client_row(1)]
    rows = [list(range(17)), list(range(17, 34))]
    for package in (
        {"sheet_target": "sheet1.xml"},
        {"sheet_target": "data/blad.xml"},
        {"sheet_target": "/elders/blad.xml"},
        {"shared_part": "xl/SharedStrings.xml"},
        {"shared_part": "XL/SHAREDSTRINGS.XML"},
    ):
        sheet = read_table(shared_strings_xlsx(strings, rows, **package), filename="k.xlsx")
        assert sheet.rows == [(2, tuple(client_row(1)))], package


def test_shared_strings_behind_comments_and_cdata_are_counted_as_calamine_reads_them():
    from .builders import shared_strings_xlsx

    items = [f"<si><t>{text}</t></si>" for text in HEADERS_NL]
    items += [
        "<si><!-- </si> --><t>Bakkerij Eén BV</t></si>",
        "<si><?p </si>?><t>BE</t></si>",
        "<si><t><![CDATA[an@bakkerij.example]]></t></si>",
    ]
    sheet = read_table(
        shared_strings_xlsx([], [list(range(17)), [17, 18, 19]], items=items), filename="k.xlsx"
    )
    assert sheet.rows[0][1][:3] == ("Bakkerij Eén BV", "BE", "an@bakkerij.example")


def test_two_members_calamine_cannot_tell_apart_are_refused():
    """calamine finds a part whatever the case of its name: with two, it could read
    another than the one measured."""
    data = xlsx([HEADERS_NL, client_row(1)])

    def twice(info, member):
        yield info, member
        if info.filename == "xl/worksheets/sheet1.xml":
            yield "XL/Worksheets/Sheet1.xml", member

    assert problem_of(_rezipped(data, twice)) == CORRUPT


def test_a_member_renamed_by_a_unicode_path_field_is_refused():
    """calamine's zip reader takes a member's name from its Info-ZIP Unicode path field."""
    data = xlsx([HEADERS_NL, client_row(1)])

    def renamed(info, member):
        if info.filename == "docProps/app.xml":
            name = b"xl/worksheets/sheet1.xml"
            crc = zlib.crc32(info.filename.encode())
            field = struct.pack("<BI", 1, crc) + name
            info.extra = struct.pack("<HH", 0x7075, len(field)) + field
        yield info, member

    assert problem_of(_rezipped(data, renamed)) == CORRUPT


def test_a_zip_calamine_could_open_as_another_format_is_refused():
    data = xlsx([HEADERS_NL, client_row(1)])

    def with_part(name, content):
        def change(info, member):
            yield info, member
            if info.filename == "[Content_Types].xml":
                yield name, content

        return change

    xlsb = _rezipped(data, with_part("xl/workbook.bin", b"\0"))
    assert problem_of(xlsb).code == "unsupported_format"
    both = _rezipped(data, with_part("mimetype", "application/vnd.oasis.opendocument.spreadsheet"))
    assert problem_of(both) == CORRUPT
    from .builders import ole2

    assert problem_of(ole2({"Workbook": b"\x09\x08junk"}) + data, "k.xls") == CORRUPT


def test_shared_strings_with_a_document_type_declaration_are_refused():
    from .builders import entity_bomb_xlsx

    assert problem_of(entity_bomb_xlsx()) == CORRUPT


def test_ods_repeat_counts_are_read_as_calamine_reads_them():
    def table(count: str) -> bytes:
        header = "".join(f"<table:table-cell office:value-type=\"string\"><text:p>{h}</text:p>"
                         "</table:table-cell>" for h in REQUIRED_NL)  # fmt: skip
        cells = "".join(f"<table:table-cell office:value-type=\"string\"><text:p>{v}</text:p>"
                        "</table:table-cell>" for v in client_row(1)[:6])  # fmt: skip
        return ods_package(
            '<table:table table:name="A">'
            f"<table:table-row>{header}</table:table-row>"
            f'<table:table-row table:number-rows-repeated="{count}">{cells}</table:table-row>'
            "</table:table>"
        )

    for count in ("3", "+3", "003", "&#51;"):
        assert read_table(table(count), filename="k.ods").row_count == 3, count
    for count in (" 3", "3 ", "-3", "3e0", "drie"):
        assert problem_of(table(count), "k.ods") == CORRUPT, count


def test_an_ods_content_with_a_comment_is_refused():
    hidden = (
        '<table:table table:name="A"><!-- </table:table> -->'
        "<table:table-row><table:table-cell/></table:table-row></table:table>"
    )
    assert problem_of(ods_package(hidden), "k.ods") == CORRUPT


# --------------------------------------------------------------------------------------
# The files people really have
# --------------------------------------------------------------------------------------


def _accented_rows() -> list[list[str]]:
    """Client rows with the accents of Belgian names and addresses."""
    first, second, third = client_row(1), client_row(2), client_row(3)
    first[0], first[3], first[14] = "Café Crème SRL", "Hélène", "Liège"
    first[10] = "Rue de l'Église"
    second[0], second[3], second[4] = "Bäckerei Müller GmbH", "Jürgen", "Müller"
    third[0], third[3], third[14] = "Brasserie Noël", "François", "Sint-Genesius-Rode"
    return [first, second, third]


@pytest.mark.parametrize(
    ("encoding", "newline", "writer"),
    [
        ("cp850", "\r\n", "Excel CSV (MS-DOS)"),
        ("mac_roman", "\r", "Excel CSV (Macintosh)"),
        ("cp1252", "\r\n", "Excel CSV (comma delimited)"),
    ],
)
def test_csv_in_the_character_sets_excel_writes_is_read_with_its_accents(encoding, newline, writer):
    rows = _accented_rows()
    data = csv_bytes([HEADERS_NL, *rows], delimiter=";", encoding=encoding, newline=newline)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    sheet = read_table(data, filename="klanten.csv")
    assert sheet.encoding == encoding, writer
    assert [row["legal_name"] for row in values(sheet)] == [row[0] for row in rows]
    assert values(sheet)[0]["city"] == "Liège"
    assert values(sheet)[1]["contact_last_name"] == "Müller"
    assert sheet.notes == []


def test_a_utf8_csv_with_one_windows_1252_line_keeps_every_other_accent():
    rows = _accented_rows()
    pasted = client_row(4)
    pasted[0] = "Crèmerie Dubois"
    data = b"".join(
        [
            csv_bytes([HEADERS_NL, *rows], delimiter=";", encoding="utf-8"),
            csv_bytes([pasted], delimiter=";", encoding="cp1252"),
        ]
    )
    sheet = read_table(data, filename="klanten.csv")
    assert sheet.encoding == "utf-8"
    names = [row["legal_name"] for row in values(sheet)]
    assert names == ["Café Crème SRL", "Bäckerei Müller GmbH", "Brasserie Noël", "Crèmerie Dubois"]
    assert sheet.notes == [CellProblem(5, "", "encoding_fallback", "cp1252")]


def test_a_fallback_line_inside_a_quoted_line_break_flags_the_row_it_belongs_to():
    first, second = client_row(1), client_row(2)
    first[10] = "Kerkstraat\nachter de kerk"
    second[0] = "Brasserie Noël"
    head = csv_bytes([HEADERS_NL, first], delimiter=";").replace(b"achter", "achtér".encode())
    data = head + csv_bytes([second], delimiter=";", encoding="cp1252")
    sheet = read_table(data, filename="k.csv")
    assert values(sheet)[1]["legal_name"] == "Brasserie Noël"
    assert [note.row for note in sheet.notes if note.code == "encoding_fallback"] == [3]


def test_a_csv_whose_character_set_cannot_be_told_is_refused_not_stored_garbled():
    """One capital with an accent, nothing else: Windows-1252 reads Óscar, MS-DOS reads
    Ëscar. Either could be right; storing the wrong one silently is what must not happen."""
    row = client_row(1)
    row[3] = "Óscar"
    data = csv_bytes([HEADERS_NL, row], delimiter=";", encoding="cp1252")
    problem = problem_of(data, "k.csv")
    assert problem == FileProblem("unreadable_file", {"reason": "encoding_unknown"})
    assert "UTF-8" in problem.message()


def test_detecting_the_character_set_looks_at_a_bounded_sample():
    rows = [client_row(n) for n in range(1, 20_001)]
    for row in rows:
        row[0] = f"Café {row[0]}"
    data = csv_bytes([HEADERS_NL, *rows], delimiter=";", encoding="cp850")
    assert len(data) > 3_000_000
    started = time.perf_counter()
    sheet = read_table(data, filename="k.csv")
    assert time.perf_counter() - started < 10
    assert sheet.encoding == "cp850"
    assert values(sheet)[-1]["legal_name"] == "Café Bakkerij 20000 BV"


def gnumeric_ods(rows: list[list[object]], *, width: int = 256, height: int = 65536) -> bytes:
    """An .ods as Gnumeric writes it: its XML indented, each row ending with an empty cell
    repeated to the sheet's last column and the sheet with an empty row repeated to its
    last row (Gnumeric's sheets are 256 x 65,536, or 16,384 x 1,048,576)."""
    out = [
        '<table:table table:name="Sheet1" table:style-name="ta-1">',
        f'  <table:table-column table:style-name="co-0" table:number-columns-repeated="{width}"'
        ' table:default-cell-style-name="Default"/>',
    ]
    for row in rows:
        out.append('  <table:table-row table:style-name="ro-0">')
        for value in row:
            if value in ("", None):
                out.append("    <table:table-cell/>")
            elif isinstance(value, int | float):
                out.append(
                    f'    <table:table-cell office:value-type="float" office:value="{value}">\n'
                    f"      <text:p>{value}</text:p>\n    </table:table-cell>"
                )
            else:
                out.append(
                    '    <table:table-cell office:value-type="string">\n'
                    f"      <text:p>{escape(str(value))}</text:p>\n    </table:table-cell>"
                )
        out.append(f'    <table:table-cell table:number-columns-repeated="{width - len(row)}"/>')
        out.append("  </table:table-row>")
    out.append(
        '  <table:table-row table:style-name="ro-0" '
        f'table:number-rows-repeated="{height - len(rows)}">\n'
        f'    <table:table-cell table:number-columns-repeated="{width}"/>\n  </table:table-row>'
    )
    out.append("</table:table>")
    return ods_package("\n".join(out))


@pytest.mark.parametrize(("width", "height"), [(256, 65536), (16384, 1048576)])
def test_gnumerics_indented_ods_is_read(width, height):
    rows = [client_row(1), client_row(2)]
    rows[1][0] = "Bakkerij <Peeters> & Zonen"
    data = gnumeric_ods([HEADERS_NL, *rows], width=width, height=height)
    sheet = read_table(data, filename="klanten.ods")
    assert sheet.format == "ods"
    assert sheet.rows == [(2, tuple(rows[0])), (3, tuple(rows[1]))]


def test_an_indented_ods_keeps_the_space_between_two_runs_of_text():
    cell = (
        '<table:table-cell office:value-type="string"><text:p><text:span>An</text:span> '
        "<text:span>Peeters</text:span></text:p></table:table-cell>"
    )
    header = "".join(
        f'\n  <table:table-cell office:value-type="string"><text:p>{h}</text:p></table:table-cell>'
        for h in REQUIRED_NL
    )
    row = "".join(
        f'\n  <table:table-cell office:value-type="string"><text:p>{v}</text:p></table:table-cell>'
        for v in client_row(1)[1:6]
    )
    xml = (
        f'<table:table table:name="Blad1">\n<table:table-row>{header}\n</table:table-row>\n'
        f"<table:table-row>\n  {cell}{row}\n</table:table-row>\n</table:table>"
    )
    sheet = read_table(ods_package(xml), filename="k.ods")
    assert values(sheet)[0]["legal_name"] == "An Peeters"


def encrypted_ods() -> bytes:
    """An .ods saved with a password, as LibreOffice writes it: the zip is not encrypted,
    its manifest describes how content.xml and styles.xml are, and they are noise."""
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<manifest:manifest xmlns:manifest='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.3">'
        '<manifest:file-entry manifest:full-path="/" manifest:version="1.3" manifest:media-type='
        '"application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml" '
        'manifest:size="4312"><manifest:encryption-data manifest:checksum-type='
        '"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0#sha256-1k" manifest:checksum='
        '"Zm9v"><manifest:algorithm manifest:algorithm-name='
        '"http://www.w3.org/2001/04/xmlenc#aes256-cbc" manifest:initialisation-vector="YmFy"/>'
        "<manifest:start-key-generation manifest:start-key-generation-name="
        '"http://www.w3.org/2000/09/xmldsig#sha256" manifest:key-size="32"/>'
        '<manifest:key-derivation manifest:key-derivation-name="PBKDF2" manifest:key-size="32" '
        'manifest:iteration-count="100000" manifest:salt="YmF6"/></manifest:encryption-data>'
        "</manifest:file-entry></manifest:manifest>"
    )
    noise = random.Random(17).randbytes(4096)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", noise, zipfile.ZIP_STORED)
        zf.writestr("styles.xml", noise[:1024], zipfile.ZIP_STORED)
        zf.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


def test_a_password_protected_ods_is_reported_as_protected_not_damaged():
    problem = problem_of(encrypted_ods(), "klanten.ods")
    assert problem == FileProblem("unreadable_file", {"reason": "password_protected"})


OVERVIEW = [
    ["Klantenlijst 2026"],
    ["Juridische naam", "Land", "E-mailadres", "Aantal"],
    ["Totaal", "", "", 2],
]


def test_an_overview_sheet_in_front_with_a_few_matching_headers_is_passed_over():
    data = xlsx(
        [HEADERS_NL, client_row(1), client_row(2)],
        sheet_name="Klanten",
        sheets_before={"Overzicht": OVERVIEW},
    )
    sheet = read_table(data, filename="k.xlsx")
    assert sheet.sheet_name == "Klanten"
    assert sheet.row_count == 2
    assert sheet.sheet_names == ("Overzicht", "Klanten")


def test_an_overview_sheet_in_an_ods_or_xls_is_passed_over_too():
    tables = {"Overzicht": OVERVIEW, "Klanten": [HEADERS_NL, client_row(1)]}
    assert read_table(ods(tables), filename="k.ods").sheet_name == "Klanten"
    assert read_table(xls(tables), filename="k.xls").sheet_name == "Klanten"


def test_the_sheet_with_the_most_recognised_headers_wins_and_the_first_on_a_tie():
    data = xlsx(
        [HEADERS_NL[:8], client_row(2)[:8]],
        sheet_name="Nieuw",
        sheets_before={"Oud": [HEADERS_NL[:7], client_row(1)[:7]]},
    )
    assert read_table(data, filename="k.xlsx").sheet_name == "Nieuw"
    data = xlsx(
        [HEADERS_NL, client_row(2)], sheet_name="Kopie", sheets_before={"Eerst": [HEADERS_NL]}
    )
    with pytest.raises(FileProblem) as caught:
        read_table(data, filename="k.xlsx")
    # the first sheet has every header but no rows: it is the one read, and said so
    assert caught.value == FileProblem("empty_file", {"reason": "no_rows"})


def test_a_sheet_can_be_chosen_by_its_name():
    data = xlsx(
        [HEADERS_NL, client_row(2)],
        sheet_name="Klanten 2026",
        sheets_before={"Klanten 2025": [HEADERS_NL, client_row(1)]},
    )
    assert values(read_table(data, filename="k.xlsx"))[0]["legal_name"] == "Bakkerij 1 BV"
    chosen = read_table(data, filename="k.xlsx", sheet="Klanten 2026")
    assert chosen.sheet_name == "Klanten 2026"
    assert values(chosen)[0]["legal_name"] == "Bakkerij 2 BV"
    assert read_table(data, filename="k.xlsx", sheet=" klanten 2026 ").sheet_name == "Klanten 2026"
    with pytest.raises(FileProblem) as caught:
        read_table(data, filename="k.xlsx", sheet="Blad9")
    assert caught.value == FileProblem(
        "sheet_not_found", {"sheet": "Blad9", "sheets": ["Klanten 2025", "Klanten 2026"]}
    )


def _xlsx_with(write) -> bytes:
    """An xlsx as XlsxWriter writes it: the template's headers, then what ``write(workbook,
    sheet)`` puts from the second row on."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Klanten")
    sheet.write_row(0, 0, HEADERS_NL)
    write(workbook, sheet)
    workbook.close()
    return buffer.getvalue()


REFERENCE = KEYS.index("external_reference")


def test_a_reference_stored_as_a_number_keeps_the_zeros_its_format_shows():
    def write(workbook, sheet):
        zeros = workbook.add_format({"num_format": "000000"})
        prefixed = workbook.add_format({"num_format": '"K-"00000'})
        for row, (number, style) in enumerate([(108, zeros), (42, prefixed), (7, None)], 1):
            sheet.write_row(row, 0, client_row(row)[:REFERENCE])
            sheet.write_number(row, REFERENCE, number, style)

    sheet = read_table(_xlsx_with(write), filename="k.xlsx")
    assert [row["external_reference"] for row in values(sheet)] == ["000108", "K-00042", "7"]
    # the number without a format that shows zeros may have lost some: said so
    assert sheet.notes == [CellProblem(4, "external_reference", "reference_number", "7")]


def test_zero_formats_are_read_as_excel_shows_them():
    shows = reading._ZeroFormat.parse
    assert shows("000000").show(108.0) == "000108"
    assert shows('"BE"0000000000').show(403019261.0) == "BE0403019261"
    assert shows("[Blue]00000;[Red]-00000").show(12.0) == "00012"
    assert shows("000000_)").show(108.0) == "000108 "
    assert shows("000000").show(1234567.0) == "1234567"
    assert shows("000000").show(10.5) is None
    for not_zeros in ("0", "General", "#,##0", "0.00", "000.0", "yyyy-mm-dd", "@", "0#0"):
        assert shows(not_zeros) is None, not_zeros


def test_line_breaks_tabs_and_no_break_spaces_inside_a_name_or_street_are_tidied():
    row = client_row(1)
    row[0] = "Bakkerij\nPeeters\u00a0BV"
    row[10] = "Kerkstraat \r\n achteraan\t"
    sheet = read_table(xlsx([HEADERS_NL, row]), filename="k.xlsx")
    assert values(sheet)[0]["legal_name"] == "Bakkerij Peeters BV"
    assert values(sheet)[0]["street"] == "Kerkstraat achteraan"
    assert sheet.notes == [
        CellProblem(
            2, "legal_name", "text_tidied", "Bakkerij\nPeeters\u00a0BV", "Bakkerij Peeters BV"
        ),
        CellProblem(
            2, "street", "text_tidied", "Kerkstraat \r\n achteraan", "Kerkstraat achteraan"
        ),
    ]


def test_hidden_rows_are_read_with_a_note():
    def write(workbook, sheet):
        for row in (1, 2, 3):
            sheet.write_row(row, 0, client_row(row))
        sheet.set_row(2, None, None, {"hidden": True})

    sheet = read_table(_xlsx_with(write), filename="k.xlsx")
    assert numbers(sheet) == [2, 3, 4]
    assert sheet.notes == [CellProblem(3, "", "hidden_row", "")]


def test_error_cells_are_reported_as_errors_not_as_empty():
    def write(workbook, sheet):
        sheet.write_row(1, 0, client_row(1))
        sheet.write_formula(1, 2, "=VLOOKUP(A2,Contacten!A:B,2,FALSE)", None, "#N/A")
        sheet.write_formula(1, 13, "=1/0", None, "#DIV/0!")

    sheet = read_table(_xlsx_with(write), filename="k.xlsx")
    assert values(sheet)[0]["contact_email"] == ""
    assert sheet.cell_problems == [
        CellProblem(2, "contact_email", "cell_error", "#N/A"),
        CellProblem(2, "postal_code", "cell_error", "#DIV/0!"),
    ]


def test_error_texts_in_a_csv_file_are_error_cells_too():
    row = client_row(1)
    row[2], row[13] = "#N/A", "#VALUE!"
    sheet = read_table(csv_bytes([HEADERS_NL, row]), filename="k.csv")
    assert values(sheet)[0]["contact_email"] == ""
    assert sheet.cell_problems == [
        CellProblem(2, "contact_email", "cell_error", "#N/A"),
        CellProblem(2, "postal_code", "cell_error", "#VALUE!"),
    ]


def test_error_cells_and_hidden_rows_of_a_libreoffice_ods_are_reported():
    """LibreOffice writes an error as an empty text with calcext:value-type="error" (which
    calamine reads as empty) and a hidden row with table:visibility="collapse"."""

    def cells(values: list[str]) -> str:
        return "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(v)}</text:p>'
            "</table:table-cell>"
            for v in values
        )

    error = (
        '<table:table-cell table:formula="of:=NA()" office:value-type="string" '
        'office:string-value="" calcext:value-type="error"><text:p>#N/A</text:p>'
        "</table:table-cell>"
    )
    first, second = client_row(1), client_row(2)
    xml = (
        '<table:table table:name="Overzicht"><table:table-row>'
        f"{cells(['Totaal'])}</table:table-row></table:table>"
        '<table:table table:name="Klanten">'
        f"<table:table-row>{cells(HEADERS_NL)}</table:table-row>"
        f"<table:table-row>{cells(first[:2])}{error}{cells(first[3:])}</table:table-row>"
        '<table:table-row table:visibility="collapse">'
        f"{cells(second)}</table:table-row></table:table>"
    )
    sheet = read_table(ods_package(xml), filename="k.ods")
    assert sheet.sheet_name == "Klanten"
    assert values(sheet)[0]["contact_email"] == ""
    assert sheet.cell_problems == [CellProblem(2, "contact_email", "cell_error", "#N/A")]
    assert sheet.notes == [CellProblem(3, "", "hidden_row", "")]
