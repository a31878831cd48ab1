"""How every rule treats raw cell values: blanks, whitespace, numbers, booleans."""

import math
import subprocess
import sys
import textwrap
from decimal import Decimal

import pytest

from partnerspace.identifiers import rules
from partnerspace.identifiers.rules import IdentifierError, Normalized, Note

TEXT_RULES = {
    "country": (rules.country, {}),
    "company_number": (rules.company_number, {}),
    "foreign_company_number": (rules.company_number, {"country": "DE"}),
    "vat_number": (rules.vat_number, {"country": "BE"}),
    "foreign_vat_number": (rules.vat_number, {"country": "CH"}),
    "iban": (rules.iban, {}),
    "locale": (rules.locale, {"country": "BE"}),
    "email": (rules.email, {}),
}

BLANKS = [None, "", "   ", "\t\n", "\xa0", " \u202f\xa0 ", "\ufeff", "\u200b ", math.nan]


@pytest.mark.parametrize("name", TEXT_RULES)
@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_blank_input_is_none_without_notes(name, blank):
    rule, kwargs = TEXT_RULES[name]
    assert rule(blank, **kwargs) == Normalized(None)


@pytest.mark.parametrize("blank", BLANKS, ids=repr)
def test_blank_yes_no_is_false(blank):
    assert rules.yes_no(blank) == Normalized(False)


@pytest.mark.parametrize(
    ("name", "raw", "expected"),
    [
        ("country", "\xa0BE\t", "BE"),
        ("company_number", " 0403019261\xa0", "0403019261"),
        ("vat_number", "\u200bBE0403019261 ", "BE0403019261"),
        ("iban", "\nBE48320070184927\n", "BE48320070184927"),
        ("locale", "  nl-BE ", "nl-BE"),
        ("email", " jan@example.be\xa0", "jan@example.be"),
    ],
)
def test_surrounding_whitespace_is_stripped_silently(name, raw, expected):
    rule, kwargs = TEXT_RULES[name]
    assert rule(raw, **kwargs) == Normalized(expected)


@pytest.mark.parametrize("name", TEXT_RULES)
@pytest.mark.parametrize("flag", [True, False])
def test_booleans_are_invalid_outside_yes_no(name, flag):
    rule, kwargs = TEXT_RULES[name]
    with pytest.raises(IdentifierError):
        rule(flag, **kwargs)


@pytest.mark.parametrize("raw", [403019261.5, math.inf, -math.inf, Decimal("403019261.5")])
def test_non_integral_numbers_are_invalid(raw):
    with pytest.raises(IdentifierError) as exc:
        rules.company_number(raw)
    assert exc.value.code == "invalid_company_number"


@pytest.mark.parametrize("raw", [403019261, 403019261.0, Decimal("403019261"), "403019261"])
def test_spreadsheet_numbers_are_read_as_their_digits(raw):
    result = rules.company_number(raw)
    assert result.value == "0403019261"
    assert result.notes == (Note("normalized", "leading_zero_restored", "403019261", "0403019261"),)


def test_other_types_are_invalid():
    with pytest.raises(IdentifierError) as exc:
        rules.country(["BE"])
    assert exc.value.code == "invalid_country"


def test_identifier_error_carries_code_and_value():
    with pytest.raises(IdentifierError) as exc:
        rules.country("Atlantis")
    assert exc.value.code == "invalid_country"
    assert exc.value.value == "Atlantis"
    assert isinstance(exc.value, ValueError)
    assert "invalid_country" in str(exc.value)


def test_identifier_error_defaults_to_empty_value():
    error = IdentifierError("invalid_iban")
    assert (error.code, error.value, str(error)) == ("invalid_iban", "", "invalid_iban")


def test_results_are_immutable():
    result = rules.country("be")
    with pytest.raises(AttributeError):
        result.value = "NL"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.notes[0].reason = "x"  # type: ignore[misc]


def test_rules_module_runs_without_django():
    """rules.py is loaded on its own (not through the package) in a fresh interpreter
    where importing Django fails: it must neither import nor need Django."""
    code = textwrap.dedent(
        """
        import importlib.abc, importlib.util, sys

        class NoDjango(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name == "django" or name.startswith("django."):
                    raise ImportError("django must not be imported")

        sys.meta_path.insert(0, NoDjango())
        spec = importlib.util.spec_from_file_location("rules_alone", sys.argv[1])
        rules = importlib.util.module_from_spec(spec)
        sys.modules["rules_alone"] = rules
        spec.loader.exec_module(rules)
        assert rules.country("be").value == "BE"
        assert rules.company_number("BE 0403.019.261").value == "0403019261"
        """
    )
    subprocess.run([sys.executable, "-c", code, rules.__file__], check=True)
