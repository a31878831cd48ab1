"""Reading the register: what is loaded, a company by its number, companies by name.

The register is public data shared by every firm of the installation: these reads take no
membership. Codes (legal form, situation, ...) are answered as text in the active language,
from the copy's own code table: the files have Dutch, French and some German, no English yet,
so English falls back to Dutch, then French.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.db import connection
from django.db.models import BooleanField, Exists, F, Func, OuterRef, QuerySet
from django.http import Http404
from django.utils import translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from partnerspace.firms.models import Membership
from partnerspace.identifiers import rules
from partnerspace.register import kbo, tables
from partnerspace.register.counts import count_cached
from partnerspace.register.models import (
    KINDS_WITH_FIELDS,
    ChangeKind,
    ChangeState,
    RegisterChange,
    RegisterExtract,
)

LIVE = tables.LIVE
SEAT = "REGO"
LEGAL_NAME = "001"
# Denomination languages (code table "Language") as ISO codes.
NAME_LANGUAGES = {"1": "fr", "2": "nl", "3": "de", "4": "en"}
_LANGUAGE_CODES = {iso: code for code, iso in NAME_LANGUAGES.items()}
MAX_SEARCH_RESULTS = 50
# Candidates read from the search index for each result asked: names of one enterprise
# (legal name, abbreviation, commercial name) come out together.
_CANDIDATES_PER_RESULT = 5
POSTGRES_CANDIDATES = 200
_NUMBER_QUERY = re.compile(r"^(?:be)?[\d\s./\-]+$", re.IGNORECASE)
_MIN_NUMBER_PREFIX = 4


@dataclass(frozen=True)
class RegisterCopy:
    """What the register holds: the extract last applied and the date of its snapshot."""

    snapshot_date: date
    extract_number: int
    extract_timestamp: datetime | None
    kind: str
    applied_at: datetime


@dataclass(frozen=True)
class Coded:
    code: str
    label: str


@dataclass(frozen=True)
class RegisterName:
    name: str
    language: str  # "nl", "fr", "de", "en", or "" (unknown)
    language_label: str
    type: Coded


@dataclass(frozen=True)
class RegisterAddress:
    type: Coded
    street: str
    house_number: str
    box: str
    postal_code: str
    municipality: str
    country: str | None  # ISO code; "BE" for a Belgian address; None when not recognised
    country_name: str
    extra: str
    struck_off_on: date | None


@dataclass(frozen=True)
class RegisterContact:
    type: Coded
    entity_contact: str
    value: str


@dataclass(frozen=True)
class RegisterCompany:
    number: str
    type: Coded
    situation: Coded
    legal_form: Coded | None
    legal_form_cac: Coded | None
    start_date: date | None
    legal_name: str
    names: list[RegisterName]
    seat: RegisterAddress | None
    addresses: list[RegisterAddress]
    contacts: list[RegisterContact]
    copy: RegisterCopy


@dataclass(frozen=True)
class RegisterMatch:
    number: str
    name: str  # the name that matched
    legal_name: str
    legal_form: str
    postal_code: str
    municipality: str


def register_copy() -> RegisterCopy | None:
    """What is loaded, or None when no full extract ever was."""
    record = RegisterExtract.objects.order_by("-id").first()
    if record is None:
        return None
    return RegisterCopy(
        snapshot_date=record.snapshot_date,
        extract_number=record.extract_number,
        extract_timestamp=record.extract_timestamp,
        kind=record.kind,
        applied_at=record.applied_at,
    )


# Codes: read once per copy and process.

Codes = dict[tuple[str, str], dict[str, str]]

_codes_lock = threading.Lock()
_codes_key: list[tuple[int, datetime] | None] = [None]
_codes_map: list[Codes] = [{}]


def codes_forget() -> None:
    with _codes_lock:
        _codes_key[0] = None
        _codes_map[0] = {}


def _code_map(copy: RegisterCopy) -> Codes:
    key = (copy.extract_number, copy.applied_at)
    with _codes_lock:
        if _codes_key[0] == key:
            return _codes_map[0]
    descriptions: Codes = {}
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT category, code, language, description FROM {LIVE}code")
        for category, code, language, description in cursor.fetchall():
            descriptions.setdefault((category, code), {})[language] = description
    with _codes_lock:
        _codes_key[0], _codes_map[0] = key, descriptions
    return descriptions


def _preferred_languages() -> tuple[str, ...]:
    language = (translation.get_language() or "nl")[:2].upper()
    order = {"FR": ("FR", "NL", "DE"), "DE": ("DE", "NL", "FR"), "NL": ("NL", "FR", "DE")}
    return order.get(language, (language, "NL", "FR", "DE"))


def _label(codes: Codes, category: str, code: str | None) -> str:
    by_language = codes.get((category, code or ""), {})
    for language in _preferred_languages():
        label = by_language.get(language)
        if label:
            return label
    return code or ""


def _coded(codes: Codes, category: str, code: str | None) -> Coded | None:
    if not code:
        return None
    return Coded(code=code, label=_label(codes, category, code))


def _in_language(nl: str | None, fr: str | None) -> str:
    """Of a Dutch and a French spelling, the asker's; the other when it is missing."""
    first, second = (fr, nl) if _preferred_languages()[0] == "FR" else (nl, fr)
    return first or second or ""


