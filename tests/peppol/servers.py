"""Local stand-ins for the Peppol network, started by the tests on 127.0.0.1, never the internet.

`LocalSml`: a DNS server (dnslib) answering NAPTR look-ups as the SML does.
`LocalSmp`: an HTTP server implementing the phoss-SMP REST calls the app uses, checking each
XML body's namespaces and identifiers (and the schema's element order), recording every call,
and failing on request: a status, a delay past the client's timeout.
"""

import base64
import threading
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote, unquote

from dnslib import NAPTR, QTYPE, RCODE, RR
from dnslib.server import BaseResolver, DNSLogger, DNSServer

from partnerspace.peppol.identifiers import ParticipantId, sml_name

NS_SMP = "http://busdox.org/serviceMetadata/publishing/1.0/"
NS_ID = "http://busdox.org/transport/identifiers/1.0/"
NS_WSA = "http://www.w3.org/2005/08/addressing"
NS_BC = "http://www.peppol.eu/schema/pd/businesscard/20180621/"
PARTICIPANT_SCHEME = "iso6523-actorid-upis"
DOCUMENT_SCHEME = "busdox-docid-qns"
PROCESS_SCHEME = "cenbii-procid-ubl"
ZONE = "participant.sml.test"


# The SML


class _SmlResolver(BaseResolver):
    def __init__(self):
        self.records: dict[str, list[tuple[int, int, str, str, str]]] = {}
        self.failing: set[str] = set()
        self.queries: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).lower().rstrip(".")
        with self.lock:
            self.queries.append((name, QTYPE[request.q.qtype]))
            records = self.records.get(name)
            failing = name in self.failing
        if failing:
            reply.header.rcode = RCODE.SERVFAIL
        elif records is None:
            reply.header.rcode = RCODE.NXDOMAIN
        elif request.q.qtype == QTYPE.NAPTR:
            for order, preference, flags, service, regexp in records:
                reply.add_answer(
                    RR(
                        request.q.qname,
                        QTYPE.NAPTR,
                        ttl=60,
                        rdata=NAPTR(
                            order, preference, flags.encode(), service.encode(), regexp.encode()
                        ),
                    )
                )
        return reply


