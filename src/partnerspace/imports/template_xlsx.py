"""The import template (Klanten → Klanten importeren → Download sjabloon), written with XlsxWriter.

The first sheet holds the header row of :data:`.columns.COLUMNS` in the user's language,
required columns marked ``*`` and styled, each header with a comment giving its rule and an
example. Every column is formatted as text, so Excel keeps the leading zero of an enterprise
number or a postal code and turns no value into a date or a formula. Country, contact
language, mandate and template get a dropdown whose values live on a hidden sheet; a second
visible sheet explains how to fill the file in.

Countries appear in their dropdown as plain letter codes, because the cell must hold a value
the import accepts: an entry such as "BE — België" would be refused. The names stand beside
the codes on the hidden sheet and in a table on the instructions sheet. The country and
language dropdowns only inform: the import also accepts a country's name and any language
with a region, so a value outside the list is kept after a notice.

The pieces the export and the error report share (header row, text columns, dropdowns) live
here too, so that the three files look alike and are read back the same way.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType

import xlsxwriter
from django.utils import translation
from django.utils.translation import gettext as _

from partnerspace.identifiers.choices import COMMON_COUNTRIES, COMMON_LOCALES, country_choices
from partnerspace.identifiers.choices import locale_name as _locale_name
from partnerspace.imports.columns import COLUMNS, LANGUAGES, REFERENCE_LANGUAGE, Column
from partnerspace.imports.reading import MAX_ROWS

__all__ = [
    "PREPARED_ROWS",
    "WORKBOOK_OPTIONS",
    "YES_NO",
    "language_code",
    "template_workbook",
]

# Rows under the header that get the dropdowns.
PREPARED_ROWS = 1000

# A cell's text stays text: no formula, number or link is made of what a client's data holds.
WORKBOOK_OPTIONS = MappingProxyType(
    {"strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
)

# The mandate's answers in each language; the rules accept every one of them.
YES_NO = MappingProxyType({"nl": ("Ja", "Nee"), "fr": ("Oui", "Non"), "en": ("Yes", "No")})

TEXT = 49  # Excel's built-in "Text" number format, "@"
REQUIRED_FILL = "#1F4E79"
OPTIONAL_FILL = "#DDEBF7"
AUTHOR = "Partner Space"
_LAST_ROW = MAX_ROWS  # 0-based: the header and MAX_ROWS rows under it


def language_code(language: str | None) -> str:
    """ "fr-BE" → "fr"; a language the import does not speak → Dutch."""
    code = (language or "").replace("_", "-").split("-")[0].lower()
    return code if code in LANGUAGES else REFERENCE_LANGUAGE


def template_workbook(*, firm, language: str) -> bytes:
    """The .xlsx template for ``firm`` with headers, dropdowns and instructions in ``language``."""
    from partnerspace.configuration.models import ConfigurationTemplate

    code = language_code(language)
    templates = list(
        ConfigurationTemplate.objects.filter(firm=firm)
        .order_by("-is_default", "name")
        .values_list("name", "is_default")
    )
    buffer = io.BytesIO()
    with translation.override(code):
        workbook = xlsxwriter.Workbook(buffer, {"in_memory": True, **WORKBOOK_OPTIONS})
        workbook.set_properties(
            {"title": _("Client import template"), "author": AUTHOR, "company": firm.name}
        )
        styles = Styles(workbook)
        sheet = workbook.add_worksheet(data_sheet_name())
        instructions = workbook.add_worksheet(_sheet_name(_("Instructions")))
        lists = add_lists(workbook, code, [name for name, _default in templates])
        write_header_row(sheet, styles, code, row=0, comments=True, templates=templates)
        prepare_columns(sheet, styles, code, first_row=1)
        add_dropdowns(sheet, lists, code, first_row=1, last_row=PREPARED_ROWS)
        _write_instructions(instructions, styles, code, templates)
        sheet.activate()
        workbook.close()
    return buffer.getvalue()


def data_sheet_name() -> str:
    return _sheet_name(_("Clients"))


def _sheet_name(text: str) -> str:
    """A valid sheet name: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in str(text)).strip("' ")
    return cleaned[:31] or "Sheet"


# --------------------------------------------------------------------------------------
# Shared by the template, the export and the error report
# --------------------------------------------------------------------------------------


