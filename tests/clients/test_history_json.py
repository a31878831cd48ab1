"""The history lines an import writes as text are the JSON the history would have stored."""

import json
import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from partnerspace.clients.history import TRACKED_FIELDS, creation_changes, creation_changes_json
from partnerspace.clients.search import _ACCENTS, fold
from partnerspace.core.bulk import JsonText

ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.text(),
    st.just(""),
    st.decimals(allow_nan=False, allow_infinity=False),
)


# Fourteen values per example: on a busy machine drawing them can take longer than the
# health check's second, which says nothing of the code under test.
@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.fixed_dictionaries(dict.fromkeys(TRACKED_FIELDS, VALUES)))
def test_creation_changes_as_text_are_what_the_history_encoded(values):
    text = creation_changes_json(values)

    assert isinstance(text, JsonText)
    assert text == ENCODER.encode(creation_changes(values))
    assert json.loads(text) == creation_changes(values)


def test_creation_changes_as_text_keep_quotes_controls_and_accents():
    values = {"legal_name": 'Bêta "Bouw"\n\tBV\u2028', "peppol_mandate": True, "notes": ""}

    assert creation_changes_json(values) == (
        '[{"field":"legal_name","old":null,"new":"Bêta \\"Bouw\\"\\n\\tBV\u2028"},'
        '{"field":"peppol_mandate","old":null,"new":true}]'
    )


def _fold_by_table(text: str) -> str:
    """fold as it was written first: every character through the accent table."""
    folded = text.casefold().translate(_ACCENTS)
    if folded.isascii():
        return folded
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@given(st.text())
def test_fold_looks_up_only_the_letters_that_need_it_and_folds_as_before(text):
    assert fold(text) == _fold_by_table(text)


def test_fold_takes_the_accents_off_and_leaves_other_letters():
    assert fold("Ça Ŝ'Élève à Liège, Straße Øster 東京") == "ca s'eleve a liege, strasse øster 東京"
