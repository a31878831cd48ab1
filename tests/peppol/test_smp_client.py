"""The phoss-SMP REST client against a local SMP that checks every XML body it is sent."""

import base64
import socket
import xml.etree.ElementTree as ET

import pytest

from partnerspace.core.outbound import AllowList
from partnerspace.peppol.identifiers import ParticipantId
from partnerspace.peppol.models import BIS_BILLING_INVOICE, BIS_BILLING_PROCESS
from partnerspace.peppol.smp import (
    Endpoint,
    SmpClient,
    SmpRefused,
    SmpUnavailable,
    business_card_xml,
    certificate_der_base64,
    document_types_of_service_group,
    service_group_fetch,
    service_metadata_xml,
)
from tests.peppol.builders import certificate_pem
from tests.peppol.servers import (
    NS_BC,
    NS_ID,
    NS_SMP,
    NS_WSA,
    LocalSmp,
    check_business_card,
    check_service_metadata,
)

PARTICIPANT = ParticipantId("0208:0123456749", primary=True)


@pytest.fixture
def smp():
    server = LocalSmp().start()
    yield server
    server.stop()


def endpoint():
    return Endpoint(
        address="https://ap.alfa.example/as4",
        certificate=certificate_der_base64(certificate_pem()),
        transport_profile="peppol-transport-as4-v2_0",
        description="Alfa access point",
        technical_contact="peppol@alfa.example",
    )


# The local SMP is on 127.0.0.1: an installation has to allow that for an SMP.
LOCAL = AllowList.parse("127.0.0.1")


def client_for(smp, **kwargs):
    options = {
        "username": smp.username,
        "secret": smp.password,
        "timeout": 2,
        "allowed": LOCAL,
        **kwargs,
    }
    return SmpClient(smp.url, **options)


def test_the_service_metadata_xml_speaks_the_peppol_smp_namespaces():
    data = service_metadata_xml(PARTICIPANT, BIS_BILLING_INVOICE, BIS_BILLING_PROCESS, endpoint())
    root = ET.fromstring(data)  # noqa: S314 - the app's own output
    assert root.tag == f"{{{NS_SMP}}}ServiceMetadata"
    document = root.find(f".//{{{NS_ID}}}DocumentIdentifier")
    assert document.get("scheme") == "busdox-docid-qns"
    assert document.text == BIS_BILLING_INVOICE
    process = root.find(f".//{{{NS_ID}}}ProcessIdentifier")
    assert (process.get("scheme"), process.text) == ("cenbii-procid-ubl", BIS_BILLING_PROCESS)
    assert root.find(f".//{{{NS_WSA}}}Address").text == "https://ap.alfa.example/as4"
    info = check_service_metadata(data, PARTICIPANT.uri, f"busdox-docid-qns::{BIS_BILLING_INVOICE}")
    assert info["transport_profile"] == "peppol-transport-as4-v2_0"


def test_the_business_card_xml_names_the_company():
    data = business_card_xml(
        PARTICIPANT, name="Bakkerij Peeters BV", country="BE", vat_number="BE0123456749"
    )
    root = ET.fromstring(data)  # noqa: S314 - the app's own output
    assert root.tag == f"{{{NS_BC}}}BusinessCard"
    assert root.find(f"{{{NS_BC}}}BusinessEntity/{{{NS_BC}}}Identifier").text == "BE0123456749"
    assert check_business_card(data, PARTICIPANT.uri) == {
        "name": "Bakkerij Peeters BV",
        "country": "BE",
    }


def test_a_certificate_is_accepted_as_pem_or_base64_and_refused_otherwise():
    der = certificate_der_base64(certificate_pem())
    assert certificate_der_base64(der) == der
    base64.b64decode(der, validate=True)
    with pytest.raises(ValueError, match="not a certificate"):
        certificate_der_base64("not a certificate")
    with pytest.raises(ValueError, match="not a certificate"):
        certificate_der_base64(base64.b64encode(b"random bytes").decode())


def test_registering_creates_service_group_metadata_and_business_card(smp):
    client = client_for(smp)
    assert client.put_service_group(PARTICIPANT) == 200
    assert (
        client.put_service_metadata(
            PARTICIPANT, BIS_BILLING_INVOICE, BIS_BILLING_PROCESS, endpoint()
        )
        == 200
    )
    card = business_card_xml(PARTICIPANT, name="Peeters BV", country="BE")
    assert client.put_business_card(PARTICIPANT, card) == 200
    assert smp.refused_xml == []
    document = f"busdox-docid-qns::{BIS_BILLING_INVOICE}"
    assert list(smp.service_groups[PARTICIPANT.uri]) == [document]
    assert smp.business_cards[PARTICIPANT.uri]["name"] == "Peeters BV"
    assert [(c.method, c.kind) for c in smp.calls] == [
        ("PUT", "service_group"),
        ("PUT", "service_metadata"),
        ("PUT", "business_card"),
    ]
    assert all(call.authorization.startswith("Basic ") for call in smp.calls)


