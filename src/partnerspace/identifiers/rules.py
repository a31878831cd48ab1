"""Pure validation and normalization rules for the identifiers Partner Space handles.

Countries, Belgian enterprise numbers (KBO/BCE), VAT numbers, IBANs, contact locales,
e-mail addresses and yes/no answers. This module must not import Django: it is used by
imports, forms and serializers alike, and runs without any configuration.

Every rule takes a raw value (``None``, ``str``, ``int``, an integral ``float`` as a
spreadsheet delivers it, or a ``bool``) and returns a :class:`Normalized` whose ``notes``
report every repair made to the input, or raises :class:`IdentifierError` with a code
(see ``messages.ERROR_MESSAGES``). Surrounding whitespace is stripped silently; blank
input gives ``Normalized(None)``: whether a field is required is decided elsewhere.
"""

from __future__ import annotations

import math
import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar

from babel import Locale, UnknownLocaleError, localedata
from email_validator import SPECIAL_USE_DOMAIN_NAMES, EmailNotValidError, validate_email
from stdnum import numdb
from stdnum.eu import vat as eu_vat
from stdnum.exceptions import InvalidChecksum
from stdnum.util import get_cc_module

if TYPE_CHECKING:
    from stdnum.util import NumberValidationModule

__all__ = [
    "COUNTRY_CODES",
    "LOCALES",
    "YES_NO_SPELLINGS",
    "AddressParts",
    "IdentifierError",
    "NameParts",
    "Normalized",
    "Note",
    "check_vat_matches_company_number",
    "company_number",
    "company_number_of_vat",
    "country",
    "digits_of",
    "email",
    "format_company_number",
    "format_iban",
    "format_vat",
    "iban",
    "locale",
    "postal_code",
    "split_address",
    "split_name",
    "vat_number",
    "yes_no",
]

T = TypeVar("T")

NORMALIZED = "normalized"
UNKNOWN_BANK_CODE = "unknown_bank_code"
UNKNOWN_POSTAL_CODE = "unknown_postal_code"

# Longest free-form identifier (foreign company number, non-EU VAT number) we store.
MAX_FREE_LENGTH = 32


@dataclass(frozen=True, slots=True)
class Note:
    """A repair applied to the input: reported to the user as a warning, never silent."""

    code: str  # "normalized" for every repair; "unknown_bank_code" for the IBAN warning
    reason: str  # finer reason, e.g. "leading_zero_restored" (see messages.NOTE_MESSAGES)
    original: str  # the input as given (str() of it, stripped)
    normalized: str  # the value after all repairs


@dataclass(frozen=True, slots=True)
class Normalized(Generic[T]):
    value: T  # None when the input was blank
    notes: tuple[Note, ...] = ()


class IdentifierError(ValueError):
    """An input that no repair can turn into a valid value. ``code`` names the problem."""

    def __init__(self, code: str, value: str = ""):
        super().__init__(code, value)
        self.code = code
        self.value = value

    def __str__(self) -> str:
        return f"{self.code}: {self.value!r}" if self.value else self.code


# --------------------------------------------------------------------------------------
# Input handling
# --------------------------------------------------------------------------------------

# Invisible characters that copy-paste from web pages and PDFs leaves around values.
_INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_BLANK: Normalized[str | None] = Normalized(None)
_FALSE = Normalized(False)


def _text(raw: object, code: str) -> str | None:
    """The stripped text of a raw cell value; None when blank; IdentifierError(code) when
    the type cannot hold this kind of value (bool, non-integral float, other objects)."""
    if raw is None:
        return None
    if type(raw) is str:
        text = raw.strip()
        if text and (text[0] in _INVISIBLE or text[-1] in _INVISIBLE):
            text = text.strip(_INVISIBLE).strip()
        return text or None
    if isinstance(raw, bool):
        raise IdentifierError(code, str(raw))
    if isinstance(raw, int):
        return str(raw)
    if isinstance(raw, float):
        if math.isnan(raw):  # an empty cell as pandas reads it
            return None
        if math.isinf(raw) or not raw.is_integer():
            raise IdentifierError(code, repr(raw))
        return str(int(raw))  # 403019261.0 from a spreadsheet is "403019261"
    if isinstance(raw, Decimal):
        if raw.is_nan():
            return None
        if not raw.is_finite() or raw != raw.to_integral_value():
            raise IdentifierError(code, str(raw))
        return str(int(raw))
    if isinstance(raw, str):  # str subclasses (e.g. Django's SafeString)
        return _text(str(raw), code)
    raise IdentifierError(code, str(raw))


