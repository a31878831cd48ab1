"""Column mapping: a file whose headers are not the template's, matched to the template's fields.

A firm's client list comes from its accounting package (Exact Online, Yuki, Octopus,
WinBooks) or from years of Excel, under headers such as "Naam", "Adres", "BTW-nummer" or
"Courriel". Each of the file's columns is matched to a field of the template (a key of
:data:`.columns.COLUMNS`), to one of two combined fields (``address``: "Kerkstraat 12 bus
3", split into street, number and box; ``contact_name``: "An Peeters", split into first
and last name), or to nothing (not imported).

- :func:`suggest` proposes a field per column, from Dutch, French and English synonyms
  matched fuzzily (case, accents and punctuation do not count) and from the shape of the
  column's values (valid VAT numbers, enterprise numbers, e-mail addresses, IBANs, by the
  identifiers' own rules);
- :func:`mapping_problems` says what is wrong with a mapping: a header the file does not
  have, a field that does not exist, a field given twice, a required field given to no
  column;
- :class:`HeaderRules` tells the reader (:func:`.reading.read_table`) how to name the
  columns: by the mapping, or (``raw``) by the file's own headers, for the mapping step;
- :func:`sheet_split` turns the combined columns of a read sheet into their parts, with a
  warning per row.

The firm's confirmed mapping is remembered by the file's :func:`signature`
(``ColumnMapping``) and suggested again for the next file with the same headers.

This module touches no model; its labels are plain data by language, like the columns'.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING

from partnerspace.identifiers import rules
from partnerspace.identifiers.messages import NOTE_MESSAGES

from .columns import COLUMN_BY_KEY, COLUMNS, REQUIRED_KEYS, _language, header_key, normalize_header

if TYPE_CHECKING:  # the reader imports this module
    from .reading import Sheet

__all__ = [
    "COMBINED",
    "FIELDS",
    "NOT_IMPORTED",
    "RAW_HEADERS",
    "FileColumn",
    "HeaderRules",
    "MappingProblem",
    "SplitNote",
    "field_label",
    "file_columns",
    "mapping_normalized",
    "mapping_problems",
    "sheet_split",
    "signature",
    "suggest",
]

NOT_IMPORTED = ""
ADDRESS = "address"
CONTACT_NAME = "contact_name"
# A combined field and the template fields it is split into.
COMBINED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        ADDRESS: ("street", "house_number", "box"),
        CONTACT_NAME: ("contact_first_name", "contact_last_name"),
    }
)
_COMBINED_LABELS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        ADDRESS: MappingProxyType(
            {
                "nl": "Adres (straat, nummer en bus samen)",
                "fr": "Adresse (rue, numéro et boîte ensemble)",
                "en": "Address (street, number and box together)",
            }
        ),
        CONTACT_NAME: MappingProxyType(
            {
                "nl": "Naam contactpersoon (voornaam en achternaam samen)",
                "fr": "Nom de la personne de contact (prénom et nom ensemble)",
                "en": "Contact name (first and last name together)",
            }
        ),
    }
)
# Every field a column may be mapped to, in the order a select offers them.
FIELDS: tuple[str, ...] = (*(column.key for column in COLUMNS), ADDRESS, CONTACT_NAME)

# Other headers people use, in Dutch, French and English, beside the columns' own labels and
# aliases (columns.py): those of real exports (Exact Online, Yuki, Octopus, WinBooks, Excel).
SYNONYMS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "legal_name": (
            "Naam", "Bedrijf", "Firmanaam", "Klantnaam", "Klant", "Relatienaam", "Relatie",
            "Naam relatie", "Naam klant", "Nom", "Nom du client", "Nom de l'entreprise",
            "Société", "Entreprise", "Client", "Name", "Company", "Client name",
            "Customer name", "Customer", "Account name", "Organisation", "Organization",
        ),
        "country": ("Landnaam", "Nom du pays", "Country name"),
        "contact_email": (
            "Email", "Mail", "E-mail adres", "Emailadres", "E-mail contact", "Courriel",
            "Adresse courriel", "E-mail address", "Email address",
        ),
        "contact_first_name": ("Voornaam contact", "Prénom du contact", "Given name"),
        "contact_last_name": ("Naam contact", "Nom du contact", "Surname", "Family name"),
        "contact_locale": (
            "Taalcode", "Correspondentietaal", "Voertaal", "Code langue", "Langue de "
            "correspondance", "Language code", "Correspondence language",
        ),
        "company_number": (
            "Ondernemingsnr", "KBO", "KBO nummer", "Numéro d'entreprise", "N° d'entreprise",
            "BCE", "Numéro BCE", "Registration number", "Company registration number",
        ),
        "vat_number": ("Btw", "BTW nr", "Btw-nummer", "TVA", "N° de TVA", "VAT", "VAT ID"),
        "external_reference": (
            "Code", "Klantcode", "Klantnummer", "Klantnr", "Relatiecode", "Relatienummer",
            "Code client", "Numéro client", "Numéro de client", "Customer code",
            "Customer number", "Account code", "Client code", "ID",
        ),
        "iban": ("Bankrekening", "Rekening", "Compte bancaire", "Compte", "Account number"),
        "street": ("Rue", "Street"),
        "house_number": ("Nr", "Huisnr", "Numéro", "N°", "No", "House number"),
        "box": ("Bus", "Bte", "Boîte", "Boîte postale", "Box"),
        "postal_code": ("Postcode", "Code postal", "CP", "Zip", "Postal code", "Post code"),
        "city": ("Woonplaats", "Plaats", "Gemeente", "Localité", "Commune", "Ville", "City"),
        "peppol_mandate": ("Peppol", "Mandaat Peppol", "Peppol mandat"),
        "template": ("Sjabloon", "Modèle", "Template"),
        ADDRESS: (
            "Adres", "Adresse", "Address", "Straat en nummer", "Straat + nummer", "Adresregel",
            "Adres regel 1", "Adresregel 1", "Rue et numéro", "Adresse ligne 1",
            "Street address", "Address line 1",
        ),
        CONTACT_NAME: (
            "Contactpersoon", "Contact", "Naam contactpersoon", "Volledige naam",
            "Personne de contact", "Nom du contact complet", "Nom complet", "Contact person",
            "Contact name", "Full name",
        ),
    }
)  # fmt: skip

# A header this close to a synonym (difflib's ratio, on the normalized texts) suggests it.
FUZZY_CUTOFF = 0.8
# The share of a column's sample values that must fit a field's rule for the shape to count.
SHAPE_SHARE = 0.8
# Scores: an exact synonym beats the shape of the values, which beats a near synonym.
_EXACT = 2.0
_SHAPE = 1.5


def _synonyms() -> dict[str, str]:
    """Normalized synonym -> field. A text that would mean two fields means the first."""
    table: dict[str, str] = {}
    for key in FIELDS:
        column = COLUMN_BY_KEY.get(key)
        texts: Iterable[str] = (key, *column.labels.values(), *column.aliases) if column else (key,)
        for text in (*texts, *SYNONYMS.get(key, ())):
            table.setdefault(normalize_header(text), key)
    return table


_SYNONYMS: Mapping[str, str] = MappingProxyType(_synonyms())


def field_label(key: str, language: str) -> str:
    """A field's name in ``language``, as a select offers it (without the required mark)."""
    if key in _COMBINED_LABELS:
        return _COMBINED_LABELS[key][_language(language)]
    return COLUMN_BY_KEY[key].label(language).rstrip(" *")


