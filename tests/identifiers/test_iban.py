"""IBANs: ISO 13616 structure per country, mod-97 check digits, Belgian national check."""

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import iban as stdnum_iban
from stdnum import numdb
from stdnum.util import get_cc_module

from partnerspace.identifiers.rules import IdentifierError, Normalized, Note, iban

UNKNOWN_BANK = "unknown_bank_code"


def reasons_of(result):
    return [note.reason for note in result.notes]


def test_belgian_iban_of_a_known_bank_is_accepted_unchanged():
    assert iban("BE48320070184927") == Normalized("BE48320070184927")  # ING (bank code 320)


@pytest.mark.parametrize(
    ("raw", "reasons"),
    [
        ("BE48 3200 7018 4927", ["separators_removed"]),
        ("BE48-3200-7018-4927", ["separators_removed"]),
        ("BE48\xa03200\xa07018\xa04927", ["separators_removed"]),
        ("be48320070184927", ["case_changed"]),
        ("be48 3200 7018 4927", ["separators_removed", "case_changed"]),
        ("IBAN BE48 3200 7018 4927", ["separators_removed", "prefix_removed"]),
    ],
)
def test_spellings_of_an_iban_normalize_with_notes(raw, reasons):
    result = iban(raw)
    assert result.value == "BE48320070184927"
    assert reasons_of(result) == reasons
    assert all(n.original == raw and n.normalized == "BE48320070184927" for n in result.notes)


def test_belgian_iban_with_unknown_bank_code_is_accepted_with_a_warning():
    # bank code 138 is not on the National Bank's list (python-stdnum's doctest)
    result = iban("BE83 1388 1173 5115")
    assert result.value == "BE83138811735115"
    assert result.notes == (
        Note("normalized", "separators_removed", "BE83 1388 1173 5115", "BE83138811735115"),
        Note(UNKNOWN_BANK, "bank_code_unknown", "BE83 1388 1173 5115", "BE83138811735115"),
    )


def test_belgian_iban_with_wrong_national_check_digits_is_invalid():
    # mod-97 of the IBAN is right, the last two (Belgian) check digits are not
    assert stdnum_iban.is_valid("BE41091811735141", check_country=False)
    with pytest.raises(IdentifierError) as exc:
        iban("BE41091811735141")
    assert exc.value.code == "invalid_iban"


@pytest.mark.parametrize(
    "raw",
    [
        "NL91ABNA0417164300",
        "DE89370400440532013000",
        "FR1420041010050500013M02606",
        "GB29NWBK60161331926819",
        "LU280019400644750000",
        "ES9121000418450200051332",
        "CH9300762011623852957",
        "XK051212012345678906",
        "GR1601101050000010547023795",
        "NO9386011117947",
    ],
)
def test_ibans_of_other_countries_are_accepted(raw):
    assert iban(raw) == Normalized(raw)


@pytest.mark.parametrize(
    "raw",
    [
        "BE48320070184928",  # mod-97 wrong
        "BE4832007018492",  # too short for Belgium
        "BE483200701849271",  # too long for Belgium
        "NL91ABNA041716430",  # too short for the Netherlands
        "NL91ABN10417164300",  # digit where the bank code has letters
        "ES9121000418450200051333",
        "ES9121000418450200051332X",
        "ES0021000418450200051332",  # check digits 00
        "QQ48320070184927",  # not a country
        "US64SVBKUS6S3300958879",  # the US has no IBAN
        "BE48.3200.7018.4927",  # dots are not IBAN separators
        "BE",
        "4832007018492700",
        "BE48 3200 7018 4927 ✓",
    ],
)
def test_malformed_or_wrong_ibans_are_invalid(raw):
    with pytest.raises(IdentifierError) as exc:
        iban(raw)
    assert exc.value.code == "invalid_iban"
    assert exc.value.value == raw


def test_spanish_national_check_digits_are_checked():
    # valid mod-97 but wrong Spanish CCC check digits
    wrong = (
        "ES" + stdnum_iban.calc_check_digits("ES0021000418460200051332") + "21000418460200051332"
    )
    assert stdnum_iban.is_valid(wrong, check_country=False)
    with pytest.raises(IdentifierError):
        iban(wrong)


# -- generated IBANs ---------------------------------------------------------------------

_DB = numdb.get("iban")
_STRUCTURES = {}
for _code in [
    f"{a}{b}" for a in "ABCDEFGHIJKLMNOPQRSTUVWXYZ" for b in "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
]:
    _bban = _DB.info(_code)[0][1].get("bban")
    if _bban:
        _STRUCTURES[_code] = [(int(n), kind) for n, kind in re.findall(r"(\d+)!([nac])", _bban)]
# countries whose national check digits python-stdnum checks (random BBANs would fail)
_NATIONAL = {code for code in _STRUCTURES if code != "BE" and get_cc_module(code.lower(), "iban")}
_ALPHABETS = {
    "n": "0123456789",
    "a": "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    "c": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
}


def _check_digits(code: str, bban: str) -> str:
    number = "".join(str(int(c, 36)) for c in bban + code + "00")
    return f"{98 - int(number) % 97:02d}"


@st.composite
def valid_ibans(draw):
    code = draw(st.sampled_from(sorted(set(_STRUCTURES) - _NATIONAL)))
    bban = "".join(
        draw(st.text(alphabet=_ALPHABETS[kind], min_size=n, max_size=n))
        for n, kind in _STRUCTURES[code]
    )
    if code == "BE":  # national check digits: the first ten digits mod 97 (97 for 0)
        bban = bban[:10] + f"{int(bban[:10]) % 97 or 97:02d}"
    return code + _check_digits(code, bban) + bban


def test_the_generator_covers_the_iso_13616_registry():
    assert len(_STRUCTURES) > 80
    assert {"BE", "NL", "FR", "DE", "LU", "GB", "XK"} <= set(_STRUCTURES)


@given(valid_ibans())
def test_generated_ibans_agree_with_python_stdnum(value):
    assert stdnum_iban.is_valid(value, check_country=False)


@given(
    valid_ibans(),
    st.sampled_from([" ", "", "-", "\xa0", "  "]),
    st.integers(1, 6),
    st.sampled_from([str.upper, str.lower, str.swapcase]),
)
def test_every_valid_iban_is_accepted_with_any_spacing_and_case(value, separator, group, case):
    typed = case(separator.join(value[i : i + group] for i in range(0, len(value), group)))
    result = iban(typed)
    assert result.value == value
    assert {n.code for n in result.notes} <= {"normalized", UNKNOWN_BANK}
    assert ("separators_removed" in reasons_of(result)) == (separator != "" and typed != value)
    assert iban(value).value == value


@given(valid_ibans(), st.data())
def test_every_single_digit_change_of_a_valid_iban_is_rejected(value, data):
    positions = [i for i, c in enumerate(value) if c.isdigit()]
    position = data.draw(st.sampled_from(positions))
    shift = data.draw(st.integers(1, 9))
    changed = value[:position] + str((int(value[position]) + shift) % 10) + value[position + 1 :]
    with pytest.raises(IdentifierError) as exc:
        iban(changed)
    assert exc.value.code == "invalid_iban"


@given(valid_ibans())
def test_unknown_bank_code_warning_only_for_belgium(value):
    result = iban(value)
    warned = any(n.code == UNKNOWN_BANK for n in result.notes)
    if value.startswith("BE"):
        known = bool(numdb.get("be/banks").info(value[4:7])[0][1])
        assert warned == (not known)
    else:
        assert not warned
