"""The import template: read back with python-calamine and as the zip it is."""

import io
import re
import zipfile

import pytest
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from python_calamine import CalamineWorkbook

from partnerspace.clients.models import Client
from partnerspace.configuration.services import template_create
from partnerspace.identifiers.choices import COMMON_LOCALES, country_choices
from partnerspace.identifiers.rules import YES_NO_SPELLINGS
from partnerspace.imports.columns import COLUMNS, headers_for
from partnerspace.imports.downloads import template_download
from partnerspace.imports.pipeline import Importer
from partnerspace.imports.reading import FileProblem, read_table
from partnerspace.imports.template_xlsx import PREPARED_ROWS, YES_NO, template_workbook

from .builders import DUTCH_HEADERS
from .rows import client_row, fill_workbook

pytestmark = pytest.mark.django_db


@pytest.fixture
def templates(firm_a):
    template_create(membership=firm_a.admin, name="Standaard", is_default=True)
    template_create(membership=firm_a.admin, name="Boekhouding, met BTW")


def sheets(content: bytes) -> dict[str, list[list]]:
    workbook = CalamineWorkbook.from_filelike(io.BytesIO(content))
    return {name: workbook.get_sheet_by_name(name).to_python() for name in workbook.sheet_names}


def part(content: bytes, name: str) -> str:
    return zipfile.ZipFile(io.BytesIO(content)).read(name).decode()


def sheet_states(content: bytes) -> list[tuple[str, str]]:
    workbook = part(content, "xl/workbook.xml")
    return [
        (name, state or "visible")
        for name, state in re.findall(
            r'<sheet name="([^"]+)" sheetId="\d+"(?: state="(\w+)")?', workbook
        )
    ]


def cell_formats(content: bytes) -> list[dict[str, str]]:
    """The cellXfs of styles.xml, each as its attributes."""
    styles = part(content, "xl/styles.xml")
    block = re.search(r"<cellXfs[^>]*>(.*?)</cellXfs>", styles, re.S)[1]
    return [dict(re.findall(r'(\w+)="([^"]*)"', xf)) for xf in re.findall(r"<xf ([^>]*)", block)]


def fills(content: bytes) -> list[str]:
    styles = part(content, "xl/styles.xml")
    block = re.search(r"<fills[^>]*>(.*?)</fills>", styles, re.S)[1]
    return re.findall(r"<fill>(.*?)</fill>", block, re.S)


def header_styles(content: bytes) -> list[int]:
    sheet = part(content, "xl/worksheets/sheet1.xml")
    return [int(s) for s in re.findall(r'<c r="[A-Q]1" s="(\d+)"', sheet)]


def validations(content: bytes) -> dict[str, dict[str, str]]:
    sheet = part(content, "xl/worksheets/sheet1.xml")
    found = {}
    for attributes, formula in re.findall(
        r"<dataValidation ([^>]*)><formula1>([^<]*)</formula1>", sheet
    ):
        values = dict(re.findall(r'(\w+)="([^"]*)"', attributes))
        values["formula"] = formula.replace("&apos;", "'")
        found[values["sqref"]] = values
    return found


# --------------------------------------------------------------------------------------
# Headers
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_headers_are_the_columns_in_the_users_language_in_order(firm_a, language):
    content = template_workbook(firm=firm_a.firm, language=language)
    first = next(iter(sheets(content).values()))

    assert first[0] == headers_for(language)


def test_the_dutch_headers_are_exactly_those_of_the_issue(firm_a):
    content = template_workbook(firm=firm_a.firm, language="nl")
    assert next(iter(sheets(content).values()))[0] == DUTCH_HEADERS


def test_a_regional_or_unknown_language_falls_back_sensibly(firm_a):
    assert next(iter(sheets(template_workbook(firm=firm_a.firm, language="fr-BE")).values()))[
        0
    ] == headers_for("fr")
    assert next(iter(sheets(template_workbook(firm=firm_a.firm, language="de")).values()))[
        0
    ] == headers_for("nl")