def signature(headers: Iterable[str]) -> str:
    """The file's header signature: the same for every export with the same headers (in
    any order, case or spelling of accents and punctuation)."""
    normalized = sorted({normalize_header(header) for header in headers} - {""})
    return hashlib.sha256("\x1f".join(normalized).encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class FileColumn:
    """One column of an uploaded file: its header and its first non-empty values."""

    header: str
    samples: tuple[str, ...]


# The rows read for the mapping step (the header and enough rows to find a few values in
# each column), and the values shown of each column.
MAPPING_ROWS = 200
SAMPLES = 3


def file_columns(sheet: Sheet) -> list[FileColumn]:
    """The columns of a sheet read by its own headers (HeaderRules.raw), each with its first
    non-empty values."""
    samples: list[list[str]] = [[] for _header in sheet.columns]
    for _number, values in sheet.rows:
        for found, value in zip(samples, values, strict=True):
            if value and len(found) < SAMPLES and value not in found:
                found.append(value)
    return [
        FileColumn(header, tuple(found))
        for header, found in zip(sheet.columns, samples, strict=True)
    ]


# Suggesting


def _name_scores(header: str) -> dict[str, float]:
    normalized = normalize_header(header)
    if not normalized:
        return {}
    exact = _SYNONYMS.get(normalized)
    if exact is not None:
        return {exact: _EXACT}
    scores: dict[str, float] = {}
    matcher = difflib.SequenceMatcher(a=normalized)
    for synonym, key in _SYNONYMS.items():
        if len(synonym) >= 4 and normalized.startswith(synonym):
            # "E-mailadres klant", "BTW-nummer klant": a synonym with a word after it
            ratio = FUZZY_CUTOFF + 0.15 * len(synonym) / len(normalized)
            scores[key] = max(scores.get(key, 0.0), ratio)
            continue
        matcher.set_seq2(synonym)
        if matcher.real_quick_ratio() < FUZZY_CUTOFF or matcher.quick_ratio() < FUZZY_CUTOFF:
            continue
        ratio = matcher.ratio()
        if ratio >= FUZZY_CUTOFF and ratio > scores.get(key, 0.0):
            scores[key] = ratio
    return scores


def _fits(rule, value: str, **options) -> bool:
    try:
        return rule(value, **options).value is not None
    except rules.IdentifierError:
        return False


def _shape_of(value: str) -> str | None:
    """The field a single value's shape says, by the identifiers' rules."""
    text = value.strip()
    if "@" in text:
        return "contact_email" if _fits(rules.email, text) else None
    if text[:2].isalpha() and _fits(rules.vat_number, text, country=None):
        return "vat_number" if text[:2].upper() != "BE" or _digits_after_prefix(text) else None
    if text[:2].isalpha() and _fits(rules.iban, text):
        return "iban"
    if _fits(rules.company_number, text):
        return "company_number"
    return None


def _digits_after_prefix(text: str) -> bool:
    return any(char.isdigit() for char in text[2:])


def shape(samples: Iterable[str]) -> str | None:
    """The field the column's values fit: VAT numbers, enterprise numbers, e-mail
    addresses or IBANs, when at least SHAPE_SHARE of the non-empty values fit it."""
    values = [value for value in samples if value.strip()]
    if not values:
        return None
    kinds: dict[str | None, int] = {}
    for value in values:
        kind = _shape_of(value)
        kinds[kind] = kinds.get(kind, 0) + 1
    best = max(kinds, key=lambda kind: kinds[kind])
    if best is None or kinds[best] < SHAPE_SHARE * len(values):
        return None
    return best


def suggest(
    columns: list[FileColumn], remembered: Mapping[str, str] | None = None
) -> dict[str, str]:
    """A field (or NOT_IMPORTED) for each column's header. A mapping the firm confirmed
    before for these headers (normalized header -> field) comes first; then each field goes
    to the column that fits it best, by name and by values, and to one column only."""
    if remembered:
        known = {
            column.header: remembered[normalize_header(column.header)]
            for column in columns
            if normalize_header(column.header) in remembered
        }
        if len(known) == len(columns) and not mapping_problems(known, [c.header for c in columns]):
            return {header: field for header, field in known.items() if field in FIELDS} | {
                header: NOT_IMPORTED for header in known if known[header] not in FIELDS
            }
    candidates: list[tuple[float, int, str]] = []
    for position, column in enumerate(columns):
        scores = _name_scores(column.header)
        fitting = shape(column.samples)
        if fitting is not None:
            exact = next((key for key, score in scores.items() if score >= _EXACT), None)
            # The two identifiers accept each other's spelling: a named one keeps its name.
            if not (exact in {"company_number", "vat_number"} and fitting != exact):
                scores[fitting] = scores.get(fitting, 0.0) + _SHAPE
        candidates += [(score, position, key) for key, score in scores.items()]
    candidates.sort(key=lambda item: (-item[0], item[1]))
    chosen: dict[int, str] = {}
    taken: set[str] = set()
    for _score, position, key in candidates:
        parts = set(COMBINED.get(key, (key,)))
        if position in chosen or key in taken or parts & taken:
            continue
        chosen[position] = key
        taken |= parts | {key}
        # a combined field takes its parts, and a part takes its combined field
        taken |= {combined for combined, split in COMBINED.items() if parts & set(split)}
    return {column.header: chosen.get(i, NOT_IMPORTED) for i, column in enumerate(columns)}


# Checking a mapping


@dataclass(frozen=True, slots=True)
class MappingProblem:
    """What is wrong with a mapping. ``code``: unknown_header (a header the file does not
    have), unknown_field, field_mapped_twice (``header`` the second column given it,
    ``holder`` the column given it, or a part of it, first), header_twice (``header`` given
    a field, though the import reads it as the same header as the earlier ``holder``, and
    reads only the first of them), required_unmapped (``field`` given to no column)."""

    code: str
    header: str = ""
    field: str = ""
    holder: str = ""


def mapping_problems(
    mapping: Mapping[str, str], headers: Iterable[str], *, complete: bool = False
) -> list[MappingProblem]:
    """Every problem of ``mapping`` ({file header: field}) for a file with ``headers``.

    Headers the mapping leaves out are read as the template's headers when they are
    (the API's and the command line's mapping names only the odd ones), unless
    ``complete`` (the page's form names every column)."""
    problems: list[MappingProblem] = []
    by_normalized: dict[str, str] = {}  # the first header of each spelling, as the reader
    for header in headers:
        by_normalized.setdefault(normalize_header(header), header)
    named: set[str] = set()
    used: dict[str, str] = {}

    def use(header: str, key: str) -> None:
        for part in (key, *COMBINED.get(key, ())):
            if part in used:
                problems.append(MappingProblem("field_mapped_twice", header, key, used[part]))
                return
        for part in (key, *COMBINED.get(key, ())):
            used[part] = header

    first_of: dict[str, str] = {}  # normalized header: the first header so written
    for header, key in mapping.items():
        normalized = normalize_header(header)
        if normalized not in by_normalized:
            problems.append(MappingProblem("unknown_header", header, key or ""))
            continue
        named.add(normalized)
        first = first_of.setdefault(normalized, header)
        if not key:
            continue
        if first != header:
            problems.append(MappingProblem("header_twice", header, key, first))
            continue
        if key not in FIELDS:
            problems.append(MappingProblem("unknown_field", header, key))
            continue
        use(header, key)
    if not complete:
        for normalized, header in by_normalized.items():
            known = header_key(header)
            if normalized not in named and known is not None:
                use(header, known)
    for key in REQUIRED_KEYS:
        if key not in used:
            problems.append(MappingProblem("required_unmapped", field=key))
    return problems


def mapping_normalized(mapping: Mapping[str, str]) -> dict[str, str]:
    """The mapping keyed by normalized header, as it is stored and given to the reader. Of
    two headers written alike ("Naam", "NAAM"), the first one's field: the reader reads the
    first column of them (mapping_problems refuses a field given to the second)."""
    normalized: dict[str, str] = {}
    for header, key in mapping.items():
        normalized.setdefault(normalize_header(header), key or NOT_IMPORTED)
    return normalized


# Reading


@dataclass(frozen=True, slots=True)
class HeaderRules:
    """How the reader finds the header row and names its columns.

    With ``mapping`` (normalized header -> field, or NOT_IMPORTED), a header the mapping
    names gets that field; any other is recognised as the template's header, or ignored.
    ``raw`` names each column by its own header (the mapping step reads the file so) and
    takes as header row the first of at least two cells; ``row_limit`` stops after that many
    rows."""

    mapping: Mapping[str, str] = dataclasses.field(default_factory=dict)
    raw: bool = False
    row_limit: int | None = None

    def key(self, text: str) -> str | None:
        if self.raw:
            return text.strip() or None
        normalized = normalize_header(text)
        if normalized in self.mapping:
            return self.mapping[normalized] or None
        return header_key(text)

    def is_header(self, keys: set[str]) -> bool:
        if self.raw:
            return len(keys) >= 2
        return not self.missing(keys) or len(keys) >= 3

    def missing(self, keys: set[str]) -> list[str]:
        if self.raw:
            return []
        covered = set(keys)
        for key in keys:
            covered.update(COMBINED.get(key, ()))
        return [key for key in REQUIRED_KEYS if key not in covered]

    def spec(self) -> dict:
        """As JSON, for the reading process (imports.isolation)."""
        return {"mapping": dict(self.mapping), "raw": self.raw, "row_limit": self.row_limit}

    @classmethod
    def from_spec(cls, spec: Mapping) -> HeaderRules:
        return cls(mapping=dict(spec["mapping"]), raw=spec["raw"], row_limit=spec["row_limit"])


@dataclass(frozen=True, slots=True)
class SplitNote:
    """A warning of a combined cell split into its parts; reads like the rules' repairs."""

    field: str
    code: str
    value: str
    normalized: str
    routine = False

    @property
    def message(self) -> str:
        return str(NOTE_MESSAGES[self.code]) % {
            "original": self.value,
            "normalized": self.normalized,
        }


def sheet_split(sheet: Sheet) -> Sheet:
    """The sheet with its combined columns (address, contact_name) replaced by their
    parts, and a SplitNote for each row whose cell was split. A part the file also has a
    column of keeps that column's value (the mapping refuses that; a raw read never
    combines). A sheet without combined columns is returned as it is."""
    combined = [i for i, key in enumerate(sheet.columns) if key in COMBINED]
    if not combined:
        return sheet
    kept = [i for i, key in enumerate(sheet.columns) if key not in COMBINED]
    added = [
        part for i in combined for part in COMBINED[sheet.columns[i]] if part not in sheet.columns
    ]
    columns = tuple(sheet.columns[i] for i in kept) + tuple(added)
    notes: dict[int, list[SplitNote]] = {}
    rows = []
    for number, values in sheet.rows:
        parts: dict[str, str] = {}
        for i in combined:
            split = _split_cell(sheet.columns[i], values[i])
            if split is not None:
                parts.update(split[0])
                notes.setdefault(number, []).append(split[1])
        split_values = tuple(parts.get(part, "") for part in added)
        rows.append((number, tuple(values[i] for i in kept) + split_values))
    return dataclasses.replace(
        sheet,
        columns=columns,
        rows=rows,
        split_notes={**sheet.split_notes, **notes},
    )


def _split_cell(key: str, text: str) -> tuple[dict[str, str], SplitNote] | None:
    """The parts of one combined cell, and the warning that says so; None when blank."""
    if key == ADDRESS:
        address = rules.split_address(text)
        if address is None:
            return None
        parts = (address.street, address.house_number, address.box)
        code = "address_split" if address.house_number else "address_not_split"
        shown = " / ".join(part for part in parts if part)
        return dict(zip(COMBINED[ADDRESS], parts, strict=True)), SplitNote(
            "street", code, text, shown
        )
    name = rules.split_name(text)
    if name is None:
        return None
    names = (name.first_name, name.last_name)
    shown = " / ".join(names)
    return dict(zip(COMBINED[CONTACT_NAME], names, strict=True)), SplitNote(
        "contact_first_name", "name_split", text, shown
    )


# How the mapping step reads a file: each column by its own header, the first rows only.
RAW_HEADERS = HeaderRules(raw=True, row_limit=MAPPING_ROWS)