def _notes(reasons: list[str], original: str, normalized: str) -> tuple[Note, ...]:
    return tuple([Note(NORMALIZED, reason, original, normalized) for reason in reasons])


# Separators people type inside numbers: any whitespace (incl. no-break and thin spaces),
# dots, slashes, hyphens and the Unicode dashes word processors substitute for them,
# and invisible zero-width characters.
_SEPARATORS_RE = re.compile(r"[\s./\-\u2010-\u2015\u2212" + _INVISIBLE + "]+")
# The same for VAT numbers, which foreign bookkeepers also group with commas/underscores.
_VAT_SEPARATORS_RE = re.compile(r"[\s.,_/\-\u2010-\u2015\u2212" + _INVISIBLE + "]+")
_IBAN_SEPARATORS_RE = re.compile(r"[\s\-\u2010-\u2015\u2212" + _INVISIBLE + "]+")
_WHITESPACE_RE = re.compile(r"\s+")
_NON_DIGITS_RE = re.compile(r"[^0-9]+")


def _free_text(text: str, code: str) -> tuple[str, list[str]]:
    """A free-form identifier: inner whitespace collapsed, printable, at most 32 chars."""
    reasons = []
    collapsed = _WHITESPACE_RE.sub(" ", text)
    if collapsed != text:
        reasons.append("whitespace_collapsed")
    if len(collapsed) > MAX_FREE_LENGTH or not collapsed.isprintable():
        raise IdentifierError(code, text)
    return collapsed, reasons


def _is_ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


# --------------------------------------------------------------------------------------
# Countries
# --------------------------------------------------------------------------------------

# Codes Babel (CLDR) lists as territories that are not assigned ISO 3166-1 alpha-2 country
# codes: codes ISO only reserves (AC Ascension, CP Clipperton, CQ Sark, DG Diego Garcia,
# EA Ceuta & Melilla, IC Canary Islands, TA Tristan da Cunha, EU European Union, EZ
# Eurozone, UN United Nations), CLDR's own (QO Outlying Oceania, XA and XB pseudo-locales)
# and ZZ Unknown Region. Numeric UN M.49 regions ("001", "150", ...) are dropped by shape.
# What is left are the 249 assigned codes (tests check the count) and XK.
#
# XK (Kosovo) is kept on purpose: ISO has not assigned it, but it is the user-assigned
# code the European Commission, SWIFT/SEPA (Kosovar IBANs start with XK) and most
# registries use, and a Belgian firm can have Kosovar clients, suppliers or staff.
_NOT_COUNTRIES = frozenset(
    {"AC", "CP", "CQ", "DG", "EA", "EU", "EZ", "IC", "QO", "TA", "UN", "XA", "XB", "ZZ"}
)
_NAME_LANGUAGES = ("nl", "fr", "de", "en")

COUNTRY_CODES: frozenset[str] = frozenset(
    code
    for code in Locale("en").territories
    if isinstance(code, str)
    and len(code) == 2
    and code.isalpha()
    and code.isupper()
    and code not in _NOT_COUNTRIES
)

_FOLD_PUNCTUATION_RE = re.compile(r"[\W_]+")


def _fold(name: str) -> str:
    """Case-, accent- and punctuation-insensitive key of a name."""
    decomposed = unicodedata.normalize("NFKD", name)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _FOLD_PUNCTUATION_RE.sub(" ", bare.casefold()).strip()


def _country_names() -> dict[str, str]:
    names: dict[str, str] = {}
    ambiguous: set[str] = set()
    for language in _NAME_LANGUAGES:
        territories = Locale(language).territories
        for code in COUNTRY_CODES:
            name = territories.get(code)
            if not name:
                continue
            key = _fold(name)
            if names.get(key, code) != code:
                ambiguous.add(key)  # never guess between two countries
            names[key] = code
    for key in ambiguous:
        del names[key]
    return names


_COUNTRY_NAMES = _country_names()


@lru_cache(maxsize=2048)
def _country(text: str) -> Normalized[str | None]:
    if len(text) == 2:
        code = text.upper()
        if code in COUNTRY_CODES:
            if code == text:
                return Normalized(code)
            return Normalized(code, _notes(["case_changed"], text, code))
    named = _COUNTRY_NAMES.get(_fold(text))
    if named is None:
        raise IdentifierError("invalid_country", text)
    return Normalized(named, _notes(["country_name"], text, named))


