"""Asking the SML (DNS) which SMP a participant is registered with.

Peppol's SML publishes one NAPTR record per registered participant, at
`<sml_hash(value)>.<scheme>.<zone>`, with service `Meta:SMP` and a regexp `!^.*$!<SMP URL>!`.
No record (NXDOMAIN, or no NAPTR) means no SMP holds the participant.
"""

from dataclasses import dataclass

import dns.exception
import dns.rdatatype
import dns.resolver
from django.conf import settings

from partnerspace.peppol.identifiers import ParticipantId, sml_name

DNS_TIMEOUT = 5.0


class LookupFailed(Exception):
    """The DNS gave no usable answer (timeout, server failure): try again later."""


@dataclass(frozen=True, slots=True)
class SmlAnswer:
    participant: ParticipantId
    name: str  # the DNS name asked
    smp_url: str | None  # None: not registered in the SML


def parse_address(address: str) -> tuple[str, int]:
    """ "host", "host:port", "[v6]:port" → (host, port)."""
    address = address.strip()
    if address.startswith("["):
        host, _bracket, rest = address[1:].partition("]")
        return host, int(rest.lstrip(":") or 53)
    if address.count(":") == 1:
        host, port = address.split(":")
        return host, int(port)
    return address, 53


def resolver_for(address: str | None = None, *, timeout: float = DNS_TIMEOUT):
    """The system's resolver, or the one at `address` (tests, private resolvers)."""
    address = address if address is not None else settings.PARTNERSPACE_DNS_RESOLVER
    if address:
        resolver = dns.resolver.Resolver(configure=False)
        host, port = parse_address(address)
        resolver.nameservers = [host]
        resolver.port = port
    else:
        resolver = dns.resolver.Resolver()
    resolver.timeout = timeout
    resolver.lifetime = timeout
    return resolver


def smp_url_of_naptr(records) -> str | None:
    """The SMP URL of the best `U` / `Meta:SMP` NAPTR record, from its `!^.*$!<url>!` regexp."""
    candidates = []
    for record in records:
        flags = _text(record.flags).upper()
        service = _text(record.service)
        regexp = _text(record.regexp)
        if flags != "U" or service.lower() != "meta:smp" or len(regexp) < 3:
            continue
        delimiter = regexp[0]
        parts = regexp.split(delimiter)
        # ["", "^.*$", "<url>", flags...]: the replacement is the whole URL.
        if len(parts) < 4 or parts[1] != "^.*$" or not parts[2]:
            continue
        url = parts[2]
        if not url.lower().startswith(("http://", "https://")):
            continue
        candidates.append((record.order, record.preference, url))
    return min(candidates)[2] if candidates else None


def _text(value) -> str:
    return value.decode("ascii", "replace") if isinstance(value, bytes) else str(value)


def sml_lookup(
    participant: ParticipantId,
    *,
    zone: str | None = None,
    resolver_address: str | None = None,
    timeout: float = DNS_TIMEOUT,
) -> SmlAnswer:
    name = sml_name(participant, zone or settings.PARTNERSPACE_SML_ZONE)
    resolver = resolver_for(resolver_address, timeout=timeout)
    try:
        answer = resolver.resolve(name, dns.rdatatype.NAPTR, search=False)
    except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
        return SmlAnswer(participant, name, None)
    except (dns.resolver.NoNameservers, dns.exception.Timeout) as error:
        raise LookupFailed(f"{type(error).__name__}: {error}") from error
    except dns.exception.DNSException as error:
        raise LookupFailed(f"{type(error).__name__}: {error}") from error
    return SmlAnswer(participant, name, smp_url_of_naptr(answer))
