"""Display helpers and the digits used for searching."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerspace.identifiers.rules import (
    company_number,
    digits_of,
    format_company_number,
    format_iban,
    format_vat,
    iban,
    vat_number,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0403019261", "0403.019.261"),
        ("1000000021", "1000.000.021"),
        ("HRB 12345", "HRB 12345"),
        ("040301926", "040301926"),
        ("", ""),
        (None, ""),
    ],
)
def test_format_company_number(value, shown):
    assert format_company_number(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("BE48320070184927", "BE48 3200 7018 4927"),
        ("GR1601101050000010547023795", "GR16 0110 1050 0000 1054 7023 795"),
        ("NO9386011117947", "NO93 8601 1117 947"),
        ("BE48 3200 7018 4927", "BE48 3200 7018 4927"),
        ("", ""),
        (None, ""),
    ],
)
def test_format_iban_in_groups_of_four(value, shown):
    assert format_iban(value) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("BE0403019261", "BE 0403.019.261"),
        ("NL004495445B01", "NL004495445B01"),
        ("CHE-123.456.789 MWST", "CHE-123.456.789 MWST"),
        ("BE040301926", "BE040301926"),
        ("", ""),
        (None, ""),
    ],
)
def test_format_vat_belgian_numbers_with_dots(value, shown):
    assert format_vat(value) == shown


@pytest.mark.parametrize(
    ("typed", "digits"),
    [
        ("BE 0403.019.261", "0403019261"),
        ("0403-019-261", "0403019261"),
        ("403019261", "403019261"),
        ("BE48 3200 7018 4927", "48320070184927"),
        ("abc", ""),
        ("٠٤٠", ""),  # only ASCII digits
        ("", ""),
    ],
)
def test_digits_of_a_typed_number(typed, digits):
    assert digits_of(typed) == digits


@given(st.integers(2_000_000, 19_999_999))
def test_formatted_numbers_read_back_to_the_same_value(first_eight):
    number = f"{first_eight:08d}{97 - first_eight % 97:02d}"
    assert company_number(format_company_number(number)).value == number
    assert vat_number(format_vat(f"BE{number}"), country="BE").value == f"BE{number}"
    assert digits_of(format_vat(f"BE{number}")) == number


@given(st.sampled_from(["BE48320070184927", "GR1601101050000010547023795", "NO9386011117947"]))
def test_formatted_iban_reads_back(value):
    assert iban(format_iban(value)).value == value
