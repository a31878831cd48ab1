"""The firm's SMP address cannot make the server reach its own network (SSRF).

Seen: an administrator set the SMP address to an internal service; registering a client sent
PUTs with the firm's SMP credentials there and showed its answer back. The rule: the SMP must
be at a public address unless the installation allows its host or network
(PARTNERSPACE_SMP_ALLOWED_NETWORKS, empty by default), checked when the settings are saved and
again on the very address connected to.
"""

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.urls import reverse
from django.utils import translation

from partnerspace.core.errors import ValidationFailed
from partnerspace.peppol import services
from partnerspace.peppol.lookup import participant_lookup
from partnerspace.peppol.models import ClientPeppol, PeppolSettings, RegistrationStatus
from tests.factories import make_client
from tests.peppol.builders import configure, settings_data

pytestmark = pytest.mark.django_db

NUMBER = "0123456749"
SECRET_ANSWER = "INTERNAL-ONLY: db_password=hunter2"


class InternalService:
    """Something on the server's own network that must never be reached through a firm."""

    def __init__(self, status: int = 404):
        self.requests: list[tuple[str, str, str]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self):
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                service.requests.append(
                    (self.command, self.path, self.headers.get("Authorization", ""))
                )
                body = SECRET_ANSWER.encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_PUT = do_DELETE = _answer

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def internal():
    service = InternalService()
    yield service
    service.stop()


@pytest.fixture
def nothing_private(settings, smp):
    """The installation's default: no SMP outside the public internet (the local SMP's
    fixture allows 127.0.0.1; this takes it back)."""
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = []


@pytest.fixture
def client_with_mandate(firm_a):
    return make_client(
        firm_a.admin,
        "Bakkerij Peeters BV",
        company_number=NUMBER,
        vat_number=f"BE{NUMBER}",
        peppol_mandate=True,
    )


class Resolver:
    """Stands in for the DNS: names of the test answer what the test says, in turn; every
    other name is resolved as usual. Connections go nowhere but 127.0.0.1 (no internet in
    tests): others are refused and noted."""

    def __init__(self, monkeypatch):
        self.answers: dict[str, list[list[str]]] = {}
        self.connections: list[str] = []
        real_getaddrinfo = socket.getaddrinfo
        real_connect = socket.create_connection

        def getaddrinfo(host, port, *args, **kwargs):
            turns = self.answers.get(str(host).lower())
            if turns is None:
                return real_getaddrinfo(host, port, *args, **kwargs)
            addresses = turns.pop(0) if len(turns) > 1 else turns[0]
            return [
                (
                    socket.AF_INET6 if ":" in a else socket.AF_INET,
                    socket.SOCK_STREAM,
                    6,
                    "",
                    (a, port),
                )
                for a in addresses
            ]

        def create_connection(address, *args, **kwargs):
            # A name is resolved by the real function, through the getaddrinfo above.
            self.connections.append(address[0])
            try:
                internet = not ipaddress.ip_address(address[0]).is_loopback
            except ValueError:
                internet = False
            if internet:
                raise ConnectionRefusedError(f"no internet in tests ({address[0]})")
            return real_connect(address, *args, **kwargs)

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)

    def answer(self, host: str, *turns: list[str]) -> None:
        self.answers[host] = list(turns)


@pytest.fixture
def resolver(monkeypatch):
    return Resolver(monkeypatch)


def test_saving_an_smp_address_on_the_servers_own_network_is_refused(
    firm_a, smp, internal, nothing_private, english
):
    with pytest.raises(ValidationFailed) as refused:
        configure(firm_a.admin, smp, smp_base_url=f"http://127.0.0.1:{internal.port}/admin")
    [error] = refused.value.errors
    assert (error.field, error.code) == ("smp_base_url", "address_not_allowed")
    assert "geen publiek adres" in error.message  # the interface speaks Dutch first
    assert not PeppolSettings.objects.filter(firm=firm_a.firm).exists()
    assert internal.requests == []


def test_an_https_name_that_resolves_inside_the_network_is_refused_too(
    firm_a, smp, nothing_private, resolver, english
):
    resolver.answer("smp.intern.example", ["10.1.2.3"])
    with pytest.raises(ValidationFailed) as refused:
        configure(firm_a.admin, smp, smp_base_url="https://smp.intern.example")
    assert [e.code for e in refused.value.errors] == ["address_not_allowed"]

    resolver.answer("smp.public.example", ["93.184.215.14"])
    saved = configure(firm_a.admin, smp, smp_base_url="https://smp.public.example")
    assert saved.smp_base_url == "https://smp.public.example"


def test_the_settings_page_says_why_in_the_administrators_language(
    firm_a, smp, internal, nothing_private, web
):
    data = settings_data(smp, smp_base_url=f"http://127.0.0.1:{internal.port}/admin")
    response = web(firm_a.admin).post(reverse("peppol:settings", args=["alfa"]), data)
    assert response.status_code == 200
    assert "geen publiek adres" in response.text  # the interface speaks Dutch first


