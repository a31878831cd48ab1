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
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# IPv6 addresses that carry an IPv4 one a gateway delivers to: NAT64's well-known prefix,
# and its local-use prefix (RFC 8215), read only in the /96 format (the IPv4 last, zeros
# between); 6to4 and IPv4-mapped addresses Python unwraps itself.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_NAT64_LOCAL_96 = ipaddress.ip_network("64:ff9b:1::/96")
# The only IPv6 unicast addresses that can be public (RFC 4291: global unicast) ...
_GLOBAL_UNICAST = ipaddress.ip_network("2000::/3")
# ... less the special ranges in it that Python's is_global (3.11) lets through.
_NOT_GLOBAL = (
    ipaddress.ip_network("3fff::/20"),  # documentation (RFC 9637)
    ipaddress.ip_network("2001::/32"),  # Teredo: reached through relays, never directly
)


class OutboundRefused(Exception):
    """The host resolves to an address this installation may not be made to reach."""


class OutboundFailed(Exception):
    """The host could not be found or reached, or did not answer in time."""


def is_public_address(address: IPAddress) -> bool:
    """A globally routable unicast address.

    IPv4: Python's is_global, not multicast. IPv6: an address that carries an IPv4 one a
    translator or tunnel delivers to (IPv4-mapped, 6to4, NAT64's well-known prefix and its
    local-use prefix in the /96 format) is judged by that IPv4 address; any other must be
    global unicast (2000::/3), is_global, and in none of the special ranges Python misses.
    So IPv4-compatible (::/96) and IPv4-translated (::ffff:0:0:0/96) addresses, site-local
    fec0::/10, Teredo and any other use of the local NAT64 prefix are refused."""
    if isinstance(address, ipaddress.IPv4Address):
        return address.is_global and not address.is_multicast
    embedded = address.ipv4_mapped or address.sixtofour
    if address in _NAT64 or address in _NAT64_LOCAL_96:
        embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if embedded is not None:
        return is_public_address(embedded)
    if address in _NAT64_LOCAL:
        return False
    return (
        address in _GLOBAL_UNICAST
        and address.is_global
        and not any(address in network for network in _NOT_GLOBAL)
    )


@dataclass(frozen=True)
class AllowList:
    """Host names and networks the installation allows besides public addresses; an entry
    with a port allows that port only ("10.0.0.5:8443", "smp.intern.example:443",
    "[fd00::1]:8443"), one without allows every port."""

    hosts: frozenset[tuple[str, int | None]] = frozenset()
    networks: tuple[tuple[IPNetwork, int | None], ...] = ()

    @classmethod
    def parse(cls, entries: str | Iterable[object] | None) -> "AllowList":
        """From "10.0.0.0/8, smp.intern.example:443, 127.0.0.1" or a list of such entries;
        ValueError names an entry that is neither a network nor a host name (with a port)."""
        if isinstance(entries, str):
            entries = entries.split(",")
        hosts: set[tuple[str, int | None]] = set()
        networks: list[tuple[IPNetwork, int | None]] = []
        for entry in (str(item).strip().lower() for item in entries or ()):
            if not entry:
                continue
            name, port = _entry_port(entry)
            try:
                networks.append((ipaddress.ip_network(name.strip("[]"), strict=False), port))
                continue
            except ValueError:
                pass
            if (
                "/" in name
                or ":" in name
                or not all(
                    part and len(part) < 64 and part.replace("-", "").isalnum()
                    for part in name.rstrip(".").split(".")
                )
            ):
                raise ValueError(f"not a host name or network: {entry!r}")
            hosts.add((name.rstrip("."), port))
        return cls(frozenset(hosts), tuple(networks))

    def lists(self, host: str, port: int) -> bool:
        """The host name itself is listed, for this port."""
        name = host.lower().rstrip(".")
        return (name, None) in self.hosts or (name, port) in self.hosts

    def permits(self, host: str, address: IPAddress, port: int) -> bool:
        if self.lists(host, port):
            return True
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(
            address in network and allowed in (None, port) for network, allowed in self.networks
        )


def _entry_port(entry: str) -> tuple[str, int | None]:
    """An allow-list entry split into what it names and its port (None: any)."""
    if entry.startswith("["):  # [IPv6 address or network], with or without :port
        name, _bracket, rest = entry[1:].partition("]")
        if not rest:
            return name, None
        if not rest.startswith(":"):
            raise ValueError(f"not a host name or network: {entry!r}")
        return name, _port(rest[1:], entry)
    if entry.count(":") == 1:  # an IPv4 address or network, or a host name, with a port
        name, _colon, port = entry.partition(":")
        return name, _port(port, entry)
    return entry, None


def _port(text: str, entry: str) -> int:
    if not text.isdecimal() or not 0 < int(text) < 65536:
        raise ValueError(f"not a host name or network: {entry!r}")
    return int(text)


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
        if not (is_public_address(address) or allowed.permits(host, address, port)):
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


def _connect_to(address: str) -> Callable[..., socket.socket]:
    """What a connection calls to open its socket, made to open it to `address` (already
    checked) whatever host it was given."""

    def connect(
        host_port: tuple[str, int],
        timeout: float | None,
        source_address: tuple[str, int] | None = None,
    ) -> socket.socket:
        return socket.create_connection((address, host_port[1]), timeout, source_address)

    return connect


# Connections to an address already checked that still speak to the host by name: Host header,
# and for HTTPS the TLS server name (SNI) and the certificate check.
class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, *, timeout: float, address: str) -> None:
        super().__init__(host, port, timeout=timeout)
        self._create_connection = _connect_to(address)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, *, timeout: float, address: str) -> None:
        super().__init__(host, port, timeout=timeout)
        self._create_connection = _connect_to(address)


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
    pinned: type[_PinnedHTTPConnection | _PinnedHTTPSConnection] = (
        _PinnedHTTPSConnection if parts.scheme == "https" else _PinnedHTTPConnection
    )
    ends_at = time.monotonic() + timeout
    unreachable: Exception | None = None
    for address in addresses:
        remaining = ends_at - time.monotonic()
        if remaining <= 0:
            break
        connection = pinned(host, port, timeout=remaining, address=address)
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
