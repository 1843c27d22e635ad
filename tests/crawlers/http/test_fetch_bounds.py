"""Every fault bounded: an attempt's deadline covers the headers, a URL's covers its retries and
redirects, a refused connection is not a timeout, and IPv6 forms that carry a private IPv4
address are refused (issue 16, items 10 and 14)."""

from __future__ import annotations

import ipaddress
import socket
import time

import pytest

from crawlers.http.fetch import FetchConfig, Fetcher
from crawlers.http.netguard import is_public
from schemas.reasons import RejectReason
from tests.http_fixture import drip_headers, fail_then, image_bytes


def fetcher(**overrides) -> Fetcher:
    cfg = dict(
        allow_private=True,
        connect_timeout=0.5,
        read_timeout=0.5,
        total_timeout=1.0,
        retries=0,
        backoff_base=0.01,
        backoff_max=0.02,
        max_retry_wait=5.0,
    )
    cfg.update(overrides)
    return Fetcher(FetchConfig(**cfg))


def test_a_server_dripping_header_bytes_is_cut_off_at_the_attempts_deadline(http_server):
    http_server.add_handler("/drip-headers", drip_headers(every=0.05))  # each byte well within read_timeout
    start = time.monotonic()
    r = fetcher(total_timeout=1.0).fetch(http_server.url("/drip-headers"))
    elapsed = time.monotonic() - start
    assert r.reason is RejectReason.TIMEOUT and "status line or headers" in r.detail
    assert elapsed < 2.0  # was ~0.05 s per byte x ~6000 bytes before the deadline covered headers


def test_retries_and_redirects_share_one_deadline_per_url(http_server):
    # every attempt fails slowly; three retries of a 1 s attempt would take 4 s, the URL has 1.5 s
    http_server.add_handler("/slow-fail", drip_headers(every=0.05))
    start = time.monotonic()
    r = fetcher(total_timeout=1.0, url_timeout=1.5, retries=3).fetch(http_server.url("/slow-fail"))
    assert r.reason is RejectReason.TIMEOUT and time.monotonic() - start < 2.5
    assert r.attempts <= 2


def test_redirect_hops_share_the_attempts_deadline(http_server):
    http_server.add_handler("/hop-slow", drip_headers(every=0.05))
    http_server.add("/hop", b"", status=302, headers={"Location": http_server.url("/hop-slow")})
    start = time.monotonic()
    r = fetcher(total_timeout=1.0).fetch(http_server.url("/hop"))
    assert r.reason is RejectReason.TIMEOUT and time.monotonic() - start < 2.0


def test_a_refused_connection_is_not_a_timeout_and_not_retried_at_once():
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = fetcher(retries=3).fetch(f"http://127.0.0.1:{port}/a.jpg")
    assert (r.reason, r.attempts) == (RejectReason.CONNECTION_REFUSED, 1)
    assert r.reason.retryable  # a later --retry-failed run tries it again


def test_transient_failures_still_retry(http_server):
    http_server.add_handler("/twice", fail_then(http_server, "/twice", 2, 503, image_bytes()))
    r = fetcher(retries=3).fetch(http_server.url("/twice"))
    assert r.ok and r.attempts == 3


@pytest.mark.parametrize(
    "ip,public",
    [
        ("2002:7f00:1::1", False),  # 6to4 of 127.0.0.1
        ("2002:a00:1::1", False),  # 6to4 of 10.0.0.1
        ("2002:808:808::1", True),  # 6to4 of 8.8.8.8
        ("64:ff9b::a9fe:a9fe", False),  # NAT64 of 169.254.169.254 (cloud metadata)
        ("64:ff9b::808:808", True),
        ("::ffff:192.168.1.1", False),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo: client 192.0.2.45 (documentation range)
    ],
)
def test_ipv6_forms_carrying_ipv4_are_judged_by_the_ipv4_they_carry(ip, public):
    assert is_public(ipaddress.ip_address(ip)) is public