def _iso_date(value: object) -> date | None:
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def normalized_number(raw: str) -> str | None:
    """The 10-digit enterprise number of an enterprise or BE VAT number in any spelling, or
    None when it is not a valid one (the identifiers' rule)."""
    try:
        return rules.company_number(raw, country="BE").value
    except rules.IdentifierError:
        return None


def _company_sql() -> str:
    """A company's enterprise, names, addresses and contacts in one round trip: each row
    tagged with its table, in columns as wide as an address (the rest NULL)."""
    address = tables.columns("address")[1:]
    width = len(address)

    def part(tag: str, table: str, first: str, values: list[str]) -> str:
        padded = [*values, *(["NULL"] * (width - len(values)))]
        return f"SELECT '{tag}', {first}, {', '.join(padded)} FROM {LIVE}{table} WHERE number = %s"

    return " UNION ALL ".join(
        [
            part(
                "e",
                "enterprise",
                "0",
                ["type", "situation", "form", "form_cac", "CAST(start_date AS text)"],
            ),
            part("n", "name", "id", ["language", "type", "name"]),
            part("a", "address", "0", [*address[:-1], "CAST(struck_off_on AS text)"]),
            part("c", "contact", "0", ["entity_contact", "type", "value"]),
        ]
    )


_COMPANY_SQL = _company_sql()


def register_company_get(number: str) -> RegisterCompany | None:
    """The company with this enterprise number (or BE VAT number, any spelling) in the
    register; None when it is not there (not active, newer than the copy, no copy loaded)."""
    normalized = normalized_number(number) if number else None
    copy = register_copy()
    if normalized is None or copy is None:
        return None
    number = normalized
    with connection.cursor() as cursor:
        cursor.execute(_COMPANY_SQL, [number] * 4)
        found: dict[str, list[tuple[Any, ...]]] = {"e": [], "n": [], "a": [], "c": []}
        for tag, *values in cursor.fetchall():
            found[tag].append(tuple(values))
    if not found["e"]:
        return None
    row = (number, *found["e"][0][1:6])
    name_rows = [
        (language, type_, name)
        for _id, language, type_, name in sorted(
            (values[:4] for values in found["n"]), key=lambda n: (n[2], n[1], n[0])
        )
    ]
    address_rows = [values[1:] for values in found["a"]]
    contact_rows = [values[1:4] for values in found["c"]]
    codes = _code_map(copy)
    _number, kind, situation, form, form_cac, start = row
    names = [
        RegisterName(
            name=name,
            language=NAME_LANGUAGES.get(language, ""),
            language_label=_label(codes, "Language", language),
            type=Coded(type_, _label(codes, "TypeOfDenomination", type_)),
        )
        for language, type_, name in name_rows
    ]
    addresses = [_address(codes, values) for values in address_rows]
    seat = next((a for a in addresses if a.type.code == SEAT), None)
    return RegisterCompany(
        number=number,
        type=Coded(kind, _label(codes, "TypeOfEnterprise", kind)),
        situation=Coded(situation, _label(codes, "JuridicalSituation", situation)),
        legal_form=_coded(codes, "JuridicalForm", form),
        legal_form_cac=_coded(codes, "JuridicalForm", form_cac),
        start_date=_iso_date(start),
        legal_name=_legal_name([(n.language, n.type.code, n.name) for n in names]),
        names=names,
        seat=seat,
        addresses=addresses,
        contacts=[
            RegisterContact(
                type=Coded(type_, _label(codes, "ContactType", type_)),
                entity_contact=entity_contact,
                value=value,
            )
            for entity_contact, type_, value in contact_rows
        ],
        copy=copy,
    )


