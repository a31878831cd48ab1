"""Column mapping without pages: suggestions from names and values, a mapping's problems, the
file read by a mapping, and combined cells split with a warning per row."""

import pytest

from partnerspace.imports.columns import REQUIRED_KEYS, headers_for
from partnerspace.imports.mapping import (
    RAW_HEADERS,
    FileColumn,
    HeaderRules,
    MappingProblem,
    file_columns,
    mapping_normalized,
    mapping_problems,
    sheet_split,
    signature,
    suggest,
)
from partnerspace.imports.reading import FileProblem, read_table
from tests.imports.exports import (
    DUTCH,
    EXACT,
    EXACT_FIELDS,
    FIELDS,
    FRENCH,
    dutch_xlsx,
    exact_csv,
    french_csv,
)


def columns_of(headers, samples=None) -> list[FileColumn]:
    samples = samples or {}
    return [FileColumn(header, tuple(samples.get(header, ()))) for header in headers]


# Suggestions by name


@pytest.mark.parametrize("headers", [DUTCH, FRENCH], ids=["nl", "fr"])
def test_the_headers_of_a_dutch_or_french_list_suggest_their_fields(headers):
    assert suggest(columns_of(headers)) == dict(zip(headers, FIELDS, strict=True))


def test_an_exact_online_export_suggests_its_fields_and_leaves_out_phone_and_website():
    assert suggest(columns_of(EXACT)) == EXACT_FIELDS


def test_english_headers_are_suggested_too():
    headers = ["Company name", "Address", "Zip code", "City", "Country", "VAT number", "Email"]
    assert list(suggest(columns_of(headers)).values()) == [
        "legal_name", "address", "postal_code", "city", "country", "vat_number", "contact_email",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("ONDERNEMINGS-NUMMER", "company_number"),  # case and punctuation do not count
        ("Numero d'entreprise", "company_number"),  # nor accents
        ("Ondernemingsnumer", "company_number"),  # a typing error
        ("E-mailadres klant", "contact_email"),  # a word after a synonym
        ("Btw nummer klant", "vat_number"),
        ("Postkode", "postal_code"),
    ],
)
def test_a_header_is_matched_fuzzily(header, field):
    assert suggest(columns_of([header])) == {header: field}


def test_a_header_like_no_field_is_not_imported():
    assert suggest(columns_of(["Telefoon", "Opmerkingen", "Omzet 2025"])) == {
        "Telefoon": "",
        "Opmerkingen": "",
        "Omzet 2025": "",
    }


# Suggestions by values


def test_the_values_of_a_column_suggest_vat_enterprise_number_and_email_whatever_its_name():
    columns = columns_of(
        ["Kolom A", "Kolom B", "Kolom C", "Kolom D"],
        {
            "Kolom A": ["BE0403019261", "BE 0403.019.261"],
            "Kolom B": ["an@bakkerij.example", "jan@smid.example"],
            "Kolom C": ["0403019261", "0403.019.261"],
            "Kolom D": ["BE71 0961 2345 6769"],
        },
    )
    assert suggest(columns) == {
        "Kolom A": "vat_number",
        "Kolom B": "contact_email",
        "Kolom C": "company_number",
        "Kolom D": "iban",
    }


def test_values_that_are_mostly_not_numbers_suggest_nothing():
    columns = columns_of(["Kolom"], {"Kolom": ["0403019261", "hallo", "wereld"]})
    assert suggest(columns) == {"Kolom": ""}


def test_the_values_win_over_a_near_name_but_not_over_an_exact_one():
    columns = columns_of(
        ["E-mail", "Mail facturatie"],
        {"E-mail": ["an@x.example"], "Mail facturatie": ["boekhouding@x.example"]},
    )
    # each field goes to one column: the exact name keeps it
    assert suggest(columns) == {"E-mail": "contact_email", "Mail facturatie": ""}


def test_a_field_is_suggested_for_one_column_only_and_a_whole_address_takes_its_parts():
    columns = columns_of(["Straat", "Adres", "Nummer"])
    assert suggest(columns) == {"Straat": "street", "Adres": "", "Nummer": "house_number"}


# A remembered mapping


def test_a_remembered_mapping_is_suggested_over_the_names():
    columns = columns_of(DUTCH)
    remembered = mapping_normalized(dict(zip(DUTCH, FIELDS, strict=True)) | {"Code": ""})
    assert suggest(columns, remembered)["Code"] == ""
    assert suggest(columns)["Code"] == "external_reference"


def test_the_signature_is_that_of_the_headers_whatever_their_order_or_spelling():
    assert signature(DUTCH) == signature(reversed([h.upper() for h in DUTCH]))
    assert signature(DUTCH) != signature(FRENCH)
    assert len(signature(DUTCH)) == 64


# A mapping's problems


def test_a_complete_mapping_has_no_problem():
    mapping = dict(zip(DUTCH, FIELDS, strict=True))
    assert mapping_problems(mapping, DUTCH, complete=True) == []