class LocalSml:
    def __init__(self, zone: str = ZONE):
        self.zone = zone
        self.resolver = _SmlResolver()
        self.thread: threading.Thread | None = None
        self.server = DNSServer(
            self.resolver, address="127.0.0.1", port=0, logger=DNSLogger("-request,-reply")
        )

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.server.server.server_address[1]}"

    def start(self) -> "LocalSml":
        self.thread = threading.Thread(
            target=self.server.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread is not None:
            self.server.server.shutdown()
            self.server.server.server_close()
            self.thread = None

    def name_of(self, value: str) -> str:
        return sml_name(ParticipantId(value), self.zone)

    def register(self, value: str, smp_url: str, *, order=100, preference=10, service="Meta:SMP"):
        """Publish `value` (e.g. "0208:0123456749") as registered with the SMP at `smp_url`."""
        record = (order, preference, "U", service, f"!^.*$!{smp_url}!")
        with self.resolver.lock:
            self.resolver.records.setdefault(self.name_of(value), []).append(record)

    def fail(self, value: str) -> None:
        with self.resolver.lock:
            self.resolver.failing.add(self.name_of(value))

    @property
    def queries(self) -> list[tuple[str, str]]:
        with self.resolver.lock:
            return list(self.resolver.queries)


# The SMP


@dataclass
class Call:
    method: str
    kind: str  # service_group | service_metadata | business_card
    participant: str  # scheme::value
    document: str | None
    status: int
    authorization: str = ""


@dataclass
class Failure:
    status: int = 500
    body: str = "Internal error"
    delay: float = 0.0
    count: int = 1
    method: str | None = None
    kind: str | None = None


class XmlRefused(ValueError):
    pass


def _xml(data: bytes) -> ET.Element:
    return ET.fromstring(data)  # noqa: S314 - the app's own output, in a test


def _expect(condition: bool, message: str) -> None:
    if not condition:
        raise XmlRefused(message)


def _children(element) -> list[str]:
    return [child.tag for child in element]


def check_identifier(element, scheme: str, value: str | None = None) -> str:
    _expect(element is not None, "identifier missing")
    _expect(element.get("scheme") == scheme, f"scheme {element.get('scheme')!r} != {scheme!r}")
    _expect(bool(element.text), "identifier without a value")
    if value is not None:
        _expect(element.text == value, f"identifier {element.text!r} != {value!r}")
    return element.text


def check_service_group(data: bytes, participant: str) -> None:
    root = _xml(data)
    scheme, value = participant.split("::", 1)
    _expect(root.tag == f"{{{NS_SMP}}}ServiceGroup", f"root is {root.tag}")
    _expect(
        _children(root)
        == [f"{{{NS_ID}}}ParticipantIdentifier", f"{{{NS_SMP}}}ServiceMetadataReferenceCollection"],
        f"ServiceGroup children {_children(root)}",
    )
    check_identifier(root.find(f"{{{NS_ID}}}ParticipantIdentifier"), scheme, value)


def check_service_metadata(data: bytes, participant: str, document: str) -> dict:
    root = _xml(data)
    scheme, value = participant.split("::", 1)
    _expect(root.tag == f"{{{NS_SMP}}}ServiceMetadata", f"root is {root.tag}")
    info = root.find(f"{{{NS_SMP}}}ServiceInformation")
    _expect(info is not None, "ServiceInformation missing")
    _expect(
        _children(info)
        == [
            f"{{{NS_ID}}}ParticipantIdentifier",
            f"{{{NS_ID}}}DocumentIdentifier",
            f"{{{NS_SMP}}}ProcessList",
        ],
        f"ServiceInformation children {_children(info)}",
    )
    check_identifier(info.find(f"{{{NS_ID}}}ParticipantIdentifier"), scheme, value)
    document_scheme, document_value = document.split("::", 1)
    _expect(document_scheme == DOCUMENT_SCHEME, f"document scheme {document_scheme}")
    check_identifier(info.find(f"{{{NS_ID}}}DocumentIdentifier"), DOCUMENT_SCHEME, document_value)
    process = info.find(f"{{{NS_SMP}}}ProcessList/{{{NS_SMP}}}Process")
    _expect(process is not None, "Process missing")
    process_id = check_identifier(process.find(f"{{{NS_ID}}}ProcessIdentifier"), PROCESS_SCHEME)
    endpoint = process.find(f"{{{NS_SMP}}}ServiceEndpointList/{{{NS_SMP}}}Endpoint")
    _expect(endpoint is not None, "Endpoint missing")
    _expect(bool(endpoint.get("transportProfile")), "transportProfile missing")
    expected = [
        f"{{{NS_WSA}}}EndpointReference",
        f"{{{NS_SMP}}}RequireBusinessLevelSignature",
        f"{{{NS_SMP}}}Certificate",
        f"{{{NS_SMP}}}ServiceDescription",
        f"{{{NS_SMP}}}TechnicalContactUrl",
    ]
    _expect(_children(endpoint) == expected, f"Endpoint children {_children(endpoint)}")
    address = endpoint.find(f"{{{NS_WSA}}}EndpointReference/{{{NS_WSA}}}Address")
    _expect(address is not None and bool(address.text), "endpoint address missing")
    certificate = endpoint.find(f"{{{NS_SMP}}}Certificate").text or ""
    base64.b64decode(certificate, validate=True)
    _expect(
        endpoint.find(f"{{{NS_SMP}}}RequireBusinessLevelSignature").text in {"true", "false"},
        "RequireBusinessLevelSignature is not a boolean",
    )
    return {
        "address": address.text,
        "process": process_id,
        "transport_profile": endpoint.get("transportProfile"),
    }


def check_business_card(data: bytes, participant: str) -> dict:
    root = _xml(data)
    scheme, value = participant.split("::", 1)
    _expect(root.tag == f"{{{NS_BC}}}BusinessCard", f"root is {root.tag}")
    check_identifier(root.find(f"{{{NS_BC}}}ParticipantIdentifier"), scheme, value)
    entity = root.find(f"{{{NS_BC}}}BusinessEntity")
    _expect(entity is not None, "BusinessEntity missing")
    name = entity.find(f"{{{NS_BC}}}Name")
    country = entity.find(f"{{{NS_BC}}}CountryCode")
    _expect(name is not None and bool(name.text), "Name missing")
    _expect(country is not None and len(country.text or "") == 2, "CountryCode missing")
    return {"name": name.text, "country": country.text}


class LocalSmp:
    """phoss-SMP's REST calls: PUT/DELETE service group, service metadata, business card;
    GET service group. Basic auth with `username`/`password`, or Bearer `token`."""

    def __init__(self, *, username="smp-user", password="smp-secret", token="smp-token"):
        self.username = username
        self.password = password
        self.token = token
        self.lock = threading.Lock()
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.refused_xml: list[str] = []
        self.service_groups: dict[str, dict[str, dict]] = {}  # participant → {document: info}
        self.business_cards: dict[str, dict] = {}
        self.existing_elsewhere: set[str] = set()  # PUT answers 409 for these
        # Cleared, writes wait (up to 30 s) until it is set again; `held` tells one is waiting.
        self.hold = threading.Event()
        self.hold.set()
        self.held = threading.Event()
        self.hold_kind: str | None = None  # only writes of this kind wait, when set
        handler = type("Handler", (_SmpHandler,), {"smp": self})
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.server.daemon_threads = True
        # A short poll interval: each test stops its server, and shutdown waits for one poll.
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "LocalSmp":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()

    def fail(self, status: int = 500, *, count: int = 1, body: str = "Internal error", **match):
        with self.lock:
            self.failures.append(Failure(status=status, body=body, count=count, **match))

    def delay(self, seconds: float, *, count: int = 1, **match):
        with self.lock:
            self.failures.append(Failure(status=0, delay=seconds, count=count, **match))

    def writes(self, method: str = "PUT", kind: str | None = None, status: int | None = 200):
        with self.lock:
            return [
                call
                for call in self.calls
                if call.method == method
                and (kind is None or call.kind == kind)
                and (status is None or call.status == status)
            ]

    def _authorized(self, header: str) -> bool:
        if header.startswith("Bearer "):
            return header[7:] == self.token
        if header.startswith("Basic "):
            try:
                pair = base64.b64decode(header[6:]).decode()
            except ValueError:
                return False
            return pair == f"{self.username}:{self.password}"
        return False

    def _failure_for(self, method: str, kind: str) -> Failure | None:
        with self.lock:
            for failure in self.failures:
                if failure.count <= 0:
                    continue
                if failure.method not in (None, method) or failure.kind not in (None, kind):
                    continue
                failure.count -= 1
                return failure
        return None

    def handle(self, method: str, path: str, headers, body: bytes) -> tuple[int, str]:
        parts = path.split("?", 1)[0].strip("/").split("/")
        if parts[0] == "businesscard" and len(parts) == 2:
            kind, participant, document = "business_card", unquote(parts[1]), None
        elif len(parts) == 3 and parts[1] == "services":
            kind, participant, document = "service_metadata", unquote(parts[0]), unquote(parts[2])
        elif len(parts) == 1 and parts[0]:
            kind, participant, document = "service_group", unquote(parts[0]), None
        else:
            return 404, "Unknown path"
        status, text = self._answer(method, kind, participant, document, headers, body)
        with self.lock:
            self.calls.append(
                Call(method, kind, participant, document, status, headers.get("Authorization", ""))
            )
        return status, text

    def _answer(self, method, kind, participant, document, headers, body) -> tuple[int, str]:
        if method == "GET":
            return self._get(kind, participant)
        if not self._authorized(headers.get("Authorization", "")):
            return 403, "Forbidden: wrong credentials for the SMP"
        failure = self._failure_for(method, kind)
        if failure is not None and failure.delay:
            time.sleep(failure.delay)
        elif failure is not None:
            return failure.status, failure.body
        if self.hold_kind in (None, kind):
            if not self.hold.is_set():
                self.held.set()
            self.hold.wait(30)
        try:
            with self.lock:
                return self._write(method, kind, participant, document, body)
        except (XmlRefused, ET.ParseError, ValueError) as error:
            with self.lock:
                self.refused_xml.append(f"{kind}: {error}")
            return 400, f"Invalid XML: {error}"

    def _write(self, method, kind, participant, document, body) -> tuple[int, str]:
        exists = participant in self.service_groups
        if kind == "service_group":
            if method == "PUT":
                check_service_group(body, participant)
                if participant in self.existing_elsewhere:
                    return 409, "Conflict: the service group exists and belongs to another user"
                self.service_groups.setdefault(participant, {})
                return 200, ""
            if not exists:
                return 404, "No such service group"
            del self.service_groups[participant]
            self.business_cards.pop(participant, None)
            return 200, ""
        if not exists:
            return 404, "No such service group"
        if kind == "service_metadata":
            if method == "PUT":
                info = check_service_metadata(body, participant, document)
                self.service_groups[participant][document] = info
                return 200, ""
            if self.service_groups[participant].pop(document, None) is None:
                return 404, "No such service metadata"
            return 200, ""
        if method == "PUT":
            self.business_cards[participant] = check_business_card(body, participant)
            return 200, ""
        if self.business_cards.pop(participant, None) is None:
            return 404, "No such business card"
        return 200, ""

    def _get(self, kind, participant) -> tuple[int, str]:
        with self.lock:
            documents = self.service_groups.get(participant)
        if kind != "service_group" or documents is None:
            return 404, "Not found"
        scheme, value = participant.split("::", 1)
        references = "".join(
            f'<ServiceMetadataReference href="{self.url}/{quote(participant, safe="")}'
            f'/services/{quote(document, safe="")}"/>'
            for document in documents
        )
        return 200, (
            f'<?xml version="1.0" encoding="UTF-8"?><ServiceGroup xmlns="{NS_SMP}" '
            f'xmlns:id="{NS_ID}"><id:ParticipantIdentifier scheme="{scheme}">{value}'
            f"</id:ParticipantIdentifier><ServiceMetadataReferenceCollection>{references}"
            "</ServiceMetadataReferenceCollection></ServiceGroup>"
        )


class _SmpHandler(BaseHTTPRequestHandler):
    smp: LocalSmp

    def log_message(self, format, *args):
        pass

    def _serve(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, text = self.smp.handle(self.command, self.path, self.headers, body)
        data = text.encode()
        try:
            self.send_response(status)
            self.send_header(
                "Content-Type", "application/xml" if text.startswith("<") else "text/plain"
            )
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the timeout scenario)

    do_GET = do_PUT = do_DELETE = _serve