def country(raw: object) -> Normalized[str | None]:
    """ISO 3166-1 alpha-2 code of a country given by code (any case) or by its name in
    Dutch, French, German or English (any case, accents optional)."""
    text = _text(raw, "invalid_country")
    if text is None:
        return _BLANK
    return _country(text)


def _country_arg(value: str | None) -> str:
    if value is None or value in COUNTRY_CODES:
        return value or ""
    return value.strip().upper()


# --------------------------------------------------------------------------------------
# Belgian enterprise number (KBO/BCE) and VAT numbers
# --------------------------------------------------------------------------------------


def _be_checksum_ok(digits: str) -> bool:
    """Mod-97 check of a 10-digit enterprise number: the last two digits are 97 minus the
    first eight modulo 97. Both the 0- and the 1-series (issued since 2023) use it."""
    check = int(digits[8:])
    # 97 - (n % 97) lies in 1..97, so "00" is never issued even where n % 97 == 0
    return check != 0 and (int(digits[:8]) + check) % 97 == 0


def _be_digits(
    digits: str, reasons: list[str], shape_code: str, checksum_code: str, text: str
) -> str:
    """Check the digits of a Belgian enterprise number (prefix and separators removed)."""
    if not _is_ascii_digits(digits):
        raise IdentifierError(shape_code, text)
    if len(digits) == 9:  # a spreadsheet dropped the leading zero
        digits = "0" + digits
        reasons.append("leading_zero_restored")
    if len(digits) != 10 or digits[0] not in "01":
        raise IdentifierError(shape_code, text)
    if not _be_checksum_ok(digits):
        raise IdentifierError(checksum_code, text)
    return digits


@lru_cache(maxsize=4096)
def _be_company_number(text: str) -> Normalized[str | None]:
    if len(text) == 10 and _is_ascii_digits(text):  # the common, already clean case
        if text[0] not in "01":
            raise IdentifierError("invalid_company_number", text)
        if not _be_checksum_ok(text):
            raise IdentifierError("company_number_checksum", text)
        return Normalized(text)
    reasons = []
    compact = _SEPARATORS_RE.sub("", text)
    if compact != text:
        reasons.append("separators_removed")
    if compact[:2].upper() == "BE":
        compact = compact[2:]
        reasons.append("prefix_removed")
    digits = _be_digits(compact, reasons, "invalid_company_number", "company_number_checksum", text)
    return Normalized(digits, _notes(reasons, text, digits))


def company_number(raw: object, *, country: str | None = "BE") -> Normalized[str | None]:
    """The company's registration number. For Belgium (the default) the 10-digit
    enterprise number (KBO/BCE); elsewhere kept as given, at most 32 characters."""
    text = _text(raw, "invalid_company_number")
    if text is None:
        return _BLANK
    if _country_arg(country) == "BE":
        return _be_company_number(text)
    value, reasons = _free_text(text, "invalid_company_number")
    return Normalized(value, _notes(reasons, text, value))


# VAT prefix of each country whose VAT numbers we check: the EU member states (Greece
# uses EL, not its ISO code GR) and XI, Northern Ireland, whose ISO country is GB.
_VAT_PREFIXES: dict[str, str] = {
    cc.upper(): ("EL" if cc == "gr" else cc.upper()) for cc in eu_vat.MEMBER_STATES
}
_VAT_PREFIXES["EL"] = "EL"  # the VAT spelling of Greece passed as a country
# Two letters at the start of a VAT number that name a country (or a VAT prefix).
_KNOWN_PREFIXES = COUNTRY_CODES | frozenset(_VAT_PREFIXES.values())


