"""The member state code and number VIES is asked about, from a stored VAT number."""

import pytest

from partnerspace.identifiers.rules import vies_parts


@pytest.mark.parametrize(
    ("stored", "parts"),
    [
        ("BE0403019261", ("BE", "0403019261")),
        ("be 0403.019.261", ("BE", "0403019261")),
        ("EL094259216", ("EL", "094259216")),  # Greece asks as EL
        ("XI123456782", ("XI", "123456782")),  # Northern Ireland
        ("FR40303265045", ("FR", "40303265045")),
        ("ATU13585627", ("AT", "U13585627")),
    ],
)
def test_an_eu_vat_number_is_split_into_member_state_and_number(stored, parts):
    assert vies_parts(stored) == parts


@pytest.mark.parametrize(
    "stored", [None, "", "CHE123456788", "GB123456789", "GR094259216", "BE", "NO123456789MVA"]
)
def test_a_number_vies_does_not_know_has_no_parts(stored):
    assert vies_parts(stored) is None