@dataclass(frozen=True)
class RegisterBrief:
    """What a door that fills a client needs of a company: its names and its seat."""

    number: str
    legal_name: str
    names: tuple[str, ...]
    seat: RegisterAddress | None  # in the asker's language
    # The seat in Dutch and in French: a client may write either.
    seat_spellings: tuple[RegisterAddress, ...] = ()


def register_companies_brief(
    numbers: list[str], *, copy: RegisterCopy | None
) -> dict[str, RegisterBrief]:
    """The companies of these enterprise numbers (10 digits) that the register `copy`
    (register_copy()) holds, by number, in one query: an import looks up a whole batch of
    rows at once. Empty when no copy is loaded."""
    wanted = sorted(set(numbers))
    if copy is None or not wanted:
        return {}
    codes = _code_map(copy)
    address_columns = ", ".join(f"a.{name}" for name in tables.columns("address")[1:])
    found: dict[str, tuple[list[tuple[str, str, str]], tuple[Any, ...] | None]] = {}
    with connection.cursor() as cursor:
        marks = ", ".join(["%s"] * len(wanted))
        cursor.execute(
            f"SELECT e.number, n.language, n.type, n.name, {address_columns} "
            f"FROM {LIVE}enterprise e "
            f"LEFT JOIN {LIVE}name n ON n.number = e.number "
            f"LEFT JOIN {LIVE}address a ON a.number = e.number AND a.type = %s "
            f"WHERE e.number IN ({marks}) ORDER BY e.number, n.id",
            [SEAT, *wanted],
        )
        for number, language, type_, name, *address in cursor.fetchall():
            names, seat = found.setdefault(number, ([], None))
            if seat is None and address[0] is not None:
                found[number] = (names, tuple(address))
            named = (NAME_LANGUAGES.get(language, ""), type_, name)
            if name and named not in names:
                names.append(named)
    return {
        number: RegisterBrief(
            number=number,
            legal_name=_legal_name(names),
            names=tuple(name for _language, _type, name in names),
            seat=_address(codes, seat) if seat is not None else None,
            seat_spellings=_spellings(codes, seat) if seat is not None else (),
        )
        for number, (names, seat) in found.items()
    }


def _spellings(codes: Codes, values: tuple[Any, ...]) -> tuple[RegisterAddress, ...]:
    spellings = []
    for language in ("nl", "fr"):
        with translation.override(language):
            spellings.append(_address(codes, values))
    return tuple(spellings)


# A legal form written after (or before) a name leaves it the same company's name.
LEGAL_FORM_WORDS = frozenset(
    ("bv", "bvba", "nv", "cv", "cvba", "comm", "commv", "vof", "vzw", "ivzw", "gcv", "gv",
     "sa", "srl", "sprl", "sc", "scrl", "scs", "snc", "scomm", "asbl", "aisbl", "se")
)  # fmt: skip


def _bare_name(name: str) -> tuple[str, ...]:
    words = kbo.words_of(name)
    while words and words[-1] in LEGAL_FORM_WORDS:
        words.pop()
    while words and words[0] in LEGAL_FORM_WORDS:
        words.pop(0)
    return tuple(words)


def name_is_known(name: str, names: tuple[str, ...] | list[str]) -> bool:
    """The name is one of `names` (a company's names in the register), in any case and
    accents, with or without its legal form."""
    return _bare_name(name) in bare_names(names)


def bare_names(names: Iterable[str]) -> frozenset[tuple[str, ...]]:
    """Names as name_is_known compares them: made once for many clients of one company."""
    return frozenset(_bare_name(known) for known in names)


def name_is_among(name: str, bare: frozenset[tuple[str, ...]]) -> bool:
    return _bare_name(name) in bare


def _legal_name(names: list[tuple[str, str, str]]) -> str:
    """Of (language iso, type, name), the legal name in the asker's language, else the first
    legal name, else the first name."""
    wanted = [language.lower() for language in _preferred_languages()]
    legal = [(language, name) for language, type_, name in names if type_ == LEGAL_NAME]
    for language in wanted:
        for name_language, name in legal:
            if name_language == language:
                return name
    if legal:
        return legal[0][1]
    return names[0][2] if names else ""