@lru_cache(maxsize=4096)
def _vat(text: str, country_code: str) -> Normalized[str | None]:
    if country_code == "GB" and text[:2].upper() == "XI":
        prefix: str | None = "XI"  # a Northern Ireland number of a company in the UK
    elif country_code:
        prefix = _VAT_PREFIXES.get(country_code)
    else:  # no country known: check a number carrying an EU VAT prefix by that country
        prefix = _VAT_PREFIXES.get(text[:2].upper())

    if prefix is None:  # outside the EU: not checked, kept as given (upper-cased)
        upper = text.upper()
        reasons = ["case_changed"] if upper != text else []
        value, more = _free_text(upper, "invalid_vat")
        return Normalized(value, _notes(reasons + more, text, value))

    reasons = []
    compact = _VAT_SEPARATORS_RE.sub("", text)
    if compact != text:
        reasons.append("separators_removed")
    upper = compact.upper()
    if upper != compact:
        reasons.append("case_changed")
    head = upper[:2]

    if prefix == "BE":
        if head == "BE":
            body = upper[2:]
        else:
            body = upper
            reasons.append("prefix_added")
        # letters left (another country's prefix) make it invalid_vat here
        digits = _be_digits(body, reasons, "invalid_vat", "vat_checksum", text)
        value = "BE" + digits
        return Normalized(value, _notes(reasons, text, value))

    foreign = False
    if head == prefix:
        # the second reading: a number without prefix that starts with those letters
        candidates = [(upper[2:], ""), (upper, "prefix_added")]
    elif prefix == "EL" and head == "GR":  # Greece by its ISO code instead of EL
        candidates = [(upper[2:], "prefix_changed")]
    else:
        # another country's prefix is an error, unless the number itself (a French key,
        # say) starts with those letters and is valid with this country's prefix
        foreign = head.isalpha() and head in _KNOWN_PREFIXES
        candidates = [(upper, "prefix_added")]
    first_error: Exception | None = None
    for body, reason in candidates:
        try:
            checked = eu_vat.validate(prefix + body)[2:]
        except (ValueError, LookupError) as exc:  # ValidationError, or a library slip
            first_error = first_error or exc
            continue
        if reason:
            reasons.append(reason)
        if checked != body:
            added = checked[: len(checked) - len(body)]
            if checked.endswith(body) and added and not added.strip("0"):
                reasons.append("leading_zero_restored")
            else:
                reasons.append("reformatted")
        value = prefix + checked
        return Normalized(value, _notes(reasons, text, value))
    if not foreign and isinstance(first_error, InvalidChecksum):
        raise IdentifierError("vat_checksum", text)
    raise IdentifierError("invalid_vat", text)


def vat_number(raw: object, *, country: str | None) -> Normalized[str | None]:
    """A VAT number of a company in ``country`` (ISO code). Belgian and other EU numbers
    (and XI, Northern Ireland) are checked and stored with their prefix; others are kept
    as given, upper-cased, at most 32 characters."""
    text = _text(raw, "invalid_vat")
    if text is None:
        return _BLANK
    country_code = _country_arg(country)
    return _vat(text, country_code)


def company_number_of_vat(vat: str | None) -> str | None:
    """The Belgian enterprise number a Belgian VAT number implies ("BE0403019261" ->
    "0403019261"); None for any other VAT number."""
    if not vat:
        return None
    compact = _VAT_SEPARATORS_RE.sub("", vat.strip()).upper()
    if not compact.startswith("BE"):
        return None
    digits = compact[2:]
    if not _is_ascii_digits(digits):
        return None
    if len(digits) == 9:
        digits = "0" + digits
    return digits if len(digits) == 10 else None


def check_vat_matches_company_number(
    *, vat: str | None, company_number: str | None, country: str | None
) -> None:
    """A Belgian company's VAT number and enterprise number must be the same number."""
    if _country_arg(country) != "BE" or not vat or not company_number:
        return
    implied = company_number_of_vat(vat)
    if implied is None:
        return  # not a Belgian VAT number: vat_number() reports that
    digits = digits_of(company_number)
    if len(digits) == 9:
        digits = "0" + digits
    if implied != digits:
        raise IdentifierError("vat_company_number_mismatch", vat)


# --------------------------------------------------------------------------------------
# IBAN
# --------------------------------------------------------------------------------------

_IBAN_DB = numdb.get("iban")
_BBAN_CHARS = {"n": "[0-9]", "a": "[A-Z]", "c": "[A-Z0-9]"}
_BBAN_PART_RE = re.compile(r"([1-9][0-9]*)!([nac])")


def _iban_structures() -> dict[str, re.Pattern[str]]:
    """Per country (ISO 13616 registry as python-stdnum ships it) a pattern of the IBAN."""
    structures = {}
    for code in sorted(COUNTRY_CODES):
        bban = _IBAN_DB.info(code)[0][1].get("bban")
        if bban:
            parts = _BBAN_PART_RE.sub(lambda m: f"{_BBAN_CHARS[m[2]]}{{{m[1]}}}", bban)
            structures[code] = re.compile(f"{code}[0-9]{{2}}{parts}")
    return structures


