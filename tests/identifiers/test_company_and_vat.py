"""Belgian enterprise numbers (KBO/BCE), VAT numbers and how the two relate."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from partnerspace.identifiers.rules import (
    IdentifierError,
    Normalized,
    Note,
    check_vat_matches_company_number,
    company_number,
    company_number_of_vat,
    vat_number,
)


def enterprise_number(first_eight: int) -> str:
    """A valid enterprise number: check digits are 97 - (first eight digits mod 97)."""
    return f"{first_eight:08d}{97 - first_eight % 97:02d}"


# Numbers are issued from 0200.000.000 on; the 1-series since 2023.
enterprise_numbers = st.integers(2_000_000, 19_999_999).map(enterprise_number)
ONE_SERIES = enterprise_number(10_000_000)  # "1000000021"


def notes(original, normalized, *reasons):
    return tuple(Note("normalized", reason, original, normalized) for reason in reasons)


def reasons_of(result):
    return [note.reason for note in result.notes]


# -- enterprise number ------------------------------------------------------------------


def test_real_number_is_accepted_unchanged():
    assert company_number("0403019261") == Normalized("0403019261")


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        ("0403.019.261", ["separators_removed"]),
        ("0403 019 261", ["separators_removed"]),
        ("0403\xa0019\xa0261", ["separators_removed"]),
        ("0403-019-261", ["separators_removed"]),
        ("0403/019/261", ["separators_removed"]),
        ("BE0403019261", ["prefix_removed"]),
        ("be0403019261", ["prefix_removed"]),
        ("BE 0403.019.261", ["separators_removed", "prefix_removed"]),
        ("403019261", ["leading_zero_restored"]),
        ("403.019.261", ["separators_removed", "leading_zero_restored"]),
        ("BE403019261", ["prefix_removed", "leading_zero_restored"]),
        (403019261, ["leading_zero_restored"]),
        (403019261.0, ["leading_zero_restored"]),
    ],
    ids=repr,
)
def test_spellings_normalize_with_one_note_per_repair(raw, reasons):
    original = raw if isinstance(raw, str) else "403019261"
    assert company_number(raw) == Normalized("0403019261", notes(original, "0403019261", *reasons))


def test_one_series_number_is_accepted():
    assert ONE_SERIES == "1000000021"
    assert company_number(ONE_SERIES) == Normalized(ONE_SERIES)
    assert company_number("1000.000.021").value == ONE_SERIES
    assert company_number(1000000021).value == ONE_SERIES


@pytest.mark.parametrize(
    "raw",
    [
        "2403019261",  # first digit neither 0 nor 1
        "9403019261",
        "04030192611",  # 11 digits
        "40301926",  # 8 digits
        "O403019261",  # letter O for zero
        "0403O19261",
        "BE",
        "NL0403019261",
        "0403,019,261",
        "０４０３０１９２６１",  # full-width digits
        "04030192６1",
        "٠٤٠٣٠١٩٢٦١",  # Arabic-Indic digits
    ],
)
def test_malformed_numbers_are_invalid_company_number(raw):
    with pytest.raises(IdentifierError) as exc:
        company_number(raw)
    assert exc.value.code == "invalid_company_number"
    assert exc.value.value == raw


@pytest.mark.parametrize("raw", ["0403019262", "0403.019.260", "403019262", "1000000057"])
def test_wrong_check_digits_are_company_number_checksum(raw):
    with pytest.raises(IdentifierError) as exc:
        company_number(raw)
    assert exc.value.code == "company_number_checksum"


def test_check_digits_00_are_never_valid():
    # 97 * 42 = 4074: mod-97 remainder 0, so the issued check digits are 97, never 00
    assert company_number("0000407497").value == "0000407497"
    with pytest.raises(IdentifierError) as exc:
        company_number("0000407400")
    assert exc.value.code == "company_number_checksum"


@pytest.mark.parametrize(
    ("raw", "expected", "reasons"),
    [
        ("HRB 12345", "HRB 12345", []),
        ("  KvK 12345678 ", "KvK 12345678", []),
        ("RCS Paris  B 552 081 317", "RCS Paris B 552 081 317", ["whitespace_collapsed"]),
        (12345678, "12345678", []),
        ("x" * 32, "x" * 32, []),
    ],
)
def test_company_numbers_outside_belgium_are_kept_as_given(raw, expected, reasons):
    result = company_number(raw, country="FR")
    assert result.value == expected
    assert reasons_of(result) == reasons


@pytest.mark.parametrize("raw", ["x" * 33, "HRB\x0012345", "HRB\x7f1"])
def test_company_numbers_outside_belgium_are_at_most_32_printable_characters(raw):
    with pytest.raises(IdentifierError) as exc:
        company_number(raw, country="DE")
    assert exc.value.code == "invalid_company_number"


def test_foreign_company_number_is_not_checked_as_belgian():
    assert company_number("0403019262", country="NL").value == "0403019262"


@given(
    enterprise_numbers,
    st.sampled_from(["", "BE", "be", "Be", "BE ", "be-"]),
    st.sampled_from(["{}{}{}", "{}.{}.{}", "{} {} {}", "{}-{}-{}", "{}/{}/{}", "{}\xa0{}\xa0{}"]),
    st.booleans(),
    st.sampled_from(["", " ", "\xa0", "\t"]),
)
def test_every_spelling_of_a_valid_number_gives_its_ten_digits(
    number, prefix, layout, drop_zero, padding
):
    digits = number[1:] if drop_zero and number[0] == "0" else number
    body = layout.format(digits[:-6], digits[-6:-3], digits[-3:])
    typed = f"{padding}{prefix}{body}{padding}"
    result = company_number(typed)
    assert result.value == number
    expected = set()
    if body != digits:
        expected.add("separators_removed")
    if prefix.strip(" -"):
        expected.add("prefix_removed")
        if prefix != prefix.strip(" -"):
            expected.add("separators_removed")
    if digits != number:
        expected.add("leading_zero_restored")
    assert set(reasons_of(result)) == expected
    assert len(result.notes) == len(expected)
    assert all(n.original == typed.strip() and n.normalized == number for n in result.notes)


@given(enterprise_numbers)
def test_a_valid_number_as_spreadsheet_int_or_float_gives_its_ten_digits(number):
    assert company_number(int(number)).value == number
    assert company_number(float(number)).value == number


@given(enterprise_numbers, st.integers(0, 9), st.integers(1, 9))
def test_every_single_digit_change_is_rejected(number, position, shift):
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(IdentifierError) as exc:
        company_number(changed)
    assert exc.value.code in {"invalid_company_number", "company_number_checksum"}


@given(enterprise_numbers)
def test_a_normalized_number_is_a_fixed_point(number):
    assert company_number(company_number(f"BE {number}").value) == Normalized(number)


# -- VAT numbers: Belgium ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        ("BE0403019261", []),
        ("BE 0403.019.261", ["separators_removed"]),
        ("be0403019261", ["case_changed"]),
        ("Be 0403 019 261", ["separators_removed", "case_changed"]),
        ("BE 403019261", ["separators_removed", "leading_zero_restored"]),
        ("BE403019261", ["leading_zero_restored"]),
        ("0403019261", ["prefix_added"]),
        ("0403.019.261", ["separators_removed", "prefix_added"]),
        ("403019261", ["prefix_added", "leading_zero_restored"]),
        (403019261, ["prefix_added", "leading_zero_restored"]),
        (403019261.0, ["prefix_added", "leading_zero_restored"]),
    ],
    ids=repr,
)
def test_belgian_vat_spellings_normalize(raw, reasons):
    result = vat_number(raw, country="BE")
    assert result.value == "BE0403019261"
    assert reasons_of(result) == reasons


def test_belgian_vat_of_the_one_series_is_accepted():
    assert vat_number(f"BE{ONE_SERIES}", country="BE") == Normalized(f"BE{ONE_SERIES}")


@pytest.mark.parametrize(
    "raw", ["BE2403019261", "BE04030192611", "BE04030192", "BEO403019261", "BE", "XX0403019261"]
)
def test_malformed_belgian_vat_is_invalid_vat(raw):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country="BE")
    assert exc.value.code == "invalid_vat"


@pytest.mark.parametrize("raw", ["BE0403019262", "BE 403.019.260", "1000000057"])
def test_belgian_vat_with_wrong_check_digits_is_vat_checksum(raw):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country="BE")
    assert exc.value.code == "vat_checksum"


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("NL004495445B01", "BE"),  # a Dutch number for a Belgian company
        ("FR61954506077", "BE"),
        ("BE0403019261", "NL"),  # a Belgian number for a Dutch company
        ("BE0403019261", "DE"),
        ("DE136695976", "FR"),
        ("EL094259216", "DE"),
    ],
)
def test_vat_number_with_another_countrys_prefix_is_invalid_vat(raw, country):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country=country)
    assert exc.value.code == "invalid_vat"


@given(
    enterprise_numbers,
    st.sampled_from(["", "BE", "be", "bE", "BE ", "BE-"]),
    st.sampled_from(["{}{}{}", "{}.{}.{}", "{} {} {}", "{}-{}-{}"]),
    st.booleans(),
)
def test_every_spelling_of_a_belgian_vat_number_gives_be_and_ten_digits(
    number, prefix, layout, drop_zero
):
    digits = number[1:] if drop_zero and number[0] == "0" else number
    typed = prefix + layout.format(digits[:-6], digits[-6:-3], digits[-3:])
    result = vat_number(typed, country="BE")
    assert result.value == f"BE{number}"
    assert ("prefix_added" in reasons_of(result)) == (prefix == "")
    assert company_number(typed).value == number
    assert company_number_of_vat(result.value) == number
    check_vat_matches_company_number(vat=result.value, company_number=number, country="BE")


@given(enterprise_numbers, st.integers(0, 9), st.integers(1, 9))
def test_every_single_digit_change_of_a_belgian_vat_number_is_rejected(number, position, shift):
    changed = number[:position] + str((int(number[position]) + shift) % 10) + number[position + 1 :]
    with pytest.raises(IdentifierError) as exc:
        vat_number(f"BE{changed}", country="BE")
    assert exc.value.code in {"invalid_vat", "vat_checksum"}


# -- VAT numbers: other EU countries (valid examples from python-stdnum's doctests) ------


@pytest.mark.parametrize(
    ("raw", "country", "expected", "reasons"),
    [
        ("NL004495445B01", "NL", "NL004495445B01", []),
        ("NL002455799B11", "NL", "NL002455799B11", []),
        ("nl 0044.95.445.b01", "NL", "NL004495445B01", ["separators_removed", "case_changed"]),
        ("NL4495445B01", "NL", "NL004495445B01", ["leading_zero_restored"]),
        ("004495445B01", "NL", "NL004495445B01", ["prefix_added"]),
        ("FR61954506077", "FR", "FR61954506077", []),
        ("FR 61 954 506 077", "FR", "FR61954506077", ["separators_removed"]),
        ("23334175221", "FR", "FR23334175221", ["prefix_added"]),
        ("FRK7399859412", "FR", "FRK7399859412", []),
        ("K7399859412", "FR", "FRK7399859412", ["prefix_added"]),
        ("DE136695976", "DE", "DE136695976", []),
        ("de 136 695 976", "DE", "DE136695976", ["separators_removed", "case_changed"]),
        ("136695976", "DE", "DE136695976", ["prefix_added"]),
        (136695976, "DE", "DE136695976", ["prefix_added"]),
        ("ATU13585627", "AT", "ATU13585627", []),
        ("U13585627", "AT", "ATU13585627", ["prefix_added"]),
        ("LU15027442", "LU", "LU15027442", []),
        ("ESB64717838", "ES", "ESB64717838", []),
        ("IE6433435OA", "IE", "IE6433435OA", []),
        ("IT00743110157", "IT", "IT00743110157", []),
        ("EL094259216", "GR", "EL094259216", []),
        ("094259216", "GR", "EL094259216", ["prefix_added"]),
        ("GR094259216", "GR", "EL094259216", ["prefix_changed"]),
        ("XI980780684", "GB", "XI980780684", []),  # Northern Ireland
        ("XI 980 7806 84", "XI", "XI980780684", ["separators_removed"]),
    ],
)
def test_eu_vat_numbers_are_checked_by_their_countrys_rules(raw, country, expected, reasons):
    result = vat_number(raw, country=country)
    assert result.value == expected
    assert reasons_of(result) == reasons


@pytest.mark.parametrize(
    ("raw", "country"),
    [
        ("NL004495446B01", "NL"),
        ("FR84323140391", "FR"),
        ("DE136695978", "DE"),
        ("ATU13585626", "AT"),
    ],
)
def test_eu_vat_number_with_wrong_check_digit_is_vat_checksum(raw, country):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country=country)
    assert exc.value.code == "vat_checksum"


@pytest.mark.parametrize(
    ("raw", "country"), [("NL12345", "NL"), ("FR1234", "FR"), ("DEABCDEFGHI", "DE"), ("EL1", "GR")]
)
def test_eu_vat_number_of_the_wrong_shape_is_invalid_vat(raw, country):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country=country)
    assert exc.value.code == "invalid_vat"


# -- VAT numbers: outside the EU --------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "country", "expected", "reasons"),
    [
        ("CHE-123.456.789 MWST", "CH", "CHE-123.456.789 MWST", []),
        ("che-123.456.789 mwst", "CH", "CHE-123.456.789 MWST", ["case_changed"]),
        ("GB980780684", "GB", "GB980780684", []),  # the UK left the EU: not checked
        ("gb 123", "GB", "GB 123", ["case_changed"]),
        ("NO  123456789 MVA", "NO", "NO 123456789 MVA", ["whitespace_collapsed"]),
        ("anything", "US", "ANYTHING", ["case_changed"]),
    ],
)
def test_vat_numbers_outside_the_eu_are_kept_upper_cased(raw, country, expected, reasons):
    result = vat_number(raw, country=country)
    assert result.value == expected
    assert reasons_of(result) == reasons


@pytest.mark.parametrize("raw", ["X" * 33, "CHE\x00123"])
def test_vat_numbers_outside_the_eu_are_at_most_32_printable_characters(raw):
    with pytest.raises(IdentifierError) as exc:
        vat_number(raw, country="CH")
    assert exc.value.code == "invalid_vat"


def test_vat_number_without_country_is_checked_by_its_eu_prefix():
    assert vat_number("be 0403 019 261", country=None).value == "BE0403019261"
    assert vat_number("NL004495445B01", country="").value == "NL004495445B01"
    with pytest.raises(IdentifierError):
        vat_number("BE0403019262", country=None)
    assert vat_number("CHE-123", country=None).value == "CHE-123"


# -- VAT number and enterprise number together ------------------------------------------


def test_vat_number_implies_the_enterprise_number():
    assert company_number_of_vat("BE0403019261") == "0403019261"
    assert company_number_of_vat("BE 0403.019.261") == "0403019261"
    assert company_number_of_vat("NL004495445B01") is None
    assert company_number_of_vat("") is None
    assert company_number_of_vat(None) is None


def test_matching_vat_and_enterprise_number_pass():
    check_vat_matches_company_number(vat="BE0403019261", company_number="0403019261", country="BE")


def test_different_vat_and_enterprise_number_are_a_mismatch():
    other = enterprise_number(4_030_193)
    assert company_number(other).value == other
    with pytest.raises(IdentifierError) as exc:
        check_vat_matches_company_number(vat="BE0403019261", company_number=other, country="BE")
    assert exc.value.code == "vat_company_number_mismatch"


@given(enterprise_numbers, enterprise_numbers)
def test_any_two_different_numbers_are_a_mismatch(vat_digits, number):
    assume(vat_digits != number)
    with pytest.raises(IdentifierError) as exc:
        check_vat_matches_company_number(vat=f"BE{vat_digits}", company_number=number, country="BE")
    assert exc.value.code == "vat_company_number_mismatch"


@pytest.mark.parametrize(
    ("vat", "number", "country"),
    [
        (None, "0403019261", "BE"),  # an enterprise number does not imply a VAT number
        ("BE0403019261", None, "BE"),
        ("", "", "BE"),
        ("NL004495445B01", "12345678", "NL"),  # only Belgian companies are compared
        ("DE136695976", "HRB 1", "DE"),
    ],
)
def test_nothing_to_compare_passes(vat, number, country):
    check_vat_matches_company_number(vat=vat, company_number=number, country=country)