def _country_code(country_nl: str | None, country_fr: str | None) -> str | None:
    """The ISO code of a foreign address's country, from its Dutch or else its French name
    in the register; None when neither is a country the identifier rules know."""
    for spelling in (country_nl, country_fr):
        try:
            country = rules.country(spelling).value if spelling else None
        except rules.IdentifierError:
            country = None
        if country:
            return country
    return None


def _address(codes: Codes, values: tuple[Any, ...]) -> RegisterAddress:
    (
        type_,
        country_nl,
        country_fr,
        zipcode,
        municipality_nl,
        municipality_fr,
        street_nl,
        street_fr,
        house_number,
        box,
        extra,
        struck_off_on,
    ) = values
    if country_nl or country_fr:
        country_name = _in_language(country_nl, country_fr)
        country = _country_code(country_nl, country_fr)
    else:
        country, country_name = "BE", _in_language("België", "Belgique")
    return RegisterAddress(
        type=Coded(type_, _label(codes, "TypeOfAddress", type_)),
        street=_in_language(street_nl, street_fr),
        house_number=house_number or "",
        box=box or "",
        postal_code=zipcode or "",
        municipality=_in_language(municipality_nl, municipality_fr),
        country=country,
        country_name=country_name,
        extra=extra or "",
        struck_off_on=_iso_date(struck_off_on),
    )


# Search


def search_expression(query: str) -> tuple[list[str], str] | None:
    """The whole words and the last word (a prefix) of a query, folded; None when nothing
    can be searched."""
    words = kbo.words_of(query)[:8]
    if not words:
        return None
    return words[:-1], words[-1]


def register_companies_search(query: str, limit: int = 10) -> list[RegisterMatch]:
    """The best `limit` companies whose names hold every word of `query`, in any order and
    any case, without regard to accents, the last word as a prefix; or, for a query of
    digits (an enterprise or VAT number being typed), the companies whose number starts so.

    Best: names whose words say most of them first (fewer words), legal names before
    commercial names and abbreviations (the order of the names' ids)."""
    limit = max(1, min(limit, MAX_SEARCH_RESULTS))
    query = (query or "").strip()
    copy = register_copy() if query else None
    if copy is None:
        return []
    if _NUMBER_QUERY.match(query):
        digits = rules.digits_of(query)
        if len(digits) >= _MIN_NUMBER_PREFIX:
            return _by_number_prefix(copy, digits, limit)
    expression = search_expression(query)
    if expression is None:
        return []
    whole, last = expression
    short_last = len(last) < 2
    if short_last and not whole:
        return []  # one letter: everything matches; nothing to show yet
    candidates = _name_candidates(whole, None if short_last else last, limit, wide=short_last)
    matches: dict[str, str] = {}
    for number, name, words in candidates:
        if number in matches:
            continue
        if short_last and not any(word.startswith(last) for word in words.split()):
            continue
        matches[number] = name
    return _summaries(copy, list(matches.items()), limit)


def _name_candidates(
    whole: list[str], last: str | None, limit: int, *, wide: bool
) -> list[tuple[str, str, str]]:
    """(number, name, words) of the names that hold the words, best first (by id)."""
    size = limit * _CANDIDATES_PER_RESULT * (8 if wide else 1)
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            # FTS5 reads its index in rowid order and stops at `size`: the best come first.
            terms = [f'"{word}"' for word in whole]
            if last:
                terms.append(f'"{last}"*')
            cursor.execute(
                f"SELECT n.number, n.name, n.words FROM {LIVE}name_fts "
                f"JOIN {LIVE}name n ON n.id = {LIVE}name_fts.rowid "
                f"WHERE {LIVE}name_fts MATCH %s ORDER BY {LIVE}name_fts.rowid LIMIT %s",
                [" ".join(terms), size],
            )
            return [(number, name, words) for number, name, words in cursor.fetchall()]
        # PostgreSQL's GIN index answers a set, not an order: asking for the best by id
        # would read every match of a common word. The first POSTGRES_CANDIDATES matches are
        # ranked instead (all of them, for any query but the most common words).
        # The lexemes are the folded words (tables.POSTGRES_EXTRA), which hold no quote: a
        # tsquery cast takes them as they are. A copy loaded before them holds the lexemes of
        # to_tsvector('simple'), the same for words of letters and digits.
        terms = [f"'{word}'" for word in whole]
        if last:
            terms.append(f"'{last}':*")
        cursor.execute(
            f"SELECT id, number, name, words FROM {LIVE}name WHERE search @@ %s::tsquery LIMIT %s",
            [" & ".join(terms), max(size, POSTGRES_CANDIDATES)],
        )
        return [row[1:] for row in sorted(cursor.fetchall())]