def test_a_mapping_names_the_required_fields_no_column_has():
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Contactpersoon": ""}
    assert mapping_problems(mapping, DUTCH, complete=True) == [
        MappingProblem("required_unmapped", field="contact_first_name"),
        MappingProblem("required_unmapped", field="contact_last_name"),
    ]


def test_a_field_given_twice_is_refused_also_as_part_of_a_whole_address():
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Postcode": "legal_name"}
    # the second column given a field is the one refused, beside the one given it first
    assert mapping_problems(mapping, DUTCH, complete=True) == [
        MappingProblem("field_mapped_twice", "Postcode", "legal_name", "Naam")
    ]
    headers = [*DUTCH, "Straat"]
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"Straat": "street"}
    assert MappingProblem("field_mapped_twice", "Straat", "street", "Adres") in mapping_problems(
        mapping, headers, complete=True
    )


def test_two_headers_the_import_reads_as_one_keep_the_first_columns_field():
    """ "Naam" and "NAAM" are one header to the reader, which reads the first column of them:
    the second may be left out, not given a field of its own."""
    headers = [*DUTCH, "NAAM"]
    mapping = dict(zip(DUTCH, FIELDS, strict=True)) | {"NAAM": ""}
    assert mapping_problems(mapping, headers, complete=True) == []
    assert mapping_normalized(mapping)["naam"] == "legal_name"

    mapping["NAAM"] = "iban"
    assert mapping_problems(mapping, headers, complete=True) == [
        MappingProblem("header_twice", "NAAM", "iban", "Naam")
    ]


def test_an_unknown_header_or_field_is_refused():
    problems = mapping_problems({"Naamm": "legal_name", "Naam": "company"}, DUTCH)
    assert MappingProblem("unknown_header", "Naamm", "legal_name") in problems
    assert MappingProblem("unknown_field", "Naam", "company") in problems


def test_headers_a_partial_mapping_leaves_out_are_read_as_the_templates():
    headers = [*headers_for("nl"), "Klantnaam"]
    template_name = headers_for("nl")[0]
    assert mapping_problems({"Klantnaam": "legal_name", template_name: ""}, headers) == []
    assert mapping_problems({"Klantnaam": "legal_name"}, headers) == [
        MappingProblem("field_mapped_twice", template_name, "legal_name", "Klantnaam")
    ]


# Reading by a mapping


def test_the_mapping_step_reads_each_column_with_its_first_values():
    columns = file_columns(read_table(exact_csv(5), filename="relaties.csv", headers=RAW_HEADERS))
    assert [column.header for column in columns] == EXACT  # the title line is not the header
    name = columns[EXACT.index("Naam")]
    assert name.samples == ("Schrijnwerkerij 1 BV", "Schrijnwerkerij 2 BV", "Schrijnwerkerij 3 BV")


def test_a_file_without_the_templates_headers_is_refused_without_a_mapping():
    with pytest.raises(FileProblem) as refused:
        read_table(dutch_xlsx(), filename="klanten.xlsx")
    assert refused.value.code == "missing_columns"


@pytest.mark.parametrize(
    ("content", "name", "headers"),
    [(dutch_xlsx(), "klanten.xlsx", DUTCH), (french_csv(), "clients.csv", FRENCH)],
    ids=["nl-xlsx", "fr-csv"],
)
def test_a_file_read_by_its_mapping_has_the_fields_and_its_whole_cells_split(
    content, name, headers
):
    mapping = mapping_normalized(dict(zip(headers, FIELDS, strict=True)))
    sheet = sheet_split(read_table(content, filename=name, headers=HeaderRules(mapping=mapping)))
    assert set(REQUIRED_KEYS) <= set(sheet.columns)
    assert "address" not in sheet.columns and "contact_name" not in sheet.columns
    first = dict(zip(sheet.columns, sheet.rows[0][1], strict=True))
    if headers is DUTCH:
        assert (first["street"], first["house_number"], first["box"]) == ("Kerkstraat", "1", "3")
        assert (first["contact_first_name"], first["contact_last_name"]) == ("An", "Peeters1")
    else:
        assert (first["street"], first["house_number"], first["box"]) == ("Rue de la Loi", "1", "2")
        assert (first["contact_first_name"], first["contact_last_name"]) == ("Marie", "DUBOIS1")
    notes = sheet.split_notes[sheet.rows[0][0]]
    assert [note.code for note in notes] == ["address_split", "name_split"]
    assert all(note.message for note in notes)


def test_a_column_mapped_to_nothing_is_not_read():
    mapping = mapping_normalized(dict(zip(DUTCH, FIELDS, strict=True)) | {"Code": ""})
    sheet = read_table(dutch_xlsx(), filename="k.xlsx", headers=HeaderRules(mapping=mapping))
    assert "external_reference" not in sheet.columns


def test_header_rules_travel_as_json_to_the_reading_process():
    rules = HeaderRules(mapping={"naam": "legal_name"}, row_limit=5)
    assert HeaderRules.from_spec(rules.spec()) == rules
