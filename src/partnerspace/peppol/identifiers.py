"""A client's Peppol participant identifiers, and the name the SML publishes one under.

Pure functions: no database, no network. The Belgian enterprise number is checked by the
identifier rules (`identifiers.rules.company_number`), not again here.
"""

import base64
import hashlib
from dataclasses import dataclass

from partnerspace.identifiers import rules

PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCUMENT_SCHEME = "busdox-docid-qns"
PROCESS_SCHEME = "cenbii-procid-ubl"
# ISO 6523 ICDs: 0208 is the Belgian enterprise number (KBO/BCE), 9925 the Belgian VAT number.
ICD_ENTERPRISE_NUMBER = "0208"
ICD_BELGIAN_VAT = "9925"


@dataclass(frozen=True, slots=True)
class ParticipantId:
    value: str  # "0208:0123456749"
    primary: bool = False
    scheme: str = PARTICIPANT_SCHEME

    @property
    def uri(self) -> str:
        """The form the SMP's REST paths and the look-up use: scheme::value."""
        return f"{self.scheme}::{self.value}"

    @property
    def icd(self) -> str:
        return self.value.split(":", 1)[0]

    def __str__(self) -> str:
        return self.uri


def enterprise_number(client) -> str | None:
    """The client's Belgian enterprise number (10 digits), or None when it has none."""
    if (client.country or "").upper() != "BE" or not client.company_number:
        return None
    try:
        return rules.company_number(client.company_number, country="BE").value
    except rules.IdentifierError:
        return None


def participant_ids(client) -> list[ParticipantId]:
    """0208:<enterprise number> first (the one registered), then 9925:BE<number> when the
    client has a VAT number."""
    number = enterprise_number(client)
    if number is None:
        return []
    found = [ParticipantId(f"{ICD_ENTERPRISE_NUMBER}:{number}", primary=True)]
    if client.vat_number:
        found.append(ParticipantId(f"{ICD_BELGIAN_VAT}:BE{number}"))
    return found


def primary_participant_id(client) -> ParticipantId | None:
    found = participant_ids(client)
    return found[0] if found else None


def sml_hash(value: str) -> str:
    """The SML's label for an identifier value: lower-case base32 of SHA-256 of the lower-cased
    value (scheme not included), without padding."""
    digest = hashlib.sha256(value.strip().lower().encode("utf-8")).digest()
    return base64.b32encode(digest).decode("ascii").rstrip("=").lower()


def sml_name(participant: ParticipantId, zone: str) -> str:
    """The DNS name whose NAPTR record points at the participant's SMP."""
    return f"{sml_hash(participant.value)}.{participant.scheme}.{zone.strip('.')}"
