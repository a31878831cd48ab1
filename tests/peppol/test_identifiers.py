"""Participant identifiers of a client, and the SML's hashed name for one (published vectors)."""

from types import SimpleNamespace

import pytest

from partnerspace.peppol.identifiers import (
    ParticipantId,
    participant_ids,
    primary_participant_id,
    sml_hash,
    sml_name,
)


def company(**fields):
    values = {"country": "BE", "company_number": None, "vat_number": None, **fields}
    return SimpleNamespace(**values)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # Peppol's SML specification (NAPTR look-up): the value only, lower-cased, SHA-256,
        # base32 without padding, lower-cased.
        ("0088:1234567890123", "sjsyvccmqyjxk3weuapffq4x3umcrf4qryherj4vovhmonh7gccq"),
    ],
)
def test_the_sml_hash_matches_the_published_vectors(value, expected):
    assert sml_hash(value) == expected


def test_the_sml_hash_ignores_case_as_participant_identifiers_do():
    assert sml_hash("9925:BE0123456749") == sml_hash("9925:be0123456749")
    assert sml_hash("0208:0123456749") != sml_hash("0208:0123456750")


def test_the_sml_name_is_hash_scheme_and_zone():
    participant = ParticipantId("0088:1234567890123")
    assert sml_name(participant, "participant.sml.prod.tech.peppol.org.") == (
        "sjsyvccmqyjxk3weuapffq4x3umcrf4qryherj4vovhmonh7gccq"
        ".iso6523-actorid-upis.participant.sml.prod.tech.peppol.org"
    )


def test_a_client_with_a_vat_number_has_both_identifiers_the_enterprise_number_first():
    found = participant_ids(company(company_number="0123456749", vat_number="BE0123456749"))
    assert [p.uri for p in found] == [
        "iso6523-actorid-upis::0208:0123456749",
        "iso6523-actorid-upis::9925:BE0123456749",
    ]
    assert [p.primary for p in found] == [True, False]


def test_a_client_without_vat_number_has_only_the_0208_identifier():
    found = participant_ids(company(company_number="0123456749"))
    assert [p.value for p in found] == ["0208:0123456749"]


@pytest.mark.parametrize(
    "fields",
    [
        {"company_number": None},
        {"company_number": "0123456750"},  # checksum wrong
        {"country": "NL", "company_number": "12345678"},
        {"country": "FR", "company_number": "0123456749"},
    ],
)
def test_no_belgian_enterprise_number_means_no_identifier(fields):
    assert participant_ids(company(**fields)) == []
    assert primary_participant_id(company(**fields)) is None