_IBAN_STRUCTURES = _iban_structures()


@lru_cache(maxsize=128)
def _iban_national(code: str) -> NumberValidationModule | None:
    """python-stdnum's module checking the national check digits of the country's IBANs
    (ES, ME, NO, ...), or None. Belgium is checked by _iban_valid itself so that an
    unknown bank code is a warning, not an error."""
    return None if code == "BE" else get_cc_module(code.lower(), "iban")


_LETTER_VALUES = str.maketrans({chr(ord("A") + i): str(10 + i) for i in range(26)})
_BE_BANKS = numdb.get("be/banks")


@lru_cache(maxsize=1024)
def _be_bank_known(bank_code: str) -> bool:
    return bool(_BE_BANKS.info(bank_code)[0][1])


def _iban_valid(value: str) -> bool:
    structure = _IBAN_STRUCTURES.get(value[:2])
    if structure is None or not structure.fullmatch(value):
        return False
    if int((value[4:] + value[:4]).translate(_LETTER_VALUES)) % 97 != 1:
        return False
    if value[:2] == "BE":
        national = int(value[4:14]) % 97 or 97
        return int(value[14:]) == national
    module = _iban_national(value[:2])
    return module is None or module.is_valid(value)


def iban(raw: object) -> Normalized[str | None]:
    """An IBAN, compact and upper-cased, checked against the country's IBAN structure
    and the mod-97 check digits (and the Belgian national check digits)."""
    text = _text(raw, "invalid_iban")
    if text is None:
        return _BLANK
    reasons = []
    value = _IBAN_SEPARATORS_RE.sub("", text)
    if value != text:
        reasons.append("separators_removed")
    upper = value.upper()
    if upper != value:
        reasons.append("case_changed")
        value = upper
    if value.startswith("IBAN"):  # "IBAN BE68 ..." copied from an invoice
        value = value[4:]
        reasons.append("prefix_removed")
    if not _iban_valid(value):
        raise IdentifierError("invalid_iban", text)
    notes = _notes(reasons, text, value)
    if value[:2] == "BE" and not _be_bank_known(value[4:7]):
        notes += (Note(UNKNOWN_BANK_CODE, "bank_code_unknown", text, value),)
    return Normalized(value, notes)


# --------------------------------------------------------------------------------------
# Belgian postal codes
# --------------------------------------------------------------------------------------

# bpost's list of the postal codes in use (source and date in the file's header).
BE_POSTAL_CODES_FILE = Path(__file__).with_name("data") / "be_postal_codes.txt"
_BE_POSTAL_CODE_RE = re.compile(r"(?:B(?:E)?-?)?([1-9][0-9]{3})", re.IGNORECASE)


@lru_cache(maxsize=1)
def be_postal_codes() -> frozenset[str]:
    lines = BE_POSTAL_CODES_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip() for line in lines if line.strip() and line[0] != "#")


def postal_code(raw: object, *, country: str | None = "BE") -> Normalized[str | None]:
    """A postal code. A Belgian one has 4 digits, 1000 to 9999 ("B-9000" and "9 000" are
    repaired); one that is well formed but not on bpost's list is kept with a warning.
    Another country's code is kept as typed."""
    text = _text(raw, "invalid_postal_code")
    if text is None:
        return _BLANK
    if country != "BE":
        return Normalized(text)
    compact = _SEPARATORS_RE.sub("", text)
    match = _BE_POSTAL_CODE_RE.fullmatch(compact)
    if match is None:
        raise IdentifierError("invalid_postal_code", text)
    value = match.group(1)
    reasons = []
    if compact != text:
        reasons.append("separators_removed")
    if value != compact:
        reasons.append("prefix_removed")
    notes = _notes(reasons, text, value)
    if value not in be_postal_codes():
        notes += (Note(UNKNOWN_POSTAL_CODE, "postal_code_unknown", text, value),)
    return Normalized(value, notes)


# --------------------------------------------------------------------------------------
# Contact locale
# --------------------------------------------------------------------------------------


