"""Countries: ISO 3166-1 alpha-2 codes in any case, or names in nl, fr, de and en."""

import unicodedata

import pytest
from babel import Locale
from hypothesis import given
from hypothesis import strategies as st

from partnerspace.identifiers.rules import COUNTRY_CODES, IdentifierError, Normalized, Note, country


def test_upper_case_code_is_kept_without_note():
    assert country("BE") == Normalized("BE")


def test_lower_case_code_is_upper_cased_with_note():
    assert country("be") == Normalized("BE", (Note("normalized", "case_changed", "be", "BE"),))


@pytest.mark.parametrize(
    "name",
    [
        "België",
        "belgie",
        "BELGIË",
        "Belgique",
        "belgique",
        "Belgien",
        "Belgium",
        " belgium ",
    ],
)
def test_belgium_by_name_in_four_languages(name):
    result = country(name)
    assert result.value == "BE"
    assert result.notes == (Note("normalized", "country_name", name.strip(), "BE"),)


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("Nederland", "NL"),
        ("Pays-Bas", "NL"),
        ("pays bas", "NL"),
        ("Niederlande", "NL"),
        ("Netherlands", "NL"),
        ("Frankrijk", "FR"),
        ("France", "FR"),
        ("Frankreich", "FR"),
        ("Duitsland", "DE"),
        ("Allemagne", "DE"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("Luxemburg", "LU"),
        ("Verenigd Koninkrijk", "GB"),
        ("Royaume-Uni", "GB"),
        ("Vereinigtes Königreich", "GB"),
        ("vereinigtes konigreich", "GB"),
        ("United Kingdom", "GB"),
        ("États-Unis", "US"),
        ("etats-unis", "US"),
        ("Côte d’Ivoire", "CI"),
        ("cote d'ivoire", "CI"),
        ("Zwitserland", "CH"),
        ("Suisse", "CH"),
        ("Schweiz", "CH"),
    ],
)
def test_country_names_in_dutch_french_german_english(name, code):
    assert country(name).value == code


@pytest.mark.parametrize(
    "raw",
    [
        "UK",
        "EU",
        "ZZ",
        "EZ",
        "UN",
        "QO",
        "XA",
        "XB",
        "AC",
        "IC",
        "001",
        "150",
        "B",
        "BEL",
        "Atlantis",
    ],
)
def test_non_countries_are_invalid(raw):
    with pytest.raises(IdentifierError) as exc:
        country(raw)
    assert exc.value.code == "invalid_country"


def test_kosovo_is_kept():
    assert country("XK") == Normalized("XK")
    assert country("Kosovo").value == "XK"


def test_table_holds_the_iso_countries_and_kosovo():
    # 249 officially assigned ISO 3166-1 alpha-2 codes, plus XK
    assert len(COUNTRY_CODES) == 250
    assert {"BE", "NL", "FR", "DE", "LU", "GB", "US", "GR", "AQ", "BV", "HM", "XK"} <= COUNTRY_CODES
    assert all(len(code) == 2 and code.isalpha() and code.isupper() for code in COUNTRY_CODES)


@given(st.sampled_from(sorted(COUNTRY_CODES)))
def test_every_code_round_trips(code):
    assert country(code) == Normalized(code)


@given(
    st.sampled_from(sorted(COUNTRY_CODES)), st.sampled_from([str.lower, str.title, str.swapcase])
)
def test_every_code_in_any_case_normalizes_to_upper(code, spelling):
    typed = spelling(code)
    result = country(typed)
    assert result.value == code
    assert result.notes == (
        (Note("normalized", "case_changed", typed, code),) if typed != code else ()
    )


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@given(
    st.sampled_from(sorted(COUNTRY_CODES)),
    st.sampled_from(["nl", "fr", "de", "en"]),
    st.sampled_from([str, str.upper, str.lower, _strip_accents]),
)
def test_every_name_in_four_languages_gives_its_code(code, language, spelling):
    name = spelling(Locale(language).territories[code])
    result = country(name)
    assert result.value == code
    assert [note.reason for note in result.notes] == ["country_name"]
