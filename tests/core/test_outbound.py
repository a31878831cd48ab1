"""Requests to addresses a tenant or the network chose: resolved once, every address checked,
the connection made to the address checked, by name (Host, SNI, certificate), bounded in time."""

import datetime
import ipaddress
import socket
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from partnerspace.core.outbound import (
    AllowList,
    OutboundFailed,
    OutboundRefused,
    addresses_checked,
    is_public_address,
    outbound_request,
)

LOCAL = AllowList.parse("127.0.0.1")


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("93.184.215.14", True),
        ("2a00:1450:4001:80b::200e", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("172.16.0.1", False),
        ("192.168.1.1", False),
        ("169.254.169.254", False),  # cloud metadata
        ("100.64.0.1", False),
        ("0.0.0.0", False),  # noqa: S104 - an address judged, not bound
        ("224.0.0.1", False),
        ("::1", False),
        ("fe80::1", False),
        ("fd00::1", False),
        ("::ffff:127.0.0.1", False),
        ("::ffff:93.184.215.14", True),
        ("64:ff9b::7f00:1", False),  # NAT64 of 127.0.0.1
        ("64:ff9b::5db8:d70e", True),  # NAT64 of a public address
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:5db8:d70e::1", True),  # 6to4 of a public address
        # local-use NAT64 (RFC 8215): judged by the IPv4 it carries
        ("64:ff9b:1::a00:1", False),
        ("64:ff9b:1::5db8:d70e", True),
        ("64:ff9b:1:ff00::5db8:d70e", False),  # another format of the local prefix
        ("::ffff:0:7f00:1", False),  # SIIT (IPv4-translated) of 127.0.0.1
        ("::ffff:0:5db8:d70e", False),  # SIIT: never, whatever it carries
        ("::127.0.0.1", False),  # IPv4-compatible
        ("::93.184.215.14", False),  # IPv4-compatible: deprecated, never
        ("fec0::1", False),  # site-local
        ("3fff::1", False),  # documentation (RFC 9637)
        ("2001:db8::1", False),  # documentation
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
        ("5f00::1", False),  # SRv6 SIDs, outside 2000::/3
        ("100::1", False),  # discard-only
        ("ff0e::1", False),  # multicast
        ("4000::1", False),  # unassigned, outside 2000::/3
    ],
)
def test_public_means_globally_routable_also_when_wrapped_in_ipv6(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


def test_the_allow_list_takes_networks_addresses_and_host_names():
    allowed = AllowList.parse(" 10.0.0.0/8, 127.0.0.1 ,smp.intern.example., [fd00::1] ")
    assert allowed.permits("x", ipaddress.ip_address("10.9.8.7"), 443)
    assert allowed.permits("x", ipaddress.ip_address("127.0.0.1"), 443)
    assert allowed.permits("x", ipaddress.ip_address("::ffff:127.0.0.1"), 443)
    assert not allowed.permits("x", ipaddress.ip_address("127.0.0.2"), 443)
    assert allowed.permits("SMP.intern.example", ipaddress.ip_address("192.168.1.1"), 443)
    assert allowed.permits("x", ipaddress.ip_address("fd00::1"), 443)
    assert AllowList.parse("") == AllowList()
    for wrong in ("10.0.0.0/33", "http://smp.example", "smp example", "smp.example:0"):
        with pytest.raises(ValueError, match="not a host name or network"):
            AllowList.parse(wrong)


def test_an_allowed_entry_with_a_port_allows_that_port_only():
    allowed = AllowList.parse(
        "10.0.0.0/8:8443, smp.intern.example:443, [fd00::1]:9443, [fd01::/64]:443, 127.0.0.1"
    )
    ten = ipaddress.ip_address("10.1.2.3")
    assert allowed.permits("x", ten, 8443)
    assert not allowed.permits("x", ten, 22)
    assert allowed.permits("SMP.intern.example", ipaddress.ip_address("192.168.1.1"), 443)
    assert not allowed.permits("smp.intern.example", ipaddress.ip_address("192.168.1.1"), 8080)
    assert allowed.permits("x", ipaddress.ip_address("fd00::1"), 9443)
    assert not allowed.permits("x", ipaddress.ip_address("fd00::1"), 443)
    assert allowed.permits("x", ipaddress.ip_address("fd01::5"), 443)
    assert allowed.permits("x", ipaddress.ip_address("127.0.0.1"), 5432)  # no port: any
    assert allowed.lists("smp.intern.example", 443)
    assert not allowed.lists("smp.intern.example", 80)


def test_a_port_not_allowed_is_refused_at_connection_time(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.5", port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    allowed = AllowList.parse("10.0.0.5:8443")
    assert addresses_checked("smp.intern.example", 8443, allowed=allowed) == ["10.0.0.5"]
    with pytest.raises(OutboundRefused):
        addresses_checked("smp.intern.example", 6379, allowed=allowed)


def test_one_private_address_among_public_ones_is_enough_to_refuse(monkeypatch):
    def getaddrinfo(host, port, *args, **kwargs):
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
            for a in ("93.184.215.14", "10.0.0.1")
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    with pytest.raises(OutboundRefused):
        addresses_checked("smp.mixed.example", 443)
    assert addresses_checked("smp.mixed.example", 443, allowed=AllowList.parse("10.0.0.0/8")) == [
        "93.184.215.14",
        "10.0.0.1",
    ]


def test_a_name_that_does_not_resolve_is_a_failure_not_a_refusal():
    with pytest.raises(OutboundFailed):
        addresses_checked("name.invalid", 443, allowed=LOCAL)


# TLS: the connection goes to the checked address, and speaks to the host by name.


def certificate_for(name: str, directory) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert_path), str(key_path)


@pytest.fixture
def tls_server(tmp_path, monkeypatch):
    """An https server on 127.0.0.1 with a certificate for smp.test.example only, which the
    client trusts (SSL_CERT_FILE); both test names resolve to 127.0.0.1."""
    cert, key = certificate_for("smp.test.example", tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", cert)
    seen: list[tuple[str | None, str]] = []
    server_names: list[str | None] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append((self.headers.get("Host"), self.path))
            self.send_response(200)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()

    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in {"smp.test.example", "other.test.example"}:
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield server.server_address[1], seen, server_names
    server.shutdown()
    server.server_close()


def test_https_goes_to_the_checked_address_with_the_hosts_name_sni_and_certificate(tls_server):
    port, seen, server_names = tls_server
    answer = outbound_request(
        "GET",
        f"https://smp.test.example:{port}/group?x=1",
        headers={"Accept": "application/xml"},
        timeout=5,
        limit=1024,
        allowed=LOCAL,
    )
    assert (answer.status, answer.body) == (200, b"ok")
    assert seen == [(f"smp.test.example:{port}", "/group?x=1")]
    assert server_names == ["smp.test.example"]


def test_a_certificate_for_another_name_is_not_accepted(tls_server):
    port, seen, _names = tls_server
    with pytest.raises(OutboundFailed, match="certificate"):
        outbound_request(
            "GET",
            f"https://other.test.example:{port}/",
            headers={},
            timeout=5,
            limit=1024,
            allowed=LOCAL,
        )
    assert seen == []


def test_a_server_that_drips_its_answer_is_cut_off_at_the_deadline():
    """A byte now and then keeps each read under the timeout; the request as a whole is not."""

    class Dripping(BaseHTTPRequestHandler):
        def do_GET(self):
            self.wfile.write(b"HTTP/1.1 200 OK\r\n")
            self.wfile.flush()
            for _ in range(40):
                time.sleep(0.1)
                self.wfile.write(b"X-Drip: 1\r\n")
                self.wfile.flush()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Dripping)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(OutboundFailed, match=r"no answer within 0\.5 s"):
            outbound_request(
                "GET",
                f"http://127.0.0.1:{server.server_address[1]}/",
                headers={},
                timeout=0.5,
                limit=1024,
                allowed=LOCAL,
            )
    finally:
        server.shutdown()
        server.server_close()
    assert time.monotonic() - started < 2