class Styles:
    """The formats the three workbooks use, made once per workbook."""

    def __init__(self, workbook):
        header = {"bold": True, "border": 1, "valign": "top", "text_wrap": True}
        self.required = workbook.add_format(
            {**header, "bg_color": REQUIRED_FILL, "font_color": "#FFFFFF"}
        )
        self.optional = workbook.add_format({**header, "bg_color": OPTIONAL_FILL})
        self.text = workbook.add_format({"num_format": TEXT})
        self.bad = workbook.add_format(
            {"num_format": TEXT, "bg_color": "#FFC7CE", "font_color": "#9C0006"}
        )
        self.wrap = workbook.add_format({"num_format": TEXT, "text_wrap": True, "valign": "top"})
        self.title = workbook.add_format({"bold": True, "font_size": 14})
        self.bold = workbook.add_format({"bold": True})
        self.note = workbook.add_format({"bold": True, "font_color": "#9C0006"})
        self.top = workbook.add_format({"text_wrap": True, "valign": "top"})


def column_width(column: Column, language: str) -> float:
    wide = {"legal_name": 34, "contact_email": 32, "street": 26, "city": 20, "iban": 24}
    return max(wide.get(column.key, 12), min(len(column.label(language)) + 3, 40))


def write_header_row(
    sheet,
    styles: Styles,
    language: str,
    *,
    row: int,
    comments: bool = False,
    templates: Sequence[tuple[str, bool]] = (),
) -> None:
    """The 17 headers in ``language``, required ones marked and styled, frozen in place."""
    sheet.set_row(row, 32)
    for index, column in enumerate(COLUMNS):
        style = styles.required if column.required else styles.optional
        sheet.write_string(row, index, column.label(language), style)
        if comments:
            text = header_comment(column, language, templates)
            lines = sum(1 + len(line) // 55 for line in text.splitlines())
            sheet.write_comment(
                row,
                index,
                text,
                {"author": AUTHOR, "x_scale": 2.2, "y_scale": max(1.5, lines * 0.4)},
            )
    sheet.freeze_panes(row + 1, 0)


def header_comment(column: Column, language: str, templates: Sequence[tuple[str, bool]]) -> str:
    """The rule and example of a column, with what this firm's file adds to it."""
    parts = [column.hint(language)]
    if column.key == "country":
        names = dict(country_choices(language))
        common = ", ".join(f"{code} = {names.get(code, code)}" for code in COMMON_COUNTRIES)
        parts.append(
            _(
                "The list holds the letter codes; every code and its country are on the "
                "sheet %(sheet)s. %(common)s."
            )
            % {"sheet": _sheet_name(_("Instructions")), "common": common}
        )
    elif column.key == "contact_locale":
        parts.append(
            _("Other languages with a region are accepted too, for example it-IT or es-ES.")
        )
    elif column.key == "template":
        if templates:
            default = next((name for name, is_default in templates if is_default), None)
            parts.append(
                _("Your firm's templates: %(names)s.")
                % {"names": ", ".join(name for name, _default in templates)}
            )
            if default:
                parts.append(
                    _("An empty cell means the default template, %(name)s.") % {"name": default}
                )
        else:
            parts.append(_("Your firm has no templates yet: leave this column empty."))
    return "\n\n".join(parts)


def prepare_columns(
    sheet, styles: Styles, language: str, *, first_row: int, last_row: int = _LAST_ROW
) -> None:
    """Every column formatted as text, wide enough to read, with Excel's "number stored as
    text" triangles switched off where the numbers are meant to be text."""
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, column_width(column, language), styles.text)
    last = xlsxwriter.utility.xl_col_to_name(len(COLUMNS) - 1)
    sheet.ignore_errors({"number_stored_as_text": f"A{first_row + 1}:{last}{last_row + 1}"})


@dataclass(frozen=True)
class Lists:
    """Where each dropdown's values are: a formula range on the hidden sheet, or None."""

    countries: str
    locales: str
    yes_no: str
    templates: str | None


def add_lists(workbook, language: str, template_names: Sequence[str]) -> Lists:
    """The hidden sheet holding the dropdowns' values (template names may contain commas,
    which an inline list cannot hold). Country names stand beside their codes."""
    name = _sheet_name(_("Lists"))
    sheet = workbook.add_worksheet(name)
    quoted = "'" + name.replace("'", "''") + "'"
    countries = country_choices(language)
    columns = (
        [code for code, _name in countries],
        [name for _code, name in countries],
        list(COMMON_LOCALES),
        [_locale_name(locale, language) for locale in COMMON_LOCALES],
        list(YES_NO[language]),
        list(template_names),
    )
    sheet.set_column(0, 5, 18)
    # Row by row: in constant_memory mode (the export) a row cannot be written to again.
    for row in range(max(map(len, columns))):
        for col, values in enumerate(columns):
            if row < len(values):
                sheet.write_string(row, col, values[row])
    sheet.hide()

    def column(letter: str, count: int) -> str:
        return f"={quoted}!${letter}$1:${letter}${count}"

    return Lists(
        countries=column("A", len(countries)),
        locales=column("C", len(COMMON_LOCALES)),
        yes_no=column("E", 2),
        templates=column("F", len(template_names)) if template_names else None,
    )


