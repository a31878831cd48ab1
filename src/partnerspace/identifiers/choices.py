"""Lists for forms and spreadsheet dropdowns, drawn from the same tables the rules check."""

from functools import lru_cache

from babel import Locale, UnknownLocaleError

from partnerspace.identifiers.rules import COUNTRY_CODES

# Belgium's neighbours first: the countries a Belgian firm's clients are almost always in.
COMMON_COUNTRIES = ("BE", "NL", "FR", "DE", "LU")
# Contact languages offered first; any other locale with a region is accepted too.
COMMON_LOCALES = ("nl-BE", "fr-BE", "de-BE", "en-BE", "en-GB", "nl-NL", "fr-FR", "fr-LU", "de-DE")


@lru_cache(maxsize=8)
def country_choices(language: str) -> tuple[tuple[str, str], ...]:
    """(code, name in `language`), the common countries first, then the rest by name."""
    names = Locale.parse(language).territories
    common = [(code, names.get(code, code)) for code in COMMON_COUNTRIES]
    rest = sorted(
        ((code, names.get(code, code)) for code in COUNTRY_CODES if code not in COMMON_COUNTRIES),
        key=lambda item: item[1].casefold(),
    )
    return tuple(common + rest)


def country_name(code: str | None, language: str) -> str:
    if not code:
        return ""
    name: str = Locale.parse(language).territories.get(code, code)
    return name


def locale_name(locale: str | None, language: str) -> str:
    """ "nl-BE" in French: "néerlandais (Belgique)"."""
    if not locale:
        return ""
    try:
        return Locale.parse(locale, sep="-").get_display_name(language) or locale
    except (ValueError, TypeError):
        return locale


# The contact languages a form offers, by language (Nederlands, Français, Deutsch, English),
# each with its region. Any other locale stored before, or imported, stays selectable.
CONTACT_LOCALES = ("nl-BE", "nl-NL", "fr-BE", "fr-FR", "fr-LU", "de-BE", "de-DE", "en-BE", "en-GB")
# Outside Belgium, the language a client's contacts most likely speak (app.js has the same).
COUNTRY_LOCALES = {"NL": "nl-NL", "FR": "fr-FR", "LU": "fr-LU", "DE": "de-DE"}


# A Belgian postal code's language region (bpost's ranges), the first range that holds it:
# the German-speaking Community, then Wallonia; Flanders and bilingual Brussels (1000–1299,
# nl-BE first, fr-BE right beside it in the list) otherwise.
BELGIAN_LOCALE_RANGES: tuple[tuple[int, int, str], ...] = (
    (4700, 4799, "de-BE"),
    (1300, 1499, "fr-BE"),
    (4000, 7999, "fr-BE"),
)
BELGIAN_LOCALE = "nl-BE"
OTHER_LOCALE = "en-GB"


def default_locale(country: str | None, postal_code: str | None) -> str:
    """The language a new contact most likely speaks, from the client's address: in Belgium
    the postal code's region, elsewhere the country's language. The page applies the same
    table while an address is typed (`locale_rule`, read by app.js)."""
    country = (country or "BE").upper()
    if country != "BE":
        return COUNTRY_LOCALES.get(country, OTHER_LOCALE)
    digits = "".join(ch for ch in postal_code or "" if ch in "0123456789")
    if len(digits) != 4:
        return BELGIAN_LOCALE
    code = int(digits)
    for low, high, locale in BELGIAN_LOCALE_RANGES:
        if low <= code <= high:
            return locale
    return BELGIAN_LOCALE


def locale_rule() -> dict[str, object]:
    """default_locale's tables, for the page's script: the rule is written once, here."""
    return {
        "countries": COUNTRY_LOCALES,
        "other": OTHER_LOCALE,
        "belgium": BELGIAN_LOCALE,
        "ranges": [list(entry) for entry in BELGIAN_LOCALE_RANGES],
    }


def contact_locale_choices(current: str | None = None) -> list[tuple[str, str]]:
    """(code, "Nederlands (België)"): each language named in itself, so that a contact's own
    language reads right in whichever language the page is. A stored code not in the list
    (imported before the list existed) is kept as a choice of its own."""
    codes = list(CONTACT_LOCALES)
    if current and current not in codes:
        codes.append(current)
    return [(code, _endonym(code)) for code in codes]


@lru_cache(maxsize=64)
def _endonym(code: str) -> str:
    try:
        name = Locale.parse(code, sep="-").get_display_name(code.replace("-", "_")) or code
    except (ValueError, TypeError, UnknownLocaleError):
        return code
    return name[:1].upper() + name[1:]