def _by_number_prefix(copy: RegisterCopy, digits: str, limit: int) -> list[RegisterMatch]:
    if len(digits) == 9 and digits[0] not in "01":
        digits = "0" + digits  # a spreadsheet dropped the leading zero
    digits = digits[:10]
    upper = str(int(digits) + 1).zfill(len(digits))
    with connection.cursor() as cursor:
        if len(upper) > len(digits):  # 9999...: every number from it on
            cursor.execute(
                f"SELECT number FROM {LIVE}enterprise WHERE number >= %s ORDER BY number LIMIT %s",
                [digits, limit],
            )
        else:
            cursor.execute(
                f"SELECT number FROM {LIVE}enterprise WHERE number >= %s AND number < %s "
                "ORDER BY number LIMIT %s",
                [digits, upper, limit],
            )
        numbers = [row[0] for row in cursor.fetchall()]
    return _summaries(copy, [(number, None) for number in numbers], limit)


def _summaries(
    copy: RegisterCopy, found: list[tuple[str, str | None]], limit: int
) -> list[RegisterMatch]:
    """Number, names, legal form and seat of the enterprises found (in that order), leaving
    out names whose enterprise is not in the copy."""
    if not found:
        return []
    numbers = [number for number, _name in found]
    marks = ", ".join(["%s"] * len(numbers))
    # One round trip: legal forms, names and seats, each row tagged with its table.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT 'f', number, 0, form, NULL, NULL FROM {LIVE}enterprise "
            f"WHERE number IN ({marks}) UNION ALL "
            f"SELECT 'n', number, id, language, type, name FROM {LIVE}name "
            f"WHERE number IN ({marks}) UNION ALL "
            f"SELECT 's', number, 0, zipcode, municipality_nl, municipality_fr "
            f"FROM {LIVE}address WHERE number IN ({marks}) AND type = %s",
            [*numbers, *numbers, *numbers, SEAT],
        )
        rows = cursor.fetchall()
    forms = {number: form for tag, number, _id, form, _x, _y in rows if tag == "f"}
    names: dict[str, list[tuple[str, str, str]]] = {}
    for _tag, number, _id, language, type_, name in sorted(
        (row for row in rows if row[0] == "n"), key=lambda row: row[2]
    ):
        names.setdefault(number, []).append((NAME_LANGUAGES.get(language, ""), type_, name))
    seats = {number: rest for tag, number, _id, *rest in rows if tag == "s"}
    codes = _code_map(copy)
    results = []
    for number, matched in found:
        if number not in forms:
            continue
        legal_name = _legal_name(names.get(number, []))
        zipcode, municipality_nl, municipality_fr = seats.get(number, (None, None, None))
        form = forms[number]
        results.append(
            RegisterMatch(
                number=number,
                name=matched or legal_name,
                legal_name=legal_name,
                legal_form=_label(codes, "JuridicalForm", form) if form else "",
                postal_code=zipcode or "",
                municipality=_in_language(municipality_nl, municipality_fr),
            )
        )
        if len(results) == limit:
            break
    return results


# A client beside the register

ADDRESS_FIELDS = ("street", "house_number", "box", "postal_code", "city", "country")


@dataclass(frozen=True)
class RegisterComparison:
    """A client's legal name and address beside the register's, and what differs."""

    number: str
    copy: RegisterCopy
    legal_name: str
    name_differs: bool
    seat: RegisterAddress | None
    address_differs: bool

    @property
    def address_values(self) -> dict[str, str]:
        """The client's address fields as the register has the seat (asker's language). A
        seat abroad is not offered: a Belgian number's client is kept in Belgium."""
        return seat_client_values(self.seat)

    @property
    def takes(self) -> dict[str, dict[str, str]]:
        """What may be taken over from the register, by part: the parts that differ."""
        parts: dict[str, dict[str, str]] = {}
        if self.name_differs and self.legal_name:
            parts["legal_name"] = {"legal_name": self.legal_name}
        if self.address_differs and self.address_values:
            parts["address"] = self.address_values
        return parts


