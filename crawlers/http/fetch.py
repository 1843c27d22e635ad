"""The shared media fetcher: every outcome of a URL is content or a specific RejectReason.

    fetcher = Fetcher(FetchConfig(allow_private=False, user_agent="flamingo-data/0.1 (+contact)"))
    r = fetcher.fetch(url, kind="image")      # r.ok, r.reason, r.content, r.final_url, ...
    rs = fetcher.fetch_many(urls, kind="image")  # input order, bounded thread pool

Per hop: scheme check, DNS + SSRF guard, robots.txt (when asked), per-host politeness slot,
one GET (`http_client`), X-Robots-Tag before the body. Redirects are followed here so each
target is checked again. Transient failures (timeouts, resets, truncation, 429, 5xx) are
retried with exponential backoff and full jitter (AWS Architecture Blog, "Exponential Backoff
and Jitter", 2015), honouring Retry-After up to `max_retry_wait`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import email.utils
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from urllib.parse import urljoin, urlsplit

from crawlers.http.client import HttpClient, Response
from crawlers.http.netguard import AddressRefused, resolve
from crawlers.http.optout import opted_out
from crawlers.http.politeness import HostPoliteness
from crawlers.http.robots import RobotsCache
from schemas.reasons import RETRYABLE, RejectReason

log = logging.getLogger(__name__)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Retried inside one fetch. DNS failures are not: they rarely heal within seconds, and a
# later --retry-failed run picks them up (they are in RETRYABLE).
# transient outcomes worth another attempt within the same fetch; a DNS failure or a refused
# connection is worth one only later (`--retry-failed`), not seconds from now
RETRY_NOW = RETRYABLE - {RejectReason.DNS_ERROR, RejectReason.CONNECTION_REFUSED}
# Directives that forbid a kind of use. On a page, noimageai/noimageindex speak about the
# page's images, not the page, so the page itself stays fetchable.
OPT_OUT_DIRECTIVES = {
    "image": frozenset({"noai", "noimageai", "noindex", "noimageindex"}),
    "video": frozenset({"noai", "noimageai", "noindex", "noimageindex"}),
    "page": frozenset({"noai", "noindex"}),
}


@dataclasses.dataclass(kw_only=True)
class FetchConfig:
    allow_private: bool = False  # True only for tests and the offline demo (loopback)
    user_agent: str = "flamingo-data/0.1 (+https://github.com/flamingo-data; data@flamingo-data.invalid)"
    user_agent_token: str = "flamingo-data"  # matched against robots.txt and X-Robots-Tag user agents
    connect_timeout: float = 5.0
    read_timeout: float = 10.0
    total_timeout: float = 60.0  # one attempt (redirect hops, headers and body): bounds slow-drip senders
    url_timeout: float = 120.0  # one URL: every attempt, redirect and backoff wait together
    max_bytes: int = 32 * 2**20  # after decompression; an image above this is not a training image
    max_redirects: int = 5
    retries: int = 3
    backoff_base: float = 0.5  # seconds; attempt n waits uniform(0, min(backoff_max, base * 2**n))
    backoff_max: float = 8.0
    max_retry_wait: float = 30.0  # a longer Retry-After gives up now (--retry-failed comes back later)
    per_host_concurrency: int = 16
    per_host_interval: float = 0.0  # seconds between request starts to one host
    respect_robots: bool = False  # robots.txt: for page crawls; image/pair lists use X-Robots-Tag
    honour_x_robots_tag: bool = True
    concurrency: int = 32  # threads of fetch_many


@dataclasses.dataclass
class FetchResult:
    url: str
    ok: bool
    reason: RejectReason | None = None
    detail: str = ""
    content: bytes | None = None
    final_url: str | None = None
    headers: dict[str, str] = dataclasses.field(default_factory=dict)
    http_status: int | None = None
    attempts: int = 0
    num_bytes: int = 0


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def status_reason(status: int) -> RejectReason:
    if status in (404, 410):
        return RejectReason.HTTP_404
    if status == 429:
        return RejectReason.HTTP_429
    if status >= 500:
        return RejectReason.HTTP_5XX
    return RejectReason.HTTP_4XX


class Fetcher:
    def __init__(self, config: FetchConfig | None = None):
        self.config = c = config or FetchConfig()
        self._client = HttpClient(
            num_pools=1000,
            pool_size=max(c.concurrency, c.per_host_concurrency),
            connect_timeout=c.connect_timeout,
            read_timeout=c.read_timeout,
        )
        self._polite = HostPoliteness(c.per_host_concurrency, c.per_host_interval)
        self._robots = RobotsCache(self._fetch_robots, c.user_agent_token)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._pool_lock = threading.Lock()

    # -- public API ---------------------------------------------------------------------------
    def fetch(self, url: str, kind: str = "image") -> FetchResult:
        chunks: list[bytes] = []
        result = self._with_retries(url, kind, lambda: (chunks.clear(), chunks.append)[1])
        if result.ok:
            result.content = b"".join(chunks)
        return result

    def fetch_many(self, urls: Sequence[str], kind: str = "image") -> list[FetchResult]:
        return list(self.executor().map(lambda u: self.fetch(u, kind), urls))

    def fetch_to_file(self, url: str, path: str, kind: str = "video") -> FetchResult:
        """Stream the body into `path` (at most max_bytes); `content` stays None."""
        files = []

        def new_sink():
            for f in files:
                f.close()
            files.append(open(path, "wb"))  # noqa: SIM115 - closed below and on each retry
            return files[-1].write

        try:
            return self._with_retries(url, kind, new_sink)
        finally:
            for f in files:
                f.close()

    def executor(self) -> concurrent.futures.ThreadPoolExecutor:
        """The bounded thread pool this fetcher's batch calls run on (shared, created once)."""
        with self._pool_lock:
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.config.concurrency, "fetch")
            return self._pool

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
                self._pool = None

    # -- internals ----------------------------------------------------------------------------
    def _with_retries(
        self, url: str, kind: str, new_sink: Callable[[], Callable[[bytes], None]]
    ) -> FetchResult:
        c = self.config
        url_deadline = time.monotonic() + c.url_timeout
        for attempt in range(c.retries + 1):
            deadline = min(time.monotonic() + c.total_timeout, url_deadline)
            result, retry_after = self._follow(url, kind, new_sink(), deadline)
            result.attempts = attempt + 1
            if result.ok or result.reason not in RETRY_NOW or attempt == c.retries:
                return result
            if retry_after is not None and retry_after > c.max_retry_wait:
                result.detail += (
                    f"; Retry-After {retry_after:.0f}s exceeds max_retry_wait {c.max_retry_wait:.0f}s"
                )
                return result
            wait = (
                retry_after
                if retry_after is not None
                else random.uniform(0, min(c.backoff_max, c.backoff_base * 2**attempt))
            )
            if time.monotonic() + wait >= url_deadline:
                result.detail += f"; no time left for another attempt (url_timeout {c.url_timeout:.0f}s)"
                return result
            log.debug("retrying %s after %s (%.2fs)", url, result.reason, wait)
            time.sleep(wait)
        raise AssertionError("unreachable: the loop returns on its last attempt")

    def _follow(
        self, url: str, kind: str, sink: Callable[[bytes], None], deadline: float
    ) -> tuple[FetchResult, float | None]:
        """One attempt: the redirect hops share its deadline."""
        c = self.config
        current = url
        for _hop in range(c.max_redirects + 1):
            parts = urlsplit(current)
            if parts.scheme.lower() not in ("http", "https"):
                return self._fail(
                    url, current, RejectReason.UNSUPPORTED_SCHEME, f"scheme {parts.scheme!r}"
                ), None
            try:
                port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
                address = resolve(parts.hostname or "", port, c.allow_private)
            except AddressRefused as exc:
                return self._fail(url, current, exc.reason, exc.detail), None
            except ValueError as exc:  # a bad port number
                return self._fail(url, current, RejectReason.INVALID_URL, str(exc)), None
            if c.respect_robots and kind != "robots" and not self._robots.allowed(current):
                return self._fail(url, current, RejectReason.ROBOTS_DISALLOWED, "robots.txt disallows"), None
            with self._polite.slot(parts.hostname or ""):
                resp = self._client.get(
                    current,
                    address,
                    {"User-Agent": c.user_agent},
                    c.max_bytes,
                    deadline,
                    lambda r: self._check_opt_out(r, kind),
                    sink,
                )
            location = resp.headers.get("location")
            if resp.status in REDIRECT_STATUSES and location:
                current = urljoin(current, location.strip())
                continue
            return self._result(url, current, resp), parse_retry_after(resp.headers.get("retry-after"))
        detail = f"more than {c.max_redirects} redirects (last {current[:200]})"
        return self._fail(url, current, RejectReason.TOO_MANY_REDIRECTS, detail), None

    def _check_opt_out(self, resp: Response, kind: str) -> tuple[RejectReason, str] | None:
        if not self.config.honour_x_robots_tag:
            return None
        directives = OPT_OUT_DIRECTIVES.get(kind, OPT_OUT_DIRECTIVES["image"])
        value = opted_out(resp.header_lists.get("x-robots-tag", []), self.config.user_agent_token, directives)
        return None if value is None else (RejectReason.OPTED_OUT, f"X-Robots-Tag: {value}"[:300])

    @staticmethod
    def _result(url: str, final_url: str, resp: Response) -> FetchResult:
        r = FetchResult(
            url=url,
            ok=False,
            final_url=final_url,
            headers=resp.headers,
            http_status=resp.status,
            num_bytes=resp.num_bytes,
            reason=resp.reason,
            detail=resp.detail,
        )
        if r.reason is None and resp.status is not None and not 200 <= resp.status < 300:
            r.reason, r.detail = status_reason(resp.status), f"HTTP {resp.status}"
        r.ok = r.reason is None
        return r

    @staticmethod
    def _fail(url: str, final_url: str, reason: RejectReason, detail: str) -> FetchResult:
        return FetchResult(url=url, ok=False, reason=reason, detail=detail, final_url=final_url)

    def _fetch_robots(self, robots_url: str) -> tuple[int | None, bytes]:
        r = self.fetch(robots_url, kind="robots")
        if r.ok:
            return r.http_status, r.content or b""
        if r.reason in (RejectReason.HTTP_404, RejectReason.HTTP_4XX):
            return r.http_status, b""
        return None, b""  # unreachable, 5xx, refused: RFC 9309 says assume disallow
