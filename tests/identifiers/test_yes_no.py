"""Yes/no answers (the Peppol mandate) in Dutch, French, German and English."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from partnerspace.identifiers.rules import IdentifierError, Normalized, yes_no

YES = ["Ja", "Oui", "Yes", "Y", "J", "O", "True", "Waar", "Vrai", "1"]
NO = ["Nee", "Non", "No", "N", "False", "Onwaar", "Faux", "0"]


@pytest.mark.parametrize("raw", [*YES, True, 1, 1.0, "wahr"])
def test_yes_spellings_are_true(raw):
    assert yes_no(raw) == Normalized(True)


@pytest.mark.parametrize("raw", [*NO, False, 0, 0.0, "nein", "falsch"])
def test_no_spellings_are_false(raw):
    assert yes_no(raw) == Normalized(False)


@pytest.mark.parametrize("raw", [None, "", "  ", "\xa0"])
def test_empty_is_no(raw):
    assert yes_no(raw) == Normalized(False)


@pytest.mark.parametrize(
    "raw", ["maybe", "jaa", "yes!", "ja/nee", "2", "-1", 2, -1, 0.5, "si", "x", "✓", "oui non"]
)
def test_anything_else_is_invalid_mandate(raw):
    with pytest.raises(IdentifierError) as exc:
        yes_no(raw)
    assert exc.value.code == "invalid_mandate"


def _any_case(word: str, cases: list[bool]) -> str:
    return "".join(c.upper() if up else c.lower() for c, up in zip(word, cases, strict=False))


@given(
    st.sampled_from([(w, True) for w in YES] + [(w, False) for w in NO]),
    st.lists(st.booleans(), min_size=6, max_size=6),
    st.sampled_from(["", " ", "\t", "\xa0", "  \n"]),
    st.sampled_from(["", " ", "\u202f"]),
)
def test_every_listed_spelling_in_any_case_is_accepted_without_note(spelling, cases, left, right):
    word, answer = spelling
    assert yes_no(f"{left}{_any_case(word, cases)}{right}") == Normalized(answer)
