"""Requests to an address someone other than the installation chose: a firm's SMP, or the SMP
the Peppol network names for a participant.

Such an address must not make the server reach its own network (server-side request forgery).
The host is resolved once; every address it resolves to must be a public one, or inside the
networks the installation allows (`AllowList`); the connection then goes to that very address,
with the original Host header, TLS server name (SNI) and certificate check on the host name.
So a DNS answer cannot change between the check and the connection (DNS rebinding). Redirects
are answered, never followed; the answer read is bounded in size, and the whole request in time.
"""

import contextlib
import http.client
import ipaddress
import socket
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 addresses that carry an IPv4 one a gateway may deliver to (NAT64's well-known prefix).
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


class OutboundRefused(Exception):
    """The host resolves to an address this installation may not be made to reach."""


class OutboundFailed(Exception):
    """The host could not be found or reached, or did not answer in time."""


def is_public_address(address: IPAddress) -> bool:
    """A globally routable unicast address, also when it is an IPv4 one wrapped in IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if address.teredo:
            embedded = address.teredo[1]
        if address in _NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
    return address.is_global and not address.is_multicast


@dataclass(frozen=True)
class AllowList:
    """Host names and networks the installation allows besides public addresses."""

    hosts: frozenset[str] = frozenset()
    networks: tuple[IPNetwork, ...] = ()

    @classmethod
    def parse(cls, entries) -> "AllowList":
        """From "10.0.0.0/8, smp.intern.example, 127.0.0.1" or a list of such entries;
        ValueError names an entry that is neither a network nor a host name."""
        if isinstance(entries, str):
            entries = entries.split(",")
        hosts, networks = set(), []
        for entry in (str(item).strip().lower() for item in entries or ()):
            if not entry:
                continue
            try:
                networks.append(ipaddress.ip_network(entry.strip("[]"), strict=False))
                continue
            except ValueError:
                pass
            if (
                "/" in entry
                or ":" in entry
                or not all(
                    part and len(part) < 64 and part.replace("-", "").isalnum()
                    for part in entry.rstrip(".").split(".")
                )
            ):
                raise ValueError(f"not a host name or network: {entry!r}")
            hosts.add(entry.rstrip("."))
        return cls(frozenset(hosts), tuple(networks))

    def __contains__(self, host: str) -> bool:
        """The host name itself is listed."""
        return host.lower().rstrip(".") in self.hosts

    def permits(self, host: str, address: IPAddress) -> bool:
        if host.lower().rstrip(".") in self.hosts:
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in network for network in self.networks)


NOWHERE_PRIVATE = AllowList()


def addresses_checked(host: str, port: int, *, allowed: AllowList = NOWHERE_PRIVATE) -> list[str]:
    """The addresses `host` resolves to, once, every one of them public or allowed.

    Raises OutboundFailed when the host cannot be resolved, OutboundRefused when any of its
    addresses is neither public nor allowed (one bad address is enough: the system would pick
    among them at random)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise OutboundFailed(f"cannot find {host}: {error}") from error
    addresses = []
    for info in infos:
        text = str(info[4][0]).split("%")[0]
        address = ipaddress.ip_address(text)
        if not (is_public_address(address) or allowed.permits(host, address)):
            # The address itself is not named: it would map the inside of the network.
            raise OutboundRefused(f"{host} is not at a public address")
        if text not in addresses:
            addresses.append(text)
    if not addresses:
        raise OutboundFailed(f"cannot find {host}: no address")
    return addresses


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    reason: str
    body: bytes  # at most the `limit` asked for


def _pinned(connection_class, address: str):
    """A connection of `connection_class` that connects to `address` (already checked) and
    still speaks to the host by name: Host header, SNI and certificate check."""

    class Pinned(connection_class):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._create_connection = self._connect_to_checked_address

        def _connect_to_checked_address(self, host_port, timeout, source_address=None):
            return socket.create_connection((address, host_port[1]), timeout, source_address)

    return Pinned


def outbound_request(
    method: str,
    url: str,
    *,
    headers: dict[str, str],
    body: bytes | None = None,
    timeout: float,
    limit: int,
    allowed: AllowList = NOWHERE_PRIVATE,
) -> Answer:
    """One HTTP(S) request to `url`, checked as the module says; any status is returned (a
    redirect too, not followed). The whole exchange takes at most `timeout` seconds."""
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise OutboundRefused(f"not an http(s) address: {url[:200]}")
    host = parts.hostname
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise OutboundRefused(f"not a valid address: {url[:200]}") from error
    addresses = addresses_checked(host, port, allowed=allowed)
    path = parts.path or "/"
    if parts.query:
        path = f"{path}?{parts.query}"
    base = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    ends_at = time.monotonic() + timeout
    unreachable: Exception | None = None
    for address in addresses:
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            break
        connection = _pinned(base, address)(host, port, timeout=remaining)
        # The per-read timeout alone would let a server that sends a byte now and then keep
        # the worker for ever: at the deadline the socket is shut, which ends any read.
        expired = threading.Event()
        deadline = threading.Timer(remaining, _shut, [connection, expired])
        deadline.daemon = True
        deadline.start()
        try:
            try:
                connection.connect()
            except OSError as error:
                unreachable = error
                continue
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            answer = Answer(response.status, response.reason, response.read(limit))
        except (OSError, http.client.HTTPException) as error:
            if isinstance(error, TimeoutError) or expired.is_set():
                raise OutboundFailed(f"no answer within {timeout:g} s") from error
            raise OutboundFailed(f"cannot reach {host}: {error}") from error
        finally:
            deadline.cancel()
            connection.close()
        if expired.is_set():  # a shut socket reads as the end of the answer: it is not
            raise OutboundFailed(f"no answer within {timeout:g} s")
        return answer
    if unreachable is None or isinstance(unreachable, TimeoutError):
        raise OutboundFailed(f"no answer within {timeout:g} s") from unreachable
    raise OutboundFailed(f"cannot reach {host}: {unreachable}") from unreachable


def _shut(connection: http.client.HTTPConnection, expired: threading.Event) -> None:
    expired.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)
