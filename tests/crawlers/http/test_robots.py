"""robots.txt by RFC 9309: its own examples (section 5.1, 2.2.2, 2.2.3), judged by RobotsCache."""

from __future__ import annotations

import pytest

from crawlers.http.robots import RobotsCache

# RFC 9309 section 5.1, "Simple Example"
RFC_EXAMPLE = b"""User-Agent: *
Disallow: *.gif$
Disallow: /example/
Allow: /publications/

User-Agent: foobot
Disallow:/
Allow:/example/page.html
Allow:/example/allowed.gif

User-Agent: barbot
User-Agent: bazbot
Disallow: /example/page.html

User-Agent: quxbot

EOF"""


def cache_for(body: bytes, agent: str, status: int | None = 200) -> RobotsCache:
    return RobotsCache(lambda url: (status, body), agent)


@pytest.mark.parametrize(
    "agent,path,allowed",
    [
        ("foobot", "/example/page.html", True),  # the longest match (an allow) wins over "Disallow: /"
        ("foobot", "/example/allowed.gif", True),
        ("foobot", "/example/other.html", False),
        ("foobot", "/", False),
        ("barbot", "/example/page.html", False),  # one group for two user agents
        ("bazbot", "/example/page.html", False),
        ("bazbot", "/publications/x.html", True),  # barbot/bazbot's group does not inherit '*'
        ("quxbot", "/example/page.html", True),  # an empty group allows everything
        ("otherbot", "/images/logo.gif", False),  # '*' wildcard and '$' end anchor
        ("otherbot", "/images/logo.gif?x=1", True),  # '$': the path must end with .gif
        ("otherbot", "/example/a.html", False),
        ("otherbot", "/publications/a.html", True),
    ],
)
def test_rfc9309_simple_example(agent, path, allowed):
    assert cache_for(RFC_EXAMPLE, agent).allowed(f"https://example.com{path}") is allowed


def test_longest_match_wins_and_allow_wins_a_tie():
    # RFC 9309 2.2.2: the most specific (longest) match is used; equivalent allow and disallow: allow
    body = b"User-agent: *\nDisallow: /folder/\nAllow: /folder/page\nAllow: /tie\nDisallow: /tie\n"
    cache = cache_for(body, "flamingo-data")
    assert cache.allowed("https://example.com/folder/page.html")
    assert not cache.allowed("https://example.com/folder/other.html")
    assert cache.allowed("https://example.com/tie")


def test_status_rules_of_rfc9309_2_3_1():
    assert cache_for(b"", "bot", status=404).allowed("https://example.com/a")  # 4xx: no restrictions
    assert not cache_for(b"", "bot", status=503).allowed("https://example.com/a")  # 5xx: complete disallow
    assert not cache_for(b"", "bot", status=None).allowed("https://example.com/a")  # unreachable: disallow