def test_the_public_service_group_lists_the_published_document_types(smp):
    client = client_for(smp)
    client.put_service_group(PARTICIPANT)
    client.put_service_metadata(PARTICIPANT, BIS_BILLING_INVOICE, BIS_BILLING_PROCESS, endpoint())
    assert service_group_fetch(smp.url, PARTICIPANT, allowed=LOCAL) == [BIS_BILLING_INVOICE]
    assert service_group_fetch(smp.url, ParticipantId("0208:0200000043"), allowed=LOCAL) is None


def test_deleting_removes_them(smp):
    client = client_for(smp)
    client.put_service_group(PARTICIPANT)
    client.put_service_metadata(PARTICIPANT, BIS_BILLING_INVOICE, BIS_BILLING_PROCESS, endpoint())
    assert client.delete_service_metadata(PARTICIPANT, BIS_BILLING_INVOICE) == 200
    assert client.delete_service_group(PARTICIPANT) == 200
    assert smp.service_groups == {}
    with pytest.raises(SmpRefused) as refused:
        client.delete_service_group(PARTICIPANT)
    assert refused.value.status == 404


def test_a_bearer_token_is_sent_as_such(smp):
    client = client_for(smp, auth_scheme="bearer", secret=smp.token)
    assert client.put_service_group(PARTICIPANT) == 200
    assert smp.calls[-1].authorization == f"Bearer {smp.token}"


def test_wrong_credentials_are_refused_with_the_smps_answer(smp):
    client = client_for(smp, secret="wrong")
    with pytest.raises(SmpRefused) as refused:
        client.put_service_group(PARTICIPANT)
    assert refused.value.status == 403
    assert "wrong credentials" in refused.value.describe()


def test_a_500_means_unavailable(smp):
    smp.fail(500, body="Database down")
    with pytest.raises(SmpUnavailable) as unavailable:
        client_for(smp).put_service_group(PARTICIPANT)
    assert unavailable.value.status == 500
    assert "Database down" in unavailable.value.describe()


@pytest.mark.parametrize("status", [408, 429])
def test_too_many_requests_and_request_timeout_mean_try_later(smp, status):
    smp.fail(status, body="Slow down")
    with pytest.raises(SmpUnavailable):
        client_for(smp).put_service_group(PARTICIPANT)


def test_no_answer_within_the_timeout_means_unavailable(smp):
    smp.delay(1.5)
    with pytest.raises(SmpUnavailable) as unavailable:
        client_for(smp, timeout=0.3).put_service_group(PARTICIPANT)
    assert unavailable.value.status is None
    assert "0.3" in unavailable.value.describe()


def test_a_closed_port_means_unavailable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = SmpClient(
        f"http://127.0.0.1:{port}", username="u", secret="p", timeout=1, allowed=LOCAL
    )
    with pytest.raises(SmpUnavailable):
        client.put_service_group(PARTICIPANT)


def test_the_document_identifier_is_percent_encoded_in_the_path(smp):
    client = client_for(smp)
    client.put_service_group(PARTICIPANT)
    client.put_service_metadata(PARTICIPANT, BIS_BILLING_INVOICE, BIS_BILLING_PROCESS, endpoint())
    # The '#' of the identifier would otherwise start a fragment and never reach the SMP.
    assert smp.calls[-1].document == f"busdox-docid-qns::{BIS_BILLING_INVOICE}"


def test_a_service_group_with_a_dtd_is_not_parsed():
    evil = (
        b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>'
        b'<ServiceGroup xmlns="http://busdox.org/serviceMetadata/publishing/1.0/">&a;</ServiceGroup>'
    )
    with pytest.raises(ValueError, match="DTD"):
        document_types_of_service_group(evil)


def test_a_redirect_is_refused_not_followed():
    """Followed, a redirect could lead past the look-up's public-address check."""
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    from partnerspace.peppol.smp import SmpRefused, service_group_fetch

    reached = []

    class Target(BaseHTTPRequestHandler):
        def do_GET(self):
            reached.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    target = HTTPServer(("127.0.0.1", 0), Target)

    class Redirecting(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(302)
            self.send_header("Location", f"http://127.0.0.1:{target.server_port}/internal")
            self.end_headers()

        def log_message(self, *args):
            pass

    redirecting = HTTPServer(("127.0.0.1", 0), Redirecting)
    for server in (target, redirecting):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SmpRefused) as refused:
            service_group_fetch(
                f"http://127.0.0.1:{redirecting.server_port}",
                ParticipantId("0208:0123456749"),
                timeout=2,
                allowed=LOCAL,
            )
        assert refused.value.status == 302
        assert reached == []
    finally:
        for server in (target, redirecting):
            server.shutdown()
            server.server_close()