def seat_client_values(seat: RegisterAddress | None) -> dict[str, str]:
    """A client's address fields as the register has the seat (asker's language); empty for
    no seat or a seat abroad: a Belgian number's client is kept in Belgium."""
    if seat is None or seat.country != "BE":
        return {}
    return {
        "street": seat.street,
        "house_number": seat.house_number,
        "box": seat.box,
        "postal_code": seat.postal_code,
        "city": seat.municipality,
        "country": seat.country,
    }


def register_client_values(company: RegisterBrief) -> dict[str, str]:
    """What the register gives a new client, by client field: the legal name, the enterprise
    number, the VAT number (BE and the enterprise number) and a Belgian seat's address and
    country. Empty values are left out."""
    values = {
        "legal_name": company.legal_name,
        "company_number": company.number,
        "vat_number": f"BE{company.number}",
        "country": "BE",
        **seat_client_values(company.seat),
    }
    return {name: value for name, value in values.items() if value}


def _folded(value: object) -> tuple[str, ...]:
    return tuple(kbo.words_of(str(value or "")))


SeatKey = tuple[tuple[str, ...], ...]


def _seat_key(parts: Iterable[object], country: str | None) -> SeatKey:
    return (*(_folded(part) for part in parts), (country or "",))


def _same_address(client: Any, seat: RegisterAddress) -> bool:
    """The client's address is this spelling of the seat (compared as seat_keys does)."""
    mine = (client.street, client.house_number, client.box, client.postal_code, client.city)
    theirs = (seat.street, seat.house_number, seat.box, seat.postal_code, seat.municipality)
    return _seat_key(mine, client.country) == _seat_key(theirs, seat.country)


def client_register_comparison(client: Any) -> RegisterComparison | None:
    """The register's data beside a client's (anything with a client's fields), by its
    enterprise or BE VAT number; None without a number, a loaded copy or a company in it."""
    if client.country and client.country != "BE":
        return None
    number = None
    for raw in (client.company_number, client.vat_number):
        number = normalized_number(raw) if raw else None
        if number:
            break
    copy = register_copy() if number else None
    if number is None or copy is None:
        return None
    company = register_companies_brief([number], copy=copy).get(number)
    if company is None:
        return None
    seat = company.seat
    return RegisterComparison(
        number=number,
        copy=copy,
        legal_name=company.legal_name,
        name_differs=bool(company.names) and not name_is_known(client.legal_name, company.names),
        seat=seat,
        address_differs=seat is not None
        and not any(_same_address(client, spelling) for spelling in company.seat_spellings),
    )


def seat_keys(seat: dict[str, Any]) -> frozenset[SeatKey]:
    """A seat (the address table's columns, as the watch keeps them) as _same_address
    compares it, in its Dutch and its French spelling, without the translation machinery:
    made once for many clients of one company."""
    country: str | None = "BE"
    if seat.get("country_nl") or seat.get("country_fr"):
        country = _country_code(seat.get("country_nl"), seat.get("country_fr"))
    keys = set()
    for first, second in (("nl", "fr"), ("fr", "nl")):
        street = seat.get(f"street_{first}") or seat.get(f"street_{second}")
        municipality = seat.get(f"municipality_{first}") or seat.get(f"municipality_{second}")
        parts = (street, seat.get("house_number"), seat.get("box"), seat.get("zipcode"))
        keys.add(_seat_key((*parts, municipality), country))
    return frozenset(keys)


def client_at_seat(client: dict[str, Any], keys: frozenset[SeatKey]) -> bool:
    """A client's address fields (a dict) are the seat of these keys (seat_keys)."""
    parts = (client["street"], client["house_number"], client["box"], client["postal_code"])
    return _seat_key((*parts, client["city"]), client["country"]) in keys


def client_matches_seat(client: dict[str, Any], seat: dict[str, Any]) -> bool:
    """A client's address fields (a dict) are this seat, in its Dutch or French spelling."""
    return client_at_seat(client, seat_keys(seat))


# The register watch's changes (register.watch keeps their values)


def register_codes() -> Codes:
    """The loaded copy's code table (empty without a copy): read it once for many labels."""
    copy = register_copy()
    return _code_map(copy) if copy is not None else {}


def code_label(category: str, code: str | None, codes: Codes | None = None) -> str:
    """A KBO code's description in the active language, from the loaded copy's code table."""
    if not code:
        return ""
    return _label(register_codes() if codes is None else codes, category, code)


