"""Belgian postal codes: 4 digits from 1000 to 9999, and a warning for one bpost does not use."""

import pytest

from partnerspace.identifiers import rules


@pytest.mark.parametrize("raw", ["9000", 9000, 9000.0, " 9000 ", "B-9000", "9 000", "be-9000"])
def test_a_belgian_postal_code_is_four_digits(raw):
    assert rules.postal_code(raw, country="BE").value == "9000"


@pytest.mark.parametrize("raw", ["99999", "999", "0999", "0000", "90OO", "Gent", "9000 Gent"])
def test_anything_else_is_refused_for_a_belgian_client(raw):
    with pytest.raises(rules.IdentifierError) as refused:
        rules.postal_code(raw, country="BE")
    assert refused.value.code == "invalid_postal_code"


def test_a_well_formed_code_bpost_does_not_use_is_kept_with_a_warning():
    result = rules.postal_code("1234", country="BE")
    assert result.value == "1234"
    assert [(n.code, n.reason) for n in result.notes] == [
        ("unknown_postal_code", "postal_code_unknown")
    ]
    assert not rules.postal_code("9000", country="BE").notes


def test_the_list_holds_the_codes_of_bpost():
    codes = rules.be_postal_codes()
    assert {"1000", "2000", "3000", "4000", "8000", "9000", "9992"} <= codes
    assert len(codes) > 1000
    assert all(len(code) == 4 and "1000" <= code <= "9999" for code in codes)
    assert "bpost" in rules.BE_POSTAL_CODES_FILE.read_text(encoding="utf-8").splitlines()[1]


def test_another_countrys_postal_code_is_kept_as_typed():
    assert rules.postal_code("1012 AB", country="NL").value == "1012 AB"
    assert rules.postal_code("75008", country="FR").value == "75008"
