"""Contact locales: language and region as "ll-CC", completed from the company's country."""

import pytest
from babel import localedata
from hypothesis import given
from hypothesis import strategies as st

from partnerspace.identifiers.choices import BELGIAN_LOCALE, default_locale
from partnerspace.identifiers.rules import LOCALES, IdentifierError, Normalized, Note, locale


@pytest.mark.parametrize("raw", ["nl-BE", "fr-BE", "de-BE", "en-BE", "en-GB", "fr-FR", "pt-BR"])
def test_canonical_locales_are_kept_without_note(raw):
    assert locale(raw) == Normalized(raw)


@pytest.mark.parametrize("raw", ["nl_BE", "NL-be", "nl-be", "NL_BE", "Nl-Be", "nl_be"])
def test_other_spellings_normalize_to_ll_cc(raw):
    assert locale(raw) == Normalized(
        "nl-BE", (Note("normalized", "locale_spelling", raw, "nl-BE"),)
    )


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("nl", "BE", "nl-BE"),
        ("fr", "BE", "fr-BE"),
        ("de", "BE", "de-BE"),
        ("en", "BE", "en-BE"),
        ("NL", "BE", "nl-BE"),
        ("nl", "be", "nl-BE"),
        ("nl", "NL", "nl-NL"),
        ("fr", "LU", "fr-LU"),
        ("en", "GB", "en-GB"),
        ("zh", "TW", "zh-Hant-TW"),  # Babel knows zh_TW as zh_Hant_TW
    ],
)
def test_bare_language_is_completed_with_the_companys_country(raw, country, expected):
    assert locale(raw, country=country) == Normalized(
        expected, (Note("normalized", "locale_completed", raw, expected),)
    )


@pytest.mark.parametrize(("raw", "country"), [("nl", None), ("nl", "DE"), ("nl", ""), ("xx", "BE")])
def test_bare_language_without_a_known_combination_is_invalid(raw, country):
    with pytest.raises(IdentifierError) as exc:
        locale(raw, country=country)
    assert exc.value.code == "invalid_locale"


@pytest.mark.parametrize(
    "raw",
    [
        "nl-DE",  # Babel has no Dutch for Germany
        "xx-BE",
        "nl-XX",
        "es-419",  # a region, not a country
        "en-150",
        "en-US-POSIX",
        "ca-ES-VALENCIA",
        "nl BE",
        "nl--BE",
        "nl-BE-",
        "Nederlands",
        "nl-BEL",
        "und",
        "root",
    ],
)
def test_unknown_locales_are_invalid(raw):
    with pytest.raises(IdentifierError) as exc:
        locale(raw, country="BE")
    assert exc.value.code == "invalid_locale"


def test_script_subtags_are_kept_in_babels_spelling():
    assert locale("zh-Hant-TW") == Normalized("zh-Hant-TW")
    assert locale("zh_hant_tw").value == "zh-Hant-TW"
    assert locale("sr-Latn-RS").value == "sr-Latn-RS"


def test_aliases_babel_resolves_are_accepted_in_canonical_spelling():
    assert locale("zh-TW") == Normalized(
        "zh-Hant-TW", (Note("normalized", "locale_spelling", "zh-TW", "zh-Hant-TW"),)
    )
    assert locale("iw-IL").value == "he-IL"


def test_the_table_holds_babels_locales_with_a_country():
    assert {"nl-BE", "fr-BE", "de-BE", "en-BE", "en-GB", "zh-Hant-TW"} <= LOCALES
    assert not {"es-419", "en-001", "en-US-POSIX", "nl", "en"} & LOCALES
    for canonical in LOCALES:
        assert localedata.exists(canonical.replace("-", "_"))


def _respell(canonical: str, separator: str, cases: list[bool]) -> str:
    spelled = "".join(
        c.upper() if up else c.lower()
        for c, up in zip(canonical, cases + [False] * 20, strict=False)
    )
    return spelled.replace("-", separator)


@given(
    st.sampled_from(sorted(LOCALES)),
    st.sampled_from(["-", "_"]),
    st.lists(st.booleans(), min_size=11, max_size=11),
)
def test_every_known_locale_in_any_spelling_normalizes_to_one_canonical_form(
    canonical, separator, cases
):
    typed = _respell(canonical, separator, cases)
    result = locale(typed)
    assert result.value == canonical
    assert [n.reason for n in result.notes] == ([] if typed == canonical else ["locale_spelling"])


@given(st.sampled_from(sorted(LOCALES)))
def test_every_known_locale_is_completed_from_its_own_country(canonical):
    *language, country = canonical.split("-")
    assert locale("-".join(language), country=country).value == canonical


def test_a_postal_code_with_a_superscript_digit_is_no_belgian_region():
    # "²" is a digit to str.isdigit() but not a number to int().
    assert default_locale("BE", "10\u00b20") == BELGIAN_LOCALE
