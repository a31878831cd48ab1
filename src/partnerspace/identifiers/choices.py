"""Lists for forms and spreadsheet dropdowns, drawn from the same tables the rules check."""

from functools import lru_cache

from babel import Locale

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