def _locale_table() -> dict[str, str]:
    """Lower-cased "ll-cc" / "ll-ssss-cc" -> canonical "ll-CC" / "ll-Ssss-CC" of every
    locale Babel has data for whose region is a country (not "es-419" nor "en-150")."""
    table = {}
    for identifier in localedata.locale_identifiers():
        parts = identifier.split("_")
        if len(parts) == 3 and not (len(parts[1]) == 4 and parts[1].isalpha()):
            continue  # a variant such as en_US_POSIX or ca_ES_VALENCIA
        if len(parts) not in (2, 3) or parts[-1] not in COUNTRY_CODES:
            continue
        canonical = "-".join(parts)
        table[canonical.lower()] = canonical
    return table


_LOCALES = _locale_table()
LOCALES: frozenset[str] = frozenset(_LOCALES.values())
_LOCALE_SHAPE_RE = re.compile(r"([a-z]{2,3})(?:[-_]([a-z]{4}))?(?:[-_]([a-z]{2}))?\Z", re.I)


@lru_cache(maxsize=1024)
def _locale_alias(language: str, script: str | None, territory: str) -> str | None:
    """Canonical spelling of a locale Babel knows under another name (zh-TW is
    zh-Hant-TW, iw-IL is he-IL), or None."""
    if language == "und":  # "undetermined": Babel would guess the country's language
        return None
    identifier = "_".join(p for p in (language, script, territory) if p)
    try:
        parsed = Locale.parse(identifier)
    except (UnknownLocaleError, ValueError, TypeError, LookupError):
        return None
    if parsed.territory != territory.upper() or parsed.variant:
        return None
    return _LOCALES.get(str(parsed).replace("_", "-").lower())


def _known_locale(language: str, script: str | None, territory: str) -> str | None:
    key = "-".join(p for p in (language, script, territory) if p).lower()
    return _LOCALES.get(key) or _locale_alias(language.lower(), script, territory.upper())


@lru_cache(maxsize=1024)
def _locale(text: str, country_code: str) -> Normalized[str | None]:
    canonical = _LOCALES.get(text.replace("_", "-").lower())
    if canonical is not None:
        if canonical == text:
            return Normalized(canonical)
        return Normalized(canonical, _notes(["locale_spelling"], text, canonical))
    match = _LOCALE_SHAPE_RE.match(text)
    if match is None:
        raise IdentifierError("invalid_locale", text)
    language, script, territory = match.groups()
    if territory:
        canonical = _known_locale(language, script, territory)
        reason = "locale_spelling"
    elif len(country_code) == 2 and country_code.isalpha():
        canonical = _known_locale(language, script, country_code)
        reason = "locale_completed"
    else:
        canonical = None
    if canonical is None:
        raise IdentifierError("invalid_locale", text)
    return Normalized(canonical, _notes([reason], text, canonical))


def locale(raw: object, *, country: str | None = None) -> Normalized[str | None]:
    """A contact's locale as "ll-CC" (or "ll-Ssss-CC" for locales with a script, e.g.
    "zh-Hant-TW"); a bare language is completed with the company's ``country``."""
    text = _text(raw, "invalid_locale")
    if text is None:
        return _BLANK
    return _locale(text, _country_arg(country))


# --------------------------------------------------------------------------------------
# E-mail
# --------------------------------------------------------------------------------------

# The everyday address, ASCII only, that email-validator accepts unchanged except for the
# domain's case: a dot-atom local part and a domain of ordinary labels ending in a
# letters-only TLD. Anything else (IDN, Punycode, quoted local parts, ...) goes through
# email-validator itself. tests/identifiers check that both paths agree.
_ATEXT = r"[a-zA-Z0-9_!#$%&'*+/=?^`{|}~-]"
_LABEL = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
_SIMPLE_EMAIL_RE = re.compile(
    rf"({_ATEXT}+(?:\.{_ATEXT}+)*)@((?:{_LABEL}\.)+[a-zA-Z]{{2,63}})\Z", re.ASCII
)
_SPECIAL_USE_SUFFIXES = tuple(f".{name}" for name in SPECIAL_USE_DOMAIN_NAMES)


def _simple_email(text: str) -> str | None:
    match = _SIMPLE_EMAIL_RE.match(text)
    if match is None or len(text) > 254:
        return None
    local, domain = match.groups()
    if len(local) > 64 or len(domain) > 253 or "--" in domain:
        return None
    domain = domain.lower()
    if f".{domain}".endswith(_SPECIAL_USE_SUFFIXES):
        return None  # a special-use domain: let email-validator reject it
    return f"{local}@{domain}"


