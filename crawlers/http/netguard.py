"""SSRF guard: refuse to connect to addresses a public crawler has no business reaching.

A URL list is untrusted input. Without this guard, a row pointing at 169.254.169.254 (cloud
metadata), 127.0.0.1 or 10.x would make workers fetch internal services and write the answer
into a public dataset. The host is resolved once here and the fetch connects to the address
that was checked (see `http_client`), so a DNS answer that changes between check and connect
(rebinding) cannot slip past.
"""

from __future__ import annotations

import ipaddress
import socket

from schemas.reasons import RejectReason


class AddressRefused(Exception):
    """The host cannot be fetched; `reason` says why (DNS failure or a refused address)."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


NAT64 = ipaddress.ip_network("64:ff9b::/96")  # RFC 6052 well-known prefix: the low 32 bits are IPv4


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """IPv4 addresses an IPv6 address carries and routes to: IPv4-mapped, 6to4 (2002::/16),
    Teredo (2001::/32: server and client), NAT64 (64:ff9b::/96)."""
    found = []
    if ip.ipv4_mapped is not None:
        found.append(ip.ipv4_mapped)
    if ip.sixtofour is not None:
        found.append(ip.sixtofour)
    if ip.teredo is not None:
        found.extend(ip.teredo)
    if ip in NAT64:
        found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses; an IPv6 address that carries an IPv4 one
    (mapped, 6to4, Teredo, NAT64) is public only when every IPv4 address it carries is."""
    if isinstance(ip, ipaddress.IPv6Address):
        carried = embedded_ipv4(ip)
        if carried:
            return all(_routable(v4) for v4 in carried)
    return _routable(ip)


def _routable(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def resolve(host: str, port: int, allow_private: bool) -> str:
    """The address to connect to for `host`; raises AddressRefused on DNS failure or refusal.

    Every address the name resolves to must be public: a name with one public and one private
    answer is refused, since the connect could pick either.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise AddressRefused(RejectReason.DNS_ERROR, f"cannot resolve {host!r}: {exc}") from None
    addresses = []
    for _family, _type, _proto, _canon, sockaddr in infos:
        ip = ipaddress.ip_address(sockaddr[0].split("%", 1)[0])
        if not allow_private and not is_public(ip):
            raise AddressRefused(
                RejectReason.PRIVATE_ADDRESS,
                f"{host!r} resolves to non-public address {ip} (pass allow_private=True to permit)",
            )
        addresses.append(str(ip))
    if not addresses:
        raise AddressRefused(RejectReason.DNS_ERROR, f"no addresses for {host!r}")
    return addresses[0]
