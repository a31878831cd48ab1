"""A whole address or a whole name in one cell, split into its parts (rules.split_address,
rules.split_name): the way Belgian exports write them, and any text at all."""

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from partnerspace.identifiers import rules
from partnerspace.identifiers.rules import AddressParts, NameParts, split_address, split_name


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("Kerkstraat 12 bus 3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12/3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12 b 3", ("Kerkstraat", "12", "3")),
        ("Kerkstraat 12A", ("Kerkstraat", "12A", "")),
        ("Kerkstraat 12A bus 3", ("Kerkstraat", "12A", "3")),
        ("Kerkstraat 12-14", ("Kerkstraat", "12-14", "")),
        ("Kerkstraat nr. 12", ("Kerkstraat", "12", "")),
        ("Steenweg op Gent 123 bus 4", ("Steenweg op Gent", "123", "4")),
        ("Rue de la Loi 16 bte 2", ("Rue de la Loi", "16", "2")),
        ("Avenue Louise 54 boîte 12", ("Avenue Louise", "54", "12")),
        ("Rue du 11 Novembre 5", ("Rue du 11 Novembre", "5", "")),
        ("16, rue de la Loi", ("rue de la Loi", "16", "")),
        ("12 rue de la Paix", ("rue de la Paix", "12", "")),
        ("Meir 1 bus A2", ("Meir", "1", "A2")),
        ("  Kerkstraat\u00a0 12   bus 3 ", ("Kerkstraat", "12", "3")),
        ("Grote Markt", ("Grote Markt", "", "")),
    ],
)
def test_an_address_is_split_into_street_number_and_box(text, parts):
    assert split_address(text) == AddressParts(*parts)


@pytest.mark.parametrize(
    ("text", "parts"),
    [
        ("An Peeters", ("An", "Peeters")),
        ("Peeters, An", ("An", "Peeters")),
        ("Jan Van den Broeck", ("Jan", "Van den Broeck")),
        ("Marie-Claire de Smet", ("Marie-Claire", "de Smet")),
        ("Jean Pierre Dubois", ("Jean Pierre", "Dubois")),
        ("DUBOIS Marie", ("Marie", "DUBOIS")),
        ("Dhr. Jan Peeters", ("Jan", "Peeters")),
        ("Mme Marie DUBOIS", ("Marie", "DUBOIS")),
        ("Peeters", ("", "Peeters")),
    ],
)
def test_a_name_is_split_into_first_and_last_name(text, parts):
    assert split_name(text) == NameParts(*parts)


@pytest.mark.parametrize("blank", [None, "", "   ", " , "])
def test_a_blank_cell_is_not_split(blank):
    assert split_address(blank) is None
    assert split_name(blank) is None


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèëç", min_size=2, max_size=12)
STREET = st.lists(WORD, min_size=1, max_size=4).map(" ".join).map(str.capitalize)
NUMBER = st.integers(min_value=1, max_value=9999).map(str)
BOX = st.one_of(st.just(""), st.integers(min_value=1, max_value=999).map(str))
BOX_WORD = st.sampled_from(["bus", "bte", "boîte", "box", "b", "/"])


@given(street=STREET, number=NUMBER, box=BOX, word=BOX_WORD)
def test_an_address_written_from_its_parts_splits_back_into_them(street, number, box, word):
    assume(not any(part in {"bus", "bte", "box", "b", "nr", "no"} for part in street.split()))
    written = f"{street} {number}" + (f"{' ' if word != '/' else ''}{word} {box}" if box else "")
    assert split_address(written) == AddressParts(street, number, box)


@given(st.text(max_size=60))
def test_any_text_splits_into_stripped_parts_that_keep_its_words(text):
    address = split_address(text)
    if address is None:
        assert not text.replace(",", " ").strip()
        return
    assert address.street
    for part in (address.street, address.house_number, address.box):
        assert part == part.strip()
    words = " ".join(text.split())
    assert address.street in words


NAME_WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=10).map(
    str.capitalize
)


@given(first=NAME_WORD, last=NAME_WORD)
def test_a_first_and_a_last_name_split_back_in_either_order(first, last):
    # A courtesy title ("Mrs", "Heer", "Monsieur") is not a name: the rule drops it.
    assume(first.casefold() not in rules._NAME_TITLES and last.casefold() not in rules._NAME_TITLES)
    assert split_name(f"{first} {last}") == NameParts(first, last)
    assert split_name(f"{last}, {first}") == NameParts(first, last)


@given(st.text(max_size=60))
def test_any_name_splits_into_parts_that_together_hold_its_words(text):
    name = split_name(text)
    if name is None:
        assert not text.replace(",", " ").strip()
        return
    words = set(" ".join(text.replace(",", " ").split()).split())
    assert set(f"{name.first_name} {name.last_name}".split()) <= words
    assert name.first_name or name.last_name
