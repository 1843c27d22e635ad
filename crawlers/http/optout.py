"""X-Robots-Tag opt-out: read from the response headers before any body byte is read.

Directives follow Google's X-Robots-Tag syntax (developers.google.com/search/docs/crawling-
indexing/robots-meta-tag): a comma-separated list, optionally prefixed by `useragent:` to
target one crawler, e.g. `otherbot: noindex, nofollow`. `noai` and `noimageai` come from the
DeviantArt/Spawning proposal that img2dataset also honours. A directive aimed at another user
agent does not bind us; one with no user agent, or with ours, does.
"""

from __future__ import annotations

from collections.abc import Iterable

DEFAULT_DISALLOWED = frozenset({"noai", "noimageai", "noindex", "noimageindex"})

# Tokens that can legitimately precede a colon inside a directive list (`unavailable_after:
# 25 Jun 2010`, `max-snippet: 20`), so a colon alone does not mean a user-agent prefix.
_VALUED_DIRECTIVES = frozenset({"unavailable_after", "max-snippet", "max-image-preview", "max-video-preview"})


def parse_directives(value: str) -> tuple[str | None, set[str]]:
    """(user agent or None, lowercased directives) of one X-Robots-Tag header value."""
    agent = None
    head, sep, rest = value.partition(":")
    if sep and "," not in head and head.strip().lower() not in _VALUED_DIRECTIVES:
        agent, value = head.strip().lower(), rest
    directives = {d.strip().lower() for d in value.split(",") if d.strip()}
    return agent, directives


def opted_out(
    header_values: Iterable[str],
    user_agent_token: str,
    disallowed: Iterable[str] = DEFAULT_DISALLOWED,
) -> str | None:
    """The offending header value if any X-Robots-Tag value forbids our use, else None."""
    token = user_agent_token.strip().lower()
    blocked = {d.lower() for d in disallowed}
    for value in header_values:
        agent, directives = parse_directives(value)
        if agent is not None and agent != token:
            continue
        if directives & blocked:
            return value
    return None
