"""The SMP's REST API as phoss-SMP defines it (Peppol SMP 1.x), and the XML it takes.

Writes need the SMP user's credentials (Basic or Bearer):
    PUT/DELETE /{participant}                         the service group
    PUT/DELETE /{participant}/services/{document}     the service metadata of one document type
    PUT/DELETE /businesscard/{participant}            the business card (Peppol Directory)
Reads (GET /{participant}) are public. Identifiers in paths are `scheme::value`, percent-encoded.

A 4xx is the SMP refusing (SmpRefused: not retried); a 5xx, a timeout or a network error is
the SMP being unavailable (SmpUnavailable: retried later).
"""

import base64
import binascii
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from urllib.parse import quote, unquote

from partnerspace.core.outbound import (
    NOWHERE_PRIVATE,
    AllowList,
    OutboundFailed,
    OutboundRefused,
    outbound_request,
)
from partnerspace.peppol.identifiers import DOCUMENT_SCHEME, PROCESS_SCHEME, ParticipantId

NS_SMP = "http://busdox.org/serviceMetadata/publishing/1.0/"
NS_ID = "http://busdox.org/transport/identifiers/1.0/"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_BUSINESS_CARD = "http://www.peppol.eu/schema/pd/businesscard/20180621/"

ET.register_namespace("smp", NS_SMP)
ET.register_namespace("id", NS_ID)
ET.register_namespace("wsa", NS_WSA)
ET.register_namespace("pd", NS_BUSINESS_CARD)

# The two 4xx answers that mean "not now" rather than "no": they are retried like a 5xx.
RETRY_LATER = {408, 429}
MAX_ANSWER = 64 * 1024  # what we read of an SMP's answer
ANSWER_EXCERPT = 300  # what of a refusal is kept and shown (characters)
MAX_SERVICE_GROUP = 1024 * 1024


class SmpError(Exception):
    def __init__(self, status: int | None, answer: str):
        super().__init__(f"{status or '-'} {answer}".strip())
        self.status = status
        self.answer = answer

    def describe(self) -> str:
        return f"HTTP {self.status}: {self.answer}".strip() if self.status else self.answer


class SmpRefused(SmpError):
    """A 4xx (or a redirect): the request is wrong or not allowed; repeating it won't help."""


class SmpAddressRefused(SmpRefused):
    """The SMP's address is not a public one and the installation does not allow it."""