def _full_email(text: str) -> str:
    try:
        return validate_email(text, check_deliverability=False).normalized
    except EmailNotValidError:
        raise IdentifierError("invalid_email", text) from None


def email(raw: object) -> Normalized[str | None]:
    """An e-mail address, syntax checked (no network), domain lower-cased; international
    domains are accepted and returned in Unicode."""
    text = _text(raw, "invalid_email")
    if text is None:
        return _BLANK
    value = _simple_email(text) or _full_email(text)
    if value == text:
        return Normalized(value)
    reason = "case_changed" if value.lower() == text.lower() else "reformatted"
    return Normalized(value, _notes([reason], text, value))


# --------------------------------------------------------------------------------------
# Yes / no
# --------------------------------------------------------------------------------------

_YES = ("ja", "oui", "yes", "y", "j", "o", "true", "waar", "vrai", "1", "wahr")
_NO = ("nee", "non", "no", "n", "false", "onwaar", "faux", "0", "nein", "falsch")
YES_NO_SPELLINGS: dict[str, bool] = {**dict.fromkeys(_YES, True), **dict.fromkeys(_NO, False)}
_TRUE = Normalized(True)


def yes_no(raw: object) -> Normalized[bool]:
    """A yes/no answer in Dutch, French, German or English (Ja/Nee, Oui/Non, Yes/No, Y/N,
    J/N, O/N, True/False, Waar/Onwaar, Vrai/Faux, 1/0) or a spreadsheet boolean. Blank
    is no."""
    if isinstance(raw, bool):
        return _TRUE if raw else _FALSE
    if isinstance(raw, (int, float, Decimal)):  # a spreadsheet's 1 or 0
        if raw.is_nan() if isinstance(raw, Decimal) else raw != raw:
            return _FALSE  # NaN: an empty cell as pandas reads it
        if raw == 1:
            return _TRUE
        if raw == 0:
            return _FALSE
        raise IdentifierError("invalid_mandate", str(raw))
    text = _text(raw, "invalid_mandate")
    if text is None:
        return _FALSE
    answer = YES_NO_SPELLINGS.get(text.lower())
    if answer is None:
        raise IdentifierError("invalid_mandate", text)
    return _TRUE if answer else _FALSE


# --------------------------------------------------------------------------------------
# Display helpers
# --------------------------------------------------------------------------------------


def format_company_number(value: str | None) -> str:
    """ "0403019261" -> "0403.019.261"; any other string unchanged; None -> ""."""
    if not value:
        return ""
    if len(value) == 10 and _is_ascii_digits(value):
        return f"{value[:4]}.{value[4:7]}.{value[7:]}"
    return value


def format_iban(value: str | None) -> str:
    """An IBAN in groups of four characters separated by spaces."""
    if not value:
        return ""
    compact = value.replace(" ", "")
    return " ".join(compact[i : i + 4] for i in range(0, len(compact), 4))


def format_vat(value: str | None) -> str:
    """ "BE0403019261" -> "BE 0403.019.261"; other VAT numbers unchanged; None -> ""."""
    if not value:
        return ""
    if len(value) == 12 and value.startswith("BE") and _is_ascii_digits(value[2:]):
        return f"BE {format_company_number(value[2:])}"
    return value


def digits_of(text: str | None) -> str:
    """The ASCII digits of a number typed in any spelling ("BE 0403.019.261" ->
    "0403019261"), for searching."""
    if not text:
        return ""
    return _NON_DIGITS_RE.sub("", str(text))


# --------------------------------------------------------------------------------------
# Combined address and name cells, split into their parts
# --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddressParts:
    street: str
    house_number: str
    box: str


@dataclass(frozen=True, slots=True)
class NameParts:
    first_name: str
    last_name: str


