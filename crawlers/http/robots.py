"""robots.txt per host, fetched once and cached, for page crawls.

Rules are matched by protego, which implements RFC 9309: `*` and `$` in paths, the group of
the most specific user agent, and longest-match precedence between allow and disallow (an allow
wins a tie). The standard library's parser ignores all three, so it let disallowed URLs through.

Status handling follows RFC 9309 section 2.3.1: a 4xx robots.txt means no restrictions, a
5xx or an unreachable server means "assume complete disallow" (the server may be shedding
load, and crawling it anyway is what gets crawlers banned). The cache is per process and
bounded; entries expire after `ttl` seconds (RFC 9309 2.4 suggests at most 24 hours).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from urllib.parse import urlsplit

from protego import Protego

MAX_ROBOTS_BYTES = 500 * 1024  # RFC 9309 2.5: parse at least the first 500 KiB

# fetch(url) -> (http status or None when unreachable, body bytes)
RobotsFetch = Callable[[str], tuple[int | None, bytes]]


class Rules:
    """A host's answer: parsed rules, or everything allowed (4xx) / disallowed (5xx, unreachable)."""

    def __init__(self, parsed: Protego | None = None, allow_all: bool = False):
        self._parsed, self._allow_all = parsed, allow_all

    def can_fetch(self, agent: str, url: str) -> bool:
        if self._parsed is None:
            return self._allow_all
        return self._parsed.can_fetch(url, agent)


class RobotsCache:
    def __init__(
        self, fetch: RobotsFetch, user_agent_token: str, max_hosts: int = 10_000, ttl: float = 86_400
    ):
        self._fetch = fetch
        self._agent = user_agent_token
        self._max_hosts = max_hosts
        self._ttl = ttl
        self._lock = threading.Lock()
        self._host_locks: dict[str, threading.Lock] = {}
        self._cache: OrderedDict[str, tuple[float, Rules]] = OrderedDict()

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        parser = self._parser(origin)
        return parser.can_fetch(self._agent, url)

    def _parser(self, origin: str) -> Rules:
        with self._lock:
            hit = self._cache.get(origin)
            if hit is not None and time.monotonic() - hit[0] < self._ttl:
                self._cache.move_to_end(origin)
                return hit[1]
            host_lock = self._host_locks.setdefault(origin, threading.Lock())
        with host_lock:  # one fetch per host even when many threads ask at once
            with self._lock:
                hit = self._cache.get(origin)
                if hit is not None and time.monotonic() - hit[0] < self._ttl:
                    return hit[1]
            parser = self._load(origin)
            with self._lock:
                self._cache[origin] = (time.monotonic(), parser)
                while len(self._cache) > self._max_hosts:
                    old, _ = self._cache.popitem(last=False)
                    self._host_locks.pop(old, None)
        return parser

    def _load(self, origin: str) -> Rules:
        status, body = self._fetch(origin + "/robots.txt")
        if status is not None and 200 <= status < 300:
            return Rules(Protego.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace")))
        if status is not None and 400 <= status < 500:
            return Rules(allow_all=True)
        return Rules(allow_all=False)