def add_dropdowns(sheet, lists: Lists, language: str, *, first_row: int, last_row: int) -> None:
    """Dropdowns on the country, language, mandate and template columns of these rows."""
    keys = [column.key for column in COLUMNS]
    if last_row < first_row:
        return

    def dropdown(key: str, source: str, kind: str, message: str) -> None:
        col = keys.index(key)
        sheet.data_validation(
            first_row,
            col,
            last_row,
            col,
            {
                "validate": "list",
                "source": source,
                "error_type": kind,
                "error_title": _("Not in the list")[:32],
                "error_message": message[:255],
            },
        )

    dropdown(
        "country",
        lists.countries,
        "information",
        _("Not a code from the list. A country's name in Dutch, French, German or English is "
          "accepted too; anything else is refused when you import."),
    )  # fmt: skip
    dropdown(
        "contact_locale",
        lists.locales,
        "information",
        _("Not in the list. Any language with a region (such as it-IT) is accepted too; "
          "anything else is refused when you import."),
    )  # fmt: skip
    yes, no = YES_NO[language]
    dropdown(
        "peppol_mandate",
        lists.yes_no,
        "information",
        _("Answer %(yes)s or %(no)s; other spellings of yes and no are accepted too.")
        % {"yes": yes, "no": no},
    )
    if lists.templates:
        dropdown(
            "template",
            lists.templates,
            "warning",
            _("Your firm has no template with this name: the row will be refused when you "
              "import. Leave the cell empty for the default template."),
        )  # fmt: skip


# --------------------------------------------------------------------------------------
# The instructions sheet
# --------------------------------------------------------------------------------------


def _write_instructions(sheet, styles: Styles, language: str, templates) -> None:
    sheet.set_column(0, 0, 34, styles.top)
    sheet.set_column(1, 1, 30, styles.top)
    sheet.set_column(2, 2, 90, styles.top)
    row = 0
    sheet.write_string(row, 0, _("How to fill in this file"), styles.title)
    row += 2
    steps = (
        _("Enter one client per row on the sheet %(sheet)s, from the second row on. Keep the "
          "header row; the order of the columns does not matter and optional columns may be "
          "left out.") % {"sheet": data_sheet_name()},
        _("Columns marked with * are required. Point at a header to read its rule and an "
          "example."),
        _("Every column is formatted as text, so enterprise numbers and postal codes keep "
          "their leading zeros. When you copy from another file, paste the values only."),
        _("Country, language, mandate and template offer a list to choose from."),
        _("Upload the file at Clients → Import clients. You see every problem before anything "
          "is imported; the refused rows can be downloaded, corrected and uploaded again."),
        _("A client whose enterprise number, VAT number or external reference is already in "
          "Partner Space is refused, unless you import in update mode: then the row updates "
          "that client, and an empty cell keeps what is known."),
    )  # fmt: skip
    for number, step in enumerate(steps, start=1):
        sheet.write_string(row, 0, f"{number}.", styles.bold)
        sheet.merge_range(row, 1, row, 2, step, styles.top)
        sheet.set_row(row, 32)
        row += 1
    row += 1
    yes, no = YES_NO[language]
    sheet.write_string(row, 0, _("Column"), styles.optional)
    sheet.write_string(row, 1, _("Required"), styles.optional)
    sheet.write_string(row, 2, _("Rule and example"), styles.optional)
    row += 1
    for column in COLUMNS:
        sheet.write_string(row, 0, column.label(language), styles.top)
        sheet.write_string(row, 1, yes if column.required else no, styles.top)
        sheet.write_string(row, 2, column.hint(language), styles.top)
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Your firm's templates"), styles.bold)
    row += 1
    if not templates:
        sheet.write_string(row, 0, _("None yet: leave the column empty."))
        row += 1
    for name, is_default in templates:
        sheet.write_string(row, 0, name)
        if is_default:
            sheet.write_string(row, 1, _("default: used when the cell is empty"))
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Languages in the list"), styles.bold)
    row += 1
    for locale in COMMON_LOCALES:
        sheet.write_string(row, 0, locale)
        sheet.write_string(row, 1, _locale_name(locale, language))
        row += 1
    row += 1
    sheet.write_string(row, 0, _("Countries: code and name"), styles.bold)
    row += 1
    for code, name in country_choices(language):
        sheet.write_string(row, 0, code)
        sheet.write_string(row, 1, name)
        row += 1