# A house number: digits, a letter or two (12A, 12bis), or a range (12-14). What follows it,
# after "bus", "bte", "boîte", "box", "b" or a slash, is the box: "Kerkstraat 12 bus 3",
# "Rue de la Loi 16 bte 2", "Kerkstraat 12/3" (a Belgian way of writing box 3).
_HOUSE_NUMBER = (
    r"\d{1,5}(?:\s?(?:bis|ter|[A-Za-z])(?![A-Za-z])(?!\s*\d))?(?:\s?-\s?\d{1,5}[A-Za-z]?)?"
)
_BOX_WORD = r"(?:bus|bte|bt|boite|boîte|box|b)\.?"
_BOX = rf"(?:\s*/\s*|\s*,?\s+{_BOX_WORD}\s*)(?P<box>[A-Za-z0-9][\w.-]{{0,9}})"
_STREET_FIRST_RE = re.compile(
    rf"(?P<street>.*?\D)[\s,]+(?:n[°ro]\.?\s*)?(?P<number>{_HOUSE_NUMBER})(?:{_BOX})?\Z",
    re.IGNORECASE,
)
_NUMBER_FIRST_RE = re.compile(
    rf"(?P<number>{_HOUSE_NUMBER})(?:{_BOX_WORD}\s*(?P<box>[A-Za-z0-9]+))?\s*,?\s+"
    r"(?P<street>[^\d\s].*)\Z",
    re.IGNORECASE,
)


def split_address(raw: object) -> AddressParts | None:
    """Street, house number and box of an address written in one cell, as Belgian exports
    write it: "Kerkstraat 12 bus 3", "Rue de la Loi 16 bte 2", "Kerkstraat 12/3",
    "Kerkstraat 12A", "16, rue de la Loi" (the French order). Inner whitespace is collapsed.
    An address without a house number is all street. None for a blank cell."""
    text = _WHITESPACE_RE.sub(" ", str(raw if raw is not None else "")).strip(" ,")
    if not text:
        return None
    match = _STREET_FIRST_RE.match(text)
    if match is None:
        match = _NUMBER_FIRST_RE.match(text)
    if match is None:
        return AddressParts(text, "", "")
    street = match["street"].strip(" ,")
    if not street or not any(char.isalpha() for char in street):
        return AddressParts(text, "", "")
    number = _WHITESPACE_RE.sub("", match["number"])
    return AddressParts(street, number, (match["box"] or "").strip())


# Words that begin a family name (Van den Broeck, de Smet, Le Grand, D'Hondt ...), and
# courtesy titles that are no part of a name.
_NAME_PARTICLES = frozenset(
    {
        "van", "von", "de", "den", "der", "del", "della", "di", "da", "du", "des", "le", "la",
        "vanden", "vander", "vande", "ter", "ten", "t",
    }
)  # fmt: skip
_NAME_TITLES = frozenset(
    {
        "dhr", "dhr.", "mevr", "mevr.", "mr", "mr.", "mrs", "mrs.", "ms", "ms.", "m", "m.",
        "mme", "mme.", "mlle", "mlle.", "dr", "dr.", "meneer", "mevrouw", "monsieur", "madame",
        "heer",
    }
)  # fmt: skip


def split_name(raw: object) -> NameParts | None:
    """First and last name of a person written in one cell: "An Peeters", "Peeters, An"
    (last name first, before a comma), "Jan Van den Broeck" (a family name begins with its
    particle), "DUBOIS Marie" (a family name in capitals first, as French lists write it).
    A title (Dhr., Mevr., M., Mme) is left out; one word alone is the last name. None for a
    blank cell."""
    text = _WHITESPACE_RE.sub(" ", str(raw if raw is not None else "")).strip(" ,")
    if not text:
        return None
    if "," in text:
        last, _comma, first = text.partition(",")
        return NameParts(_without_titles(first.strip(" ,")), _without_titles(last.strip(" ,")))
    words = _without_titles(text).split(" ")
    if len(words) == 1:
        return NameParts("", words[0])
    capitals = 0
    while capitals < len(words) - 1 and _is_capitals(words[capitals]):
        capitals += 1
    if 0 < capitals < len(words) and not any(_is_capitals(w) for w in words[capitals:]):
        return NameParts(" ".join(words[capitals:]), " ".join(words[:capitals]))
    start = next(
        (i for i in range(1, len(words) - 1) if words[i].casefold() in _NAME_PARTICLES),
        len(words) - 1,
    )
    return NameParts(" ".join(words[:start]), " ".join(words[start:]))


def _is_capitals(word: str) -> bool:
    letters = [char for char in word if char.isalpha()]
    return len(letters) > 1 and all(char.isupper() for char in letters)


def _without_titles(text: str) -> str:
    words = text.split(" ")
    while len(words) > 1 and words[0].casefold() in _NAME_TITLES:
        words = words[1:]
    return " ".join(words)