_CODE_CATEGORY = {
    ChangeKind.LEGAL_FORM: "JuridicalForm",
    ChangeKind.SITUATION: "JuridicalSituation",
}


def change_value_text(kind: str, value: Any, codes: Codes | None = None) -> str:
    """A change's before or after value as a reader reads it, in the active language; "" for
    none. `codes` (register_codes()) spares reading the code table for each value."""
    if kind == ChangeKind.NAME:
        return " / ".join(name for _language, name in value or [])
    if kind in _CODE_CATEGORY:
        return code_label(_CODE_CATEGORY[ChangeKind(kind)], value, codes)
    if kind == ChangeKind.STOPPED:
        if value:
            return str(_("Active in the register"))
        return str(_("No longer in the active register"))
    if kind == ChangeKind.ADDRESS and value:
        values = (SEAT, *(value.get(column) for column in tables.columns("address")[2:]))
        seat = _address({}, values)
        first = " ".join(part for part in (seat.street, seat.house_number) if part)
        if seat.box:
            first = f"{first} {_('box')} {seat.box}".strip()
        parts = [first, " ".join(p for p in (seat.postal_code, seat.municipality) if p)]
        if seat.country != "BE":
            parts.append(seat.country_name)
        text = ", ".join(part for part in parts if part)
        if seat.struck_off_on:
            text += " " + str(
                _("(struck off on %(date)s)") % {"date": date_format(seat.struck_off_on)}
            )
        return text
    return ""


@dataclass(frozen=True)
class ChangeShown:
    """One open change as a page, a mail or the API shows it."""

    change: RegisterChange
    kind_label: str
    before: str
    after: str
    # Taking over writes the client's own field; otherwise it is noted in its history.
    writes_client: bool


def change_shown(change: RegisterChange, codes: Codes | None = None) -> ChangeShown:
    """One change in the active language; `codes` (register_codes()) for many at once."""
    codes = register_codes() if codes is None else codes
    return ChangeShown(
        change=change,
        kind_label=str(ChangeKind(change.kind).label),
        before=change_value_text(change.kind, change.before, codes),
        after=change_value_text(change.kind, change.after, codes),
        writes_client=change.kind in KINDS_WITH_FIELDS,
    )


def changes_shown(changes: Iterable[RegisterChange]) -> list[ChangeShown]:
    codes = register_codes()
    return [change_shown(change, codes) for change in changes]


def register_changes_visible_to(membership: Membership) -> QuerySet[RegisterChange]:
    """The open changes of the clients this membership sees (an accountant: their own)."""
    changes = RegisterChange.objects.filter(firm_id=membership.firm_id, state=ChangeState.OPEN)
    if not membership.sees_all_clients:
        changes = changes.filter(client__assignments__membership=membership)
    return changes


def register_changes_count(membership: Membership) -> int:
    """The menu's and the Overview's count: from the (firm, state, client) index, once per
    change to what it counts (register.counts)."""
    return count_cached(membership, lambda: register_changes_visible_to(membership).count())


def register_changes_list(membership: Membership) -> QuerySet[RegisterChange]:
    return (
        register_changes_visible_to(membership)
        .select_related("client")
        .order_by("client__sort_name", "client_id", "kind", "id")
    )


