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


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for globally routable unicast addresses (IPv4-mapped IPv6 judged as IPv4)."""
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
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
