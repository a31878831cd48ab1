"""Arbitrary input: every rule either normalizes or raises IdentifierError, nothing else,
and what it returns is a fixed point (validating it again changes nothing)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from partnerspace.identifiers import rules
from partnerspace.identifiers.rules import IdentifierError, Normalized

RULES = {
    "country": (rules.country, {}),
    "company_number_be": (rules.company_number, {}),
    "company_number_de": (rules.company_number, {"country": "DE"}),
    "vat_number_be": (rules.vat_number, {"country": "BE"}),
    "vat_number_nl": (rules.vat_number, {"country": "NL"}),
    "vat_number_gr": (rules.vat_number, {"country": "GR"}),
    "vat_number_gb": (rules.vat_number, {"country": "GB"}),
    "vat_number_ch": (rules.vat_number, {"country": "CH"}),
    "vat_number_none": (rules.vat_number, {"country": None}),
    "iban": (rules.iban, {}),
    "locale": (rules.locale, {"country": "BE"}),
    "email": (rules.email, {}),
    "yes_no": (rules.yes_no, {}),
}

# text that looks a little like the real thing, so some of it is valid
_CHARS = st.sampled_from([*"0123456789 .-/BEbeNLFRIXGRLK_@aéü\xa0\t", "BE", "0403", "nl"])
_NEAR_TEXT = st.lists(_CHARS, max_size=24).map("".join)
_RAW = st.one_of(
    st.text(),
    _NEAR_TEXT,
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(),
    st.decimals(allow_nan=True),
)

ERROR_CODES = {
    "invalid_country",
    "invalid_company_number",
    "company_number_checksum",
    "invalid_vat",
    "vat_checksum",
    "invalid_iban",
    "invalid_locale",
    "invalid_email",
    "invalid_mandate",
}
NOTE_REASONS = {
    "case_changed",
    "country_name",
    "separators_removed",
    "whitespace_collapsed",
    "prefix_removed",
    "prefix_added",
    "prefix_changed",
    "leading_zero_restored",
    "reformatted",
    "locale_spelling",
    "locale_completed",
}


@pytest.mark.parametrize("name", RULES)
@settings(max_examples=200)
@given(raw=_RAW)
def test_any_input_normalizes_or_raises_identifier_error(name, raw):
    rule, kwargs = RULES[name]
    try:
        result = rule(raw, **kwargs)
    except IdentifierError as error:
        code = error.code
    else:
        code = None
    if code is not None:
        assert code in ERROR_CODES
        return
    assert isinstance(result, Normalized)
    for note in result.notes:
        assert note.code in {"normalized", "unknown_bank_code"}
        assert note.reason in NOTE_REASONS | {"bank_code_unknown"}
        assert note.normalized == str(result.value)
    if isinstance(result.value, str):
        again = rule(result.value, **kwargs)
        assert again.value == result.value
        assert all(note.code != "normalized" for note in again.notes)


@pytest.mark.parametrize("name", [n for n in RULES if n != "yes_no"])
@given(raw=st.text())
def test_arbitrary_text_yields_a_string_or_none(name, raw):
    rule, kwargs = RULES[name]
    try:
        value = rule(raw, **kwargs).value
    except IdentifierError:
        return
    assert value is None or (isinstance(value, str) and value == value.strip() and value)


def test_decimal_from_a_spreadsheet_is_a_number():
    assert rules.company_number(Decimal("403019261")).value == "0403019261"
