import os
import subprocess
import sys
from pathlib import Path

import pytest

from partnerspace.imports.columns import (
    COLUMN_BY_KEY,
    COLUMNS,
    KEYS,
    LANGUAGES,
    REQUIRED_KEYS,
    header_key,
    headers_for,
    normalize_header,
)

from .builders import DUTCH_HEADERS

SRC = Path(__file__).resolve().parents[2] / "src"


def test_columns_come_in_the_agreed_order_with_the_reference_dutch_headers():
    assert KEYS == (
        "legal_name",
        "country",
        "contact_email",
        "contact_first_name",
        "contact_last_name",
        "contact_locale",
        "company_number",
        "vat_number",
        "external_reference",
        "iban",
        "street",
        "house_number",
        "box",
        "postal_code",
        "city",
        "peppol_mandate",
        "template",
    )
    assert headers_for("nl") == DUTCH_HEADERS


def test_the_six_contact_and_identity_columns_are_required_and_marked_with_a_star():
    assert KEYS[:6] == REQUIRED_KEYS
    for column in COLUMNS:
        for language in LANGUAGES:
            assert column.labels[language].endswith(" *") == column.required


def test_identifier_columns_are_the_ones_that_recognise_a_client():
    identifiers = [column.key for column in COLUMNS if column.is_identifier]
    assert identifiers == ["company_number", "vat_number", "external_reference"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_header_of_every_language_is_recognised_as_its_own_column(language):
    for column in COLUMNS:
        assert header_key(column.labels[language]) == column.key


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("Juridische naam", "legal_name"),  # without the star
        ("juridische naam*", "legal_name"),
        ("  JURIDISCHE   NAAM  * ", "legal_name"),
        ("Juridische\u00a0naam\u00a0*", "legal_name"),  # no-break spaces from a web page
        ("Denomination legale", "legal_name"),  # accents left out
        ("DÉNOMINATION LÉGALE *", "legal_name"),
        ("Pays (code a deux lettres)", "country"),
        ("Numero d’entreprise", "company_number"),  # typographic apostrophe
        ("legal_name", "legal_name"),  # the key itself
        ("Boite", "box"),
        ("Commune / ville", "city"),
        ("Modele", "template"),
    ],
)
def test_headers_are_recognised_whatever_the_case_spacing_star_and_accents(text, key):
    assert header_key(text) == key


@pytest.mark.parametrize(
    ("alias", "key"),
    [
        ("Ondernemingsnummer", "company_number"),
        ("Numéro BCE", "company_number"),
        ("BTW-nummer", "vat_number"),
        ("Btw", "vat_number"),
        ("Numéro de TVA", "vat_number"),
        ("VAT number", "vat_number"),
        ("E-mail", "contact_email"),
        ("Courriel", "contact_email"),
        ("Company name", "legal_name"),
        ("Raison sociale", "legal_name"),
        ("Voornaam", "contact_first_name"),
        ("Nom de famille", "contact_last_name"),
        ("Taal", "contact_locale"),
        ("Land", "country"),
        ("Huisnummer", "house_number"),
        ("Bus", "box"),
        ("Gemeente", "city"),
        ("Localité", "city"),
        ("Peppol-mandaat", "peppol_mandate"),
    ],
)
def test_common_aliases_are_recognised(alias, key):
    assert header_key(alias) == key


@pytest.mark.parametrize(
    "text", ["Opmerkingen", "Naam", "Nom", "Nr", "", "   ", "*", None, "Telefoon", 2024]
)
def test_unknown_or_ambiguous_headers_are_not_recognised(text):
    assert header_key(text) is None


def test_no_two_columns_share_a_header_in_any_language_or_alias():
    owners = {}
    for column in COLUMNS:
        for text in (column.key, *column.labels.values(), *column.aliases):
            owner = owners.setdefault(normalize_header(text), column.key)
            assert owner == column.key, text


@pytest.mark.parametrize(
    ("language", "first", "last"),
    [
        ("fr", "Dénomination légale *", "Modèle"),
        ("fr-BE", "Dénomination légale *", "Modèle"),
        ("en", "Legal name *", "Template"),
        ("en_GB", "Legal name *", "Template"),
        ("nl", "Juridische naam *", "Sjabloon"),
        ("de", "Juridische naam *", "Sjabloon"),  # no German headers: the reference
        ("", "Juridische naam *", "Sjabloon"),
    ],
)
def test_headers_for_a_language_or_locale_fall_back_to_dutch(language, first, last):
    headers = headers_for(language)
    assert (headers[0], headers[-1], len(headers)) == (first, last, len(COLUMNS))


def test_french_and_english_headers_are_all_different_from_each_other():
    for language in LANGUAGES:
        assert len(set(headers_for(language))) == len(COLUMNS)


EXAMPLE_WORDS = {"nl": "Bijvoorbeeld: ", "fr": "Par exemple : ", "en": "For example: "}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_column_has_a_hint_with_an_example_in_every_language(language):
    for column in COLUMNS:
        assert EXAMPLE_WORDS[language] in column.hint(language), column.key


def test_the_company_number_hint_gives_the_rule_and_an_example():
    assert COLUMN_BY_KEY["company_number"].hint("nl") == (
        "10 cijfers, begint met 0 of 1, zonder punten of spaties. Bijvoorbeeld: 0403019261"
    )


def test_columns_are_immutable_and_hashable():
    column = COLUMN_BY_KEY["iban"]
    assert {column: 1}[COLUMN_BY_KEY["iban"]] == 1
    with pytest.raises(TypeError):
        column.labels["nl"] = "Rekening"  # type: ignore[index]
    with pytest.raises(AttributeError):
        column.key = "other"  # type: ignore[misc]


@pytest.mark.parametrize("module", ["columns", "reading"])
def test_modules_import_without_django_settings(module):
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    env["PYTHONPATH"] = os.pathsep.join([str(SRC), env.get("PYTHONPATH", "")])
    code = (
        f"import partnerspace.imports.{module} as m, sys; "
        "from django.conf import settings; "
        "assert not settings.configured; "
        "assert 'partnerspace.firms.models' not in sys.modules"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