def test_required_headers_carry_the_star_and_their_own_style(firm_a):
    content = template_workbook(firm=firm_a.firm, language="en")
    headers = next(iter(sheets(content).values()))[0]
    styles = header_styles(content)
    formats = cell_formats(content)
    all_fills = fills(content)

    required = {column.label("en") for column in COLUMNS if column.required}
    assert {h for h in headers if h.endswith(" *")} == required
    assert len(required) == 6
    required_styles = {s for s, c in zip(styles, COLUMNS, strict=True) if c.required}
    optional_styles = {s for s, c in zip(styles, COLUMNS, strict=True) if not c.required}
    assert len(required_styles) == len(optional_styles) == 1
    assert required_styles != optional_styles
    (required_style,) = required_styles
    fill = all_fills[int(formats[required_style]["fillId"])]
    assert "1F4E79" in fill
    assert formats[required_style]["fontId"] != "0"  # bold, not the default font


def test_every_column_is_formatted_as_text_so_leading_zeros_stay(firm_a):
    content = template_workbook(firm=firm_a.firm, language="nl")
    sheet = part(content, "xl/worksheets/sheet1.xml")
    formats = cell_formats(content)
    covered = set()
    for first, last, style in re.findall(r'<col min="(\d+)" max="(\d+)" [^>]*style="(\d+)"', sheet):
        assert formats[int(style)]["numFmtId"] == "49"  # "@", Text
        covered |= set(range(int(first), int(last) + 1))
    assert covered == set(range(1, len(COLUMNS) + 1))
    assert 'numberStoredAsText="1"' in sheet


def test_the_header_row_is_frozen(firm_a):
    sheet = part(template_workbook(firm=firm_a.firm, language="nl"), "xl/worksheets/sheet1.xml")
    assert re.search(r'<pane ySplit="1" topLeftCell="A2" [^>]*state="frozen"', sheet)


def test_each_header_has_a_comment_with_its_rule_and_example(firm_a, templates):
    content = template_workbook(firm=firm_a.firm, language="fr")
    comments = dict(
        re.findall(
            r'<comment ref="([A-Q])1"[^>]*>(.*?)</comment>',
            part(content, "xl/comments1.xml"),
            re.S,
        )
    )

    assert len(comments) == len(COLUMNS)
    for letter, column in zip("ABCDEFGHIJKLMNOPQ", COLUMNS, strict=True):
        text = re.sub(r"<[^>]+>", "", comments[letter]).replace("&apos;", "'")
        assert column.hint("fr") in text
    assert "Standaard" in comments["Q"]
    assert "Boekhouding, met BTW" in comments["Q"]


# --------------------------------------------------------------------------------------
# Dropdowns
# --------------------------------------------------------------------------------------


def test_the_dropdowns_take_their_values_from_a_hidden_sheet(firm_a, templates):
    content = template_workbook(firm=firm_a.firm, language="nl")
    states = sheet_states(content)
    assert [state for _, state in states] == ["visible", "visible", "hidden"]
    hidden = states[2][0]
    lists = sheets(content)[hidden]
    column = {
        letter: [row[i] for row in lists if row[i] != ""] for i, letter in enumerate("ABCDEF")
    }

    countries = country_choices("nl")
    assert column["A"] == [code for code, _ in countries]
    assert column["B"] == [name for _, name in countries]
    assert column["A"][:5] == ["BE", "NL", "FR", "DE", "LU"]
    assert column["C"] == list(COMMON_LOCALES)
    assert column["E"] == ["Ja", "Nee"]
    assert column["F"] == ["Standaard", "Boekhouding, met BTW"]

    found = validations(content)
    last = PREPARED_ROWS + 1
    expected = {
        f"B2:B{last}": (f"'{hidden}'!$A$1:$A${len(countries)}", "information"),
        f"F2:F{last}": (f"'{hidden}'!$C$1:$C${len(COMMON_LOCALES)}", "information"),
        f"P2:P{last}": (f"'{hidden}'!$E$1:$E$2", "information"),
        f"Q2:Q{last}": (f"'{hidden}'!$F$1:$F$2", "warning"),
    }
    assert {ref: (v["formula"], v["errorStyle"]) for ref, v in found.items()} == expected
    assert all(v["type"] == "list" for v in found.values())


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_the_mandate_answers_are_in_the_workbooks_language_and_accepted(firm_a, language):
    content = template_workbook(firm=firm_a.firm, language=language)
    hidden = sheet_states(content)[2][0]
    words = [row[4] for row in sheets(content)[hidden] if row[4] != ""]

    assert words == list(YES_NO[language])
    assert [YES_NO_SPELLINGS[word.lower()] for word in words] == [True, False]


