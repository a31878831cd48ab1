"""The SML look-up through a real DNS conversation with a server on 127.0.0.1 (dnslib)."""

import pytest

from partnerspace.peppol.identifiers import ParticipantId
from partnerspace.peppol.sml import LookupFailed, parse_address, sml_lookup
from tests.peppol.servers import LocalSml


@pytest.fixture
def dns():
    server = LocalSml().start()
    yield server
    server.stop()


def lookup(dns, value, **kwargs):
    return sml_lookup(
        ParticipantId(value), zone=dns.zone, resolver_address=dns.address, timeout=2, **kwargs
    )


def test_a_registered_participant_points_at_its_smp(dns):
    dns.register("0208:0123456749", "https://smp.provider.example")
    answer = lookup(dns, "0208:0123456749")
    assert answer.smp_url == "https://smp.provider.example"
    assert answer.name == dns.name_of("0208:0123456749")


def test_the_query_is_a_naptr_for_the_hashed_name_in_the_zone(dns):
    lookup(dns, "0088:1234567890123")
    assert dns.queries == [
        (
            "sjsyvccmqyjxk3weuapffq4x3umcrf4qryherj4vovhmonh7gccq"
            ".iso6523-actorid-upis.participant.sml.test",
            "NAPTR",
        )
    ]


def test_an_unknown_participant_is_nxdomain_and_not_registered(dns):
    answer = lookup(dns, "0208:0200000043")
    assert answer.smp_url is None


def test_the_identifier_case_does_not_matter(dns):
    dns.register("9925:be0123456749", "http://smp.provider.example")
    assert lookup(dns, "9925:BE0123456749").smp_url == "http://smp.provider.example"


def test_the_lowest_order_then_preference_wins_and_other_services_are_ignored(dns):
    dns.register("0208:0123456749", "https://second.example", order=100, preference=20)
    dns.register("0208:0123456749", "https://first.example", order=100, preference=10)
    dns.register("0208:0123456749", "https://not-an-smp.example", order=1, service="Meta:Other")
    assert lookup(dns, "0208:0123456749").smp_url == "https://first.example"


def test_a_server_failure_is_a_failed_look_up_not_a_free_participant(dns):
    dns.fail("0208:0123456749")
    with pytest.raises(LookupFailed):
        lookup(dns, "0208:0123456749")


def test_no_dns_server_answering_is_a_failed_look_up(dns):
    address = dns.address
    dns.stop()
    with pytest.raises(LookupFailed):
        sml_lookup(
            ParticipantId("0208:0123456749"), zone=dns.zone, resolver_address=address, timeout=0.5
        )


def test_the_resolver_address_comes_from_settings(dns, settings):
    settings.PARTNERSPACE_DNS_RESOLVER = dns.address
    settings.PARTNERSPACE_SML_ZONE = dns.zone
    dns.register("0208:0123456749", "https://smp.provider.example")
    assert sml_lookup(ParticipantId("0208:0123456749")).smp_url == "https://smp.provider.example"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("127.0.0.1", ("127.0.0.1", 53)),
        ("127.0.0.1:5353", ("127.0.0.1", 5353)),
        ("[::1]:5353", ("::1", 5353)),
        ("[::1]", ("::1", 53)),
    ],
)
def test_resolver_addresses_are_host_and_port(text, expected):
    assert parse_address(text) == expected