def register_change_get_for_user(
    membership: Membership, change_id: int | str, *, for_update: bool = False
) -> RegisterChange:
    """One change of a client this membership sees, open or not; 404 otherwise."""
    changes = RegisterChange.objects.filter(firm_id=membership.firm_id)
    if not membership.sees_all_clients:
        changes = changes.filter(client__assignments__membership=membership)
    if for_update:
        changes = changes.select_for_update(of=("self",))
    try:
        return changes.get(pk=int(change_id))
    except (RegisterChange.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# The client list's filter on register changes (clients.listfilters), on the page and in the
# API: "open", the clients with an open change; "none", those without.
CHANGES_FILTER_PARAM = "register_changes"
CHANGES_FILTER_CHOICES = (
    ("open", _lazy("With changes in the KBO")),
    ("none", _lazy("Without changes in the KBO")),
)


def clients_by_open_changes(clients: QuerySet[Any], value: str) -> QuerySet[Any]:
    return clients_with_open_changes(clients, present=value == "open")


def clients_with_open_changes(clients: QuerySet[Any], *, present: bool = True) -> QuerySet[Any]:
    """Of these clients, those with an open register change (or, `present=False`, those
    without): a filter of the client list."""
    has = Exists(RegisterChange.objects.filter(client_id=OuterRef("pk"), state=ChangeState.OPEN))
    return clients.filter(has) if present else clients.exclude(has)


# The client list's data-quality filter on the register (clients.listfilters), on the page
# and in the API, over the Belgian clients' enterprise numbers and the loaded copy:
# "name_differs", a legal name that is none of the register's names of the enterprise (in any
# case and accents, with or without the legal form: name_is_known); "absent", an enterprise
# number the copy does not hold; "struck_off", a seat address with a striking-off date. No
# counts: a register update changes them without raising the firms' clients_version.
QUALITY_FILTER_PARAM = "register"
QUALITY_FILTER_CHOICES = (
    ("name_differs", _lazy("Name differs from the register")),
    ("absent", _lazy("Not in the register")),
    ("struck_off", _lazy("Seat address struck off")),
)


class _OnRegister(Func):
    """A condition on the register's rows of each client, in SQL (the register's tables are
    not models): `sql` holds {company_number} (and any other client column named in
    `columns`) where the client's column goes. Correlated like Exists, so the database joins
    by the tables' number indexes."""

    output_field = BooleanField()

    def __init__(self, sql: str, *params: Any, columns: tuple[str, ...] = ("company_number",)):
        super().__init__(*(F(column) for column in columns))
        self.sql = sql
        self.params = params
        self.columns = columns

    def as_sql(  # type: ignore[override]  # compiled by hand, with the keywords Expression passes
        self, compiler: Any, connection: Any, **extra_context: Any
    ) -> tuple[str, tuple[Any, ...]]:
        compiled = {}
        for column, expression in zip(self.columns, self.get_source_expressions(), strict=True):
            sql, params = compiler.compile(expression)
            if params:
                raise ValueError("a client's column compiles without parameters")
            compiled[column] = sql
        return self.sql.format(**compiled), self.params


def _belgian_numbered(clients: QuerySet[Any]) -> QuerySet[Any]:
    return clients.filter(country="BE", company_number__isnull=False).exclude(company_number="")


def _in_register() -> _OnRegister:
    return _OnRegister(
        f"EXISTS (SELECT 1 FROM {LIVE}enterprise e WHERE e.number = {{company_number}})"
    )


def clients_by_register_quality(clients: QuerySet[Any], value: str) -> QuerySet[Any]:
    if value not in {choice for choice, _label in QUALITY_FILTER_CHOICES}:
        return clients
    if register_copy() is None:
        return clients.none()  # nothing loaded to compare with
    numbered = _belgian_numbered(clients)
    if value == "absent":
        return numbered.exclude(_in_register())
    if value == "struck_off":
        return numbered.filter(
            _OnRegister(
                f"EXISTS (SELECT 1 FROM {LIVE}address a WHERE a.number = {{company_number}} "
                "AND a.type = %s AND a.struck_off_on IS NOT NULL)",
                SEAT,
            )
        )
    return numbered.filter(pk__in=_clients_named_otherwise(numbered))


def _clients_named_otherwise(numbered: QuerySet[Any]) -> list[int]:
    """The ids of these clients whose legal name is none of their enterprise's names. The
    database leaves out the names spelled exactly as in the register; the others (a legal
    form, case or accents apart) are compared here (name_is_known's rule, written once), the
    names of all of them read in one query."""
    candidates = numbered.filter(_in_register()).exclude(
        _OnRegister(
            f"EXISTS (SELECT 1 FROM {LIVE}name n WHERE n.number = {{company_number}} "
            "AND n.name = {legal_name})",
            columns=("company_number", "legal_name"),
        )
    )
    pairs = list(candidates.order_by().values_list("pk", "legal_name", "company_number"))
    if not pairs:
        return []
    numbers_sql, numbers_params = (
        candidates.order_by().values("company_number").query.sql_with_params()
    )
    names: dict[str, list[str]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT number, name FROM {LIVE}name WHERE number IN ({numbers_sql})",
            numbers_params,
        )
        for number, name in cursor.fetchall():
            names.setdefault(number, []).append(name)
    known = {number: bare_names(listed) for number, listed in names.items()}
    return [
        pk
        for pk, legal_name, number in pairs
        if number in known and not name_is_among(legal_name, known[number])
    ]