def test_without_templates_there_is_no_template_dropdown(firm_a):
    content = template_workbook(firm=firm_a.firm, language="nl")
    assert not any(ref.startswith("Q") for ref in validations(content))


def test_country_and_language_dropdowns_accept_values_outside_the_list(firm_a):
    """A country's name and any locale with a region pass the rules: the dropdown only
    informs (errorStyle information), it does not stop."""
    found = validations(template_workbook(firm=firm_a.firm, language="nl"))
    assert found[f"B2:B{PREPARED_ROWS + 1}"]["errorStyle"] == "information"
    assert found[f"F2:F{PREPARED_ROWS + 1}"]["errorStyle"] == "information"


def test_template_names_that_look_like_formulas_stay_text(firm_a):
    template_create(membership=firm_a.admin, name="=1+1")
    template_create(membership=firm_a.admin, name="@SUM(A1)")
    content = template_workbook(firm=firm_a.firm, language="nl")
    hidden = sheet_states(content)[2][0]

    assert [row[5] for row in sheets(content)[hidden] if row[5] != ""] == ["=1+1", "@SUM(A1)"]
    archive = zipfile.ZipFile(io.BytesIO(content))
    for name in archive.namelist():
        if name.startswith("xl/worksheets/"):
            assert "<f>" not in archive.read(name).decode()


# --------------------------------------------------------------------------------------
# Instructions
# --------------------------------------------------------------------------------------


def test_the_second_sheet_explains_every_column_and_lists_the_countries(firm_a, templates):
    content = template_workbook(firm=firm_a.firm, language="fr")
    states = sheet_states(content)
    instructions = sheets(content)[states[1][0]]
    cells = [str(value) for row in instructions for value in row if value != ""]

    for column in COLUMNS:
        assert column.label("fr") in cells
        assert column.hint("fr") in cells
    assert "Oui" in cells and "Non" in cells
    countries = dict(country_choices("fr"))
    assert countries["BE"] == "Belgique"
    rows = {(row[0], row[1]) for row in instructions}
    assert ("BE", "Belgique") in rows
    assert ("DE", countries["DE"]) in rows
    assert "Standaard" in cells


# --------------------------------------------------------------------------------------
# Reading it back
# --------------------------------------------------------------------------------------


def test_the_empty_template_reads_back_as_headers_without_rows(firm_a, templates):
    with pytest.raises(FileProblem) as refused:
        read_table(template_workbook(firm=firm_a.firm, language="nl"), filename="s.xlsx")
    assert (refused.value.code, refused.value.detail) == ("empty_file", {"reason": "no_rows"})


@pytest.mark.parametrize("language", ["nl", "fr", "en"])
def test_a_filled_in_template_imports(firm_a, templates, language):
    content = template_workbook(firm=firm_a.firm, language=language)
    yes = YES_NO[language][0]
    rows = [
        client_row(1, peppol_mandate=yes, template="Boekhouding, met BTW"),
        client_row(2, template="", contact_locale="fr-BE"),
    ]
    filled = fill_workbook(content, rows, "xl/worksheets/sheet1.xml")

    sheet = read_table(filled, filename="sjabloon.xlsx")
    outcome = Importer(firm=firm_a.firm).run(sheet)

    assert (outcome.created, outcome.errors) == (2, [])
    first = Client.objects.get(legal_name="Bakkerij 1 BV")
    assert first.peppol_mandate is True
    assert first.template_name == "Boekhouding, met BTW"
    assert first.company_number.startswith("0")
    assert Client.objects.get(legal_name="Bakkerij 2 BV").template_name == "Standaard"


# --------------------------------------------------------------------------------------
# The download
# --------------------------------------------------------------------------------------


def _get(membership, language="nl", slug=None):
    request = RequestFactory().get("/")
    request.user = membership.user
    request.LANGUAGE_CODE = language
    return template_download(request, firm_slug=slug or membership.firm.slug)


def test_the_download_is_the_template_in_the_persons_language(firm_a):
    response = _get(firm_a.manager, "fr")

    assert response.status_code == 200
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    assert next(iter(sheets(response.content).values()))[0] == headers_for("fr")


def test_an_accountant_may_not_download_the_template(firm_a):
    with pytest.raises(PermissionDenied):
        _get(firm_a.accountant)


def test_another_firms_template_is_not_found(firm_a, firm_b):
    with pytest.raises(Http404):
        _get(firm_b.admin, slug=firm_a.firm.slug)