class SmpUnavailable(SmpError):
    """A 5xx, a timeout, a refused connection: worth trying again later."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    address: str
    certificate: str  # base64 DER
    transport_profile: str
    description: str
    technical_contact: str


# XML


def _q(namespace: str, name: str) -> str:
    return f"{{{namespace}}}{name}"


def _identifier(parent, name: str, scheme: str, value: str) -> ET.Element:
    element = ET.SubElement(parent, _q(NS_ID, name), {"scheme": scheme})
    element.text = value
    return element


def _bytes(root: ET.Element) -> bytes:
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def service_group_xml(participant: ParticipantId) -> bytes:
    root = ET.Element(_q(NS_SMP, "ServiceGroup"))
    _identifier(root, "ParticipantIdentifier", participant.scheme, participant.value)
    # The SMP fills in the references to the service metadata itself.
    ET.SubElement(root, _q(NS_SMP, "ServiceMetadataReferenceCollection"))
    return _bytes(root)


def service_metadata_xml(
    participant: ParticipantId, document_type: str, process: str, endpoint: Endpoint
) -> bytes:
    root = ET.Element(_q(NS_SMP, "ServiceMetadata"))
    information = ET.SubElement(root, _q(NS_SMP, "ServiceInformation"))
    _identifier(information, "ParticipantIdentifier", participant.scheme, participant.value)
    _identifier(information, "DocumentIdentifier", DOCUMENT_SCHEME, document_type)
    processes = ET.SubElement(information, _q(NS_SMP, "ProcessList"))
    process_element = ET.SubElement(processes, _q(NS_SMP, "Process"))
    _identifier(process_element, "ProcessIdentifier", PROCESS_SCHEME, process)
    endpoints = ET.SubElement(process_element, _q(NS_SMP, "ServiceEndpointList"))
    element = ET.SubElement(
        endpoints, _q(NS_SMP, "Endpoint"), {"transportProfile": endpoint.transport_profile}
    )
    reference = ET.SubElement(element, _q(NS_WSA, "EndpointReference"))
    ET.SubElement(reference, _q(NS_WSA, "Address")).text = endpoint.address
    # The order is the schema's (EndpointType is a sequence).
    ET.SubElement(element, _q(NS_SMP, "RequireBusinessLevelSignature")).text = "false"
    ET.SubElement(element, _q(NS_SMP, "Certificate")).text = endpoint.certificate
    ET.SubElement(element, _q(NS_SMP, "ServiceDescription")).text = endpoint.description
    ET.SubElement(element, _q(NS_SMP, "TechnicalContactUrl")).text = endpoint.technical_contact
    return _bytes(root)


def business_card_xml(
    participant: ParticipantId,
    *,
    name: str,
    country: str,
    vat_number: str | None = None,
    place: str = "",
) -> bytes:
    def sub(parent, tag, text=None, **attributes):
        element = ET.SubElement(parent, _q(NS_BUSINESS_CARD, tag), attributes)
        element.text = text
        return element

    root = ET.Element(_q(NS_BUSINESS_CARD, "BusinessCard"))
    sub(root, "ParticipantIdentifier", participant.value, scheme=participant.scheme)
    entity = sub(root, "BusinessEntity")
    sub(entity, "Name", name)
    sub(entity, "CountryCode", country)
    if place:
        sub(entity, "GeographicalInformation", place)
    if vat_number:
        sub(entity, "Identifier", vat_number, scheme="VAT")
    return _bytes(root)


def certificate_der_base64(text: str) -> str:
    """The certificate as the SMP publishes it (base64 of the DER), from PEM or base64.

    Raises ValueError when it is not an X.509 certificate.
    """
    from cryptography import x509

    body = re.sub(r"-----(BEGIN|END) CERTIFICATE-----", "", text or "")
    body = re.sub(r"\s+", "", body)
    try:
        der = base64.b64decode(body, validate=True)
        x509.load_der_x509_certificate(der)
    except (binascii.Error, ValueError) as error:
        raise ValueError("not a certificate") from error
    return base64.b64encode(der).decode("ascii")


def _parse(data: bytes) -> ET.Element:
    # An SMP's answer is untrusted: no DTD, so no entity expansion of any kind.
    if b"<!DOCTYPE" in data[:4096].upper() or b"<!ENTITY" in data.upper():
        raise ValueError("DTDs are not accepted")
    return ET.fromstring(data)  # noqa: S314 - DTDs refused above


def document_types_of_service_group(data: bytes) -> list[str]:
    """The document type ids a service group references (from each reference's href)."""
    root = _parse(data)
    found = []
    for reference in root.iter(_q(NS_SMP, "ServiceMetadataReference")):
        href = reference.get("href", "")
        _before, marker, encoded = href.partition("/services/")
        if marker:
            document = unquote(encoded)
            found.append(document.split("::", 1)[1] if "::" in document else document)
    return found


# HTTP


def participant_path(participant: ParticipantId) -> str:
    return quote(participant.uri, safe="")


def document_path(document_type: str) -> str:
    return quote(f"{DOCUMENT_SCHEME}::{document_type}", safe="")


class SmpClient:
    def __init__(
        self,
        base_url: str,
        *,
        auth_scheme: str = "basic",
        username: str = "",
        secret: str = "",
        timeout: float = 20.0,
        allowed: AllowList = NOWHERE_PRIVATE,
    ):
        self.base_url = base_url.rstrip("/")
        self.allowed = allowed
        self.auth_scheme = auth_scheme
        self.username = username
        self.secret = secret
        self.timeout = timeout

    def _authorization(self) -> str:
        if self.auth_scheme == "bearer":
            return f"Bearer {self.secret}"
        pair = f"{self.username}:{self.secret}".encode()
        return f"Basic {base64.b64encode(pair).decode('ascii')}"

    def call(self, method: str, path: str, body: bytes | None = None) -> int:
        """One authenticated request; the status on 2xx, SmpRefused / SmpUnavailable else."""
        headers = {"Authorization": self._authorization(), "Accept": "application/xml"}
        if body is not None:
            headers["Content-Type"] = "application/xml; charset=utf-8"
        status, _data = _request(
            method, f"{self.base_url}/{path}", body, headers, self.timeout, allowed=self.allowed
        )
        return status

    def put_service_group(self, participant: ParticipantId) -> int:
        return self.call("PUT", participant_path(participant), service_group_xml(participant))

    def delete_service_group(self, participant: ParticipantId) -> int:
        return self.call("DELETE", participant_path(participant))

    def put_service_metadata(
        self, participant: ParticipantId, document_type: str, process: str, endpoint: Endpoint
    ) -> int:
        return self.call(
            "PUT",
            f"{participant_path(participant)}/services/{document_path(document_type)}",
            service_metadata_xml(participant, document_type, process, endpoint),
        )

    def delete_service_metadata(self, participant: ParticipantId, document_type: str) -> int:
        return self.call(
            "DELETE", f"{participant_path(participant)}/services/{document_path(document_type)}"
        )

    def put_business_card(self, participant: ParticipantId, xml: bytes) -> int:
        return self.call("PUT", f"businesscard/{participant_path(participant)}", xml)

    def delete_business_card(self, participant: ParticipantId) -> int:
        return self.call("DELETE", f"businesscard/{participant_path(participant)}")


def service_group_fetch(
    smp_url: str,
    participant: ParticipantId,
    *,
    timeout: float = 10.0,
    allowed: AllowList = NOWHERE_PRIVATE,
) -> list[str] | None:
    """The document types the SMP publishes for the participant; None when it has no such
    service group (404). Only at a public address, or one `allowed`."""
    url = f"{smp_url.rstrip('/')}/{participant_path(participant)}"
    try:
        _status, data = _request(
            "GET",
            url,
            None,
            {"Accept": "application/xml"},
            timeout,
            limit=MAX_SERVICE_GROUP,
            allowed=allowed,
        )
    except SmpRefused as refused:
        if refused.status == 404:
            return None
        raise
    try:
        return document_types_of_service_group(data)
    except (ET.ParseError, ValueError) as error:
        raise SmpUnavailable(None, f"unreadable service group: {error}") from error


def answer_excerpt(reason: str, data: bytes) -> str:
    """What of an SMP's answer is kept and shown: its start, on one line, without control
    characters. An answer is the SMP's to write, and may say more than a person should see."""
    text = data[: ANSWER_EXCERPT * 4].decode("utf-8", "replace")
    text = f"{reason}: {text}" if text.strip() else reason
    text = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    return text if len(text) <= ANSWER_EXCERPT else f"{text[: ANSWER_EXCERPT - 1]}…"


def _request(
    method, url, body, headers, timeout, *, limit=MAX_ANSWER, allowed=NOWHERE_PRIVATE
) -> tuple[int, bytes]:
    try:
        answer = outbound_request(
            method, url, headers=headers, body=body, timeout=timeout, limit=limit, allowed=allowed
        )
    except OutboundRefused as refused:
        raise SmpAddressRefused(None, str(refused)) from refused
    except OutboundFailed as error:
        raise SmpUnavailable(None, str(error)) from error
    if 200 <= answer.status < 300:
        return answer.status, answer.body
    # A redirect is a refusal too: followed, it could lead to an address of the server's own
    # network, past the address check.
    text = answer_excerpt(answer.reason, answer.body)
    if answer.status >= 500 or answer.status in RETRY_LATER:
        raise SmpUnavailable(answer.status, text)
    raise SmpRefused(answer.status, text)