def test_a_registration_never_calls_an_smp_that_resolves_inside_the_network(
    firm_a, smp, sml, internal, nothing_private, client_with_mandate, english, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    # Saved while the installation allowed it (or before the name moved): checked again at
    # the connection, where it counts.
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["127.0.0.1"]
    configure(firm_a.admin, smp)
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = []
    PeppolSettings.objects.filter(firm=firm_a.firm).update(
        smp_base_url=f"http://127.0.0.1:{internal.port}/admin"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)

    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert internal.requests == []
    assert state.status == RegistrationStatus.FAILED
    assert state.error_code == "smp_address"
    assert SECRET_ANSWER not in state.smp_answer


def test_an_allowed_network_may_hold_the_firms_smp(
    firm_a, smp, sml, client_with_mandate, settings, django_capture_on_commit_callbacks
):
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["10.0.0.0/8", "127.0.0.0/8"]
    configure(firm_a.admin, smp)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert ClientPeppol.objects.get(client=client_with_mandate).status == "registered"
    assert smp.writes(kind="service_group")


def test_an_allowed_entry_with_a_port_lets_the_firms_smp_use_that_port_only(
    firm_a, smp, sml, internal, client_with_mandate, english, settings,
    django_capture_on_commit_callbacks,
):  # fmt: skip
    """One allowed address is not every service on it: with a port, only that one."""
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = [f"127.0.0.1:{smp.server.server_port}"]
    configure(firm_a.admin, smp)
    with pytest.raises(ValidationFailed) as refused:
        configure(firm_a.admin, smp, smp_base_url=f"http://127.0.0.1:{internal.port}/admin")
    assert [e.code for e in refused.value.errors] == ["address_not_allowed"]
    PeppolSettings.objects.filter(firm=firm_a.firm).update(
        smp_base_url=f"http://127.0.0.1:{internal.port}/admin"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    assert internal.requests == []
    assert ClientPeppol.objects.get(client=client_with_mandate).error_code == "smp_address"


def test_plain_http_is_only_for_an_smp_the_installation_lists(
    firm_a, smp, settings, resolver, english
):
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = ["smp.intern.example"]
    resolver.answer("smp.intern.example", ["10.1.2.3"])
    resolver.answer("smp.public.example", ["93.184.215.14"])
    assert configure(firm_a.admin, smp, smp_base_url="http://smp.intern.example:8080")
    with pytest.raises(ValidationFailed) as refused:
        configure(firm_a.admin, smp, smp_base_url="http://smp.public.example")
    assert [e.code for e in refused.value.errors] == ["https_required"]


def test_only_a_bounded_excerpt_of_the_smps_answer_is_kept_and_shown(
    firm_a, peppol, smp, sml, client_with_mandate, web, django_capture_on_commit_callbacks
):
    smp.fail(400, body="Bad request. " + "x" * 2000 + SECRET_ANSWER)
    with django_capture_on_commit_callbacks(execute=True):
        services.registration_request(membership=firm_a.manager, client=client_with_mandate)
    state = ClientPeppol.objects.get(client=client_with_mandate)
    assert state.status == RegistrationStatus.FAILED
    assert state.smp_answer.startswith("HTTP 400: Bad Request: Bad request. xxx")
    assert len(state.smp_answer) <= 500
    assert SECRET_ANSWER not in state.smp_answer
    page = web(firm_a.admin).get(f"/f/alfa/clients/{client_with_mandate.pk}/").text
    assert SECRET_ANSWER not in page


def test_the_look_up_reads_another_smp_only_at_the_address_it_checked(
    client_with_mandate, sml, smp, resolver
):
    """DNS rebinding: the name answers a public address to the check and 127.0.0.1 to the
    connection. The connection must go to the address checked, never to the second one."""
    port = int(smp.url.rsplit(":", 1)[1])
    sml.register(f"0208:{NUMBER}", f"http://smp.rebind.example:{port}")
    resolver.answer("smp.rebind.example", ["93.184.215.14"], ["127.0.0.1"])

    row = next(r for r in participant_lookup(client_with_mandate) if r.participant.icd == "0208")

    assert smp.calls == []
    assert "127.0.0.1" not in resolver.connections
    assert resolver.connections == ["93.184.215.14"]
    assert row.document_types is None and row.error


def test_the_look_up_reads_the_firms_own_smp_only_where_the_installation_allows(
    firm_a, client_with_mandate, sml, smp, peppol, settings
):
    sml.register(f"0208:{NUMBER}", smp.url)
    settings.PARTNERSPACE_SMP_ALLOWED_NETWORKS = []
    with translation.override("nl"):
        rows = participant_lookup(client_with_mandate)
    row = next(r for r in rows if r.participant.icd == "0208")
    assert row.ours
    assert "geen publiek adres" in row.error
    assert smp.calls == []


def test_of_another_smps_refusal_the_look_up_shows_only_the_status(
    client_with_mandate, sml, monkeypatch
):
    other = InternalService(status=403)
    # As if it were another firm's SMP at a public address.
    monkeypatch.setattr("partnerspace.core.outbound.is_public_address", lambda address: True)
    sml.register(f"0208:{NUMBER}", f"http://127.0.0.1:{other.port}")
    try:
        rows = participant_lookup(client_with_mandate)
    finally:
        other.stop()
    row = next(r for r in rows if r.participant.icd == "0208")
    assert len(other.requests) == 1
    assert not row.ours
    assert row.error == "HTTP 403"
