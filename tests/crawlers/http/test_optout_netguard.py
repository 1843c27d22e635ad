import ipaddress

import pytest

from crawlers.http.netguard import AddressRefused, is_public, resolve
from crawlers.http.optout import opted_out, parse_directives
from schemas.reasons import RejectReason


@pytest.mark.parametrize(
    "values,blocked",
    [
        (["noai"], True),
        (["NoImageAI, nofollow"], True),
        (["noindex"], True),
        (["nofollow, noarchive"], False),
        (["otherbot: noai"], False),
        (["flamingo-data: noai"], True),
        (["Flamingo-Data: noimageindex"], True),
        (["otherbot: noindex", "flamingo-data: nofollow"], False),
        (["unavailable_after: 25 Jun 2010 15:00:00 PST"], False),
        ([], False),
    ],
)
def test_x_robots_tag(values, blocked):
    assert (opted_out(values, "flamingo-data") is not None) == blocked


def test_parse_directives_forms():
    assert parse_directives("googlebot: noindex, nofollow") == ("googlebot", {"noindex", "nofollow"})
    assert parse_directives("max-snippet: 20, noai") == (None, {"max-snippet: 20", "noai"})


@pytest.mark.parametrize(
    "ip,public",
    [
        ("8.8.8.8", True),
        ("127.0.0.1", False),
        ("10.1.2.3", False),
        ("192.168.0.1", False),
        ("169.254.169.254", False),
        ("224.0.0.1", False),
        ("0.0.0.0", False),
        ("::1", False),
        ("fe80::1", False),
        ("::ffff:127.0.0.1", False),
        ("2001:4860:4860::8888", True),
        ("100.64.0.1", False),
    ],
)
def test_is_public(ip, public):
    assert is_public(ipaddress.ip_address(ip)) is public


def test_resolve_refuses_loopback_unless_allowed():
    with pytest.raises(AddressRefused) as err:
        resolve("localhost", 80, allow_private=False)
    assert err.value.reason is RejectReason.PRIVATE_ADDRESS
    assert resolve("127.0.0.1", 80, allow_private=True) == "127.0.0.1"
