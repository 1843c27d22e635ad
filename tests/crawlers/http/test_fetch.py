"""The fetcher against a real loopback server: one exact outcome per misbehaviour."""

import gzip
import time

import pytest

from crawlers.http.fetch import FetchConfig, Fetcher, parse_retry_after
from schemas.reasons import RejectReason
from tests.http_fixture import DEFAULT_ROUTES, image_bytes

# Routes whose outcome is decided by the image processor, not the fetcher.
DECODE_OUTCOMES = {"not_an_image", "truncated", "decompression_bomb", "unsupported_format"}


def make_fetcher(**overrides) -> Fetcher:
    cfg = dict(
        allow_private=True,
        connect_timeout=0.5,
        read_timeout=0.5,
        total_timeout=0.5,
        max_bytes=2**20,
        retries=2,
        backoff_base=0.01,
        backoff_max=0.02,
        max_retry_wait=1.0,
        concurrency=8,
    )
    cfg.update(overrides)
    return Fetcher(FetchConfig(**cfg))


@pytest.fixture(scope="module")
def fetcher():
    f = make_fetcher()
    yield f
    f.close()


def test_every_default_route_has_its_exact_fetch_outcome(http_server, fetcher):
    paths = list(DEFAULT_ROUTES)
    results = fetcher.fetch_many([http_server.url(p) for p in paths])
    got = {p: ("ok" if r.ok else r.reason.value) for p, r in zip(paths, results, strict=True)}
    expected = {}
    for path, outcome in DEFAULT_ROUTES.items():
        # a truncated image body is complete at the HTTP level (only /lying is cut short)
        fetch_ok = outcome in DECODE_OUTCOMES and path != "/lying"
        expected[path] = "ok" if fetch_ok else outcome
    assert got == expected
    assert [r.url for r in results] == [http_server.url(p) for p in paths]  # input order


def test_good_image_bytes_and_metadata(http_server, fetcher):
    r = fetcher.fetch(http_server.url("/good.jpg"))
    assert r.ok and r.content == image_bytes((64, 48))
    assert (r.http_status, r.attempts, r.num_bytes) == (200, 1, len(r.content))
    assert r.headers["content-type"] == "image/jpeg"


def test_redirect_records_final_url(http_server, fetcher):
    r = fetcher.fetch(http_server.url("/redirect"))
    assert r.ok and r.final_url == http_server.url("/good.jpg")


def test_retries_counted_and_bounded(http_server, fetcher):
    assert fetcher.fetch(http_server.url("/flaky")).attempts == 2
    assert fetcher.fetch(http_server.url("/429-short")).attempts == 2
    r = fetcher.fetch(http_server.url("/always500"))
    assert (r.reason, r.attempts, r.http_status) == (RejectReason.HTTP_5XX, 3, 503)
    assert http_server.hits["/always500"] == 3
    r = fetcher.fetch(http_server.url("/missing"))
    assert (r.reason, r.attempts) == (RejectReason.HTTP_404, 1)  # not transient: no retry


def test_long_retry_after_gives_up_at_once(http_server, fetcher):
    start = time.monotonic()
    r = fetcher.fetch(http_server.url("/429-long"))
    assert r.reason is RejectReason.HTTP_429 and r.attempts == 1
    assert "exceeds max_retry_wait" in r.detail
    assert time.monotonic() - start < 0.5


def test_timeouts_are_bounded(http_server):
    f = make_fetcher(retries=0)
    start = time.monotonic()
    assert f.fetch(http_server.url("/timeout")).reason is RejectReason.TIMEOUT
    assert f.fetch(http_server.url("/drip")).reason is RejectReason.TIMEOUT  # slow drip: total limit
    assert time.monotonic() - start < 2.0


def test_gzip_body_decoded_and_bomb_capped(http_server, fetcher):
    body = image_bytes()
    http_server.add("/gz.jpg", gzip.compress(body), headers={"Content-Encoding": "gzip"})
    assert fetcher.fetch(http_server.url("/gz.jpg")).content == body
    r = fetcher.fetch(http_server.url("/gzip-bomb"))
    assert r.reason is RejectReason.TOO_LARGE and "bomb" in r.detail


def test_private_addresses_refused_by_default(http_server):
    f = make_fetcher(allow_private=False)
    r = f.fetch(http_server.url("/good.jpg"))
    assert r.reason is RejectReason.PRIVATE_ADDRESS and http_server.hits["/good.jpg"] == 0


def test_redirect_to_private_address_refused(http_server, monkeypatch):
    import crawlers.http.fetch as fetch_module
    from crawlers.http.netguard import resolve

    # Pretend 127.0.0.1 is public so the first hop passes; the redirect names `localhost`,
    # which the real guard must refuse before connecting.
    def guard(host, port, allow_private):
        return host if host == "127.0.0.1" else resolve(host, port, allow_private=False)

    monkeypatch.setattr(fetch_module, "resolve", guard)
    http_server.add(
        "/to-local", b"", status=302, headers={"Location": f"http://localhost:{http_server.port}/good.jpg"}
    )
    r = make_fetcher(allow_private=False).fetch(http_server.url("/to-local"))
    assert r.reason is RejectReason.PRIVATE_ADDRESS and http_server.hits["/good.jpg"] == 0


def test_redirect_to_other_scheme_refused(http_server):
    http_server.add("/to-file", b"", status=302, headers={"Location": "file:///etc/passwd"})
    r = make_fetcher().fetch(http_server.url("/to-file"))
    assert r.reason is RejectReason.UNSUPPORTED_SCHEME and r.final_url == "file:///etc/passwd"


def test_unresolvable_host_is_dns_error():
    r = make_fetcher().fetch("http://no-such-host.invalid/a.jpg")
    assert (r.reason, r.attempts) == (RejectReason.DNS_ERROR, 1)


def test_fetch_to_file_streams(http_server, fetcher, tmp_path):
    path = tmp_path / "v.bin"
    r = fetcher.fetch_to_file(http_server.url("/flaky"), str(path))
    assert r.ok and r.content is None and path.read_bytes() == image_bytes()
    r = fetcher.fetch_to_file(http_server.url("/oversize-unsized"), str(tmp_path / "big.bin"))
    assert r.reason is RejectReason.TOO_LARGE and (tmp_path / "big.bin").stat().st_size <= 2**20


def test_robots_txt_respected_and_cached(http_server):
    http_server.add("/robots.txt", b"User-agent: flamingo-data\nDisallow: /private/\n", "text/plain")
    http_server.add("/private/a.html", b"<html></html>", "text/html")
    http_server.add("/public/a.html", b"<html></html>", "text/html")
    f = make_fetcher(respect_robots=True)
    assert f.fetch(http_server.url("/private/a.html"), kind="page").reason is RejectReason.ROBOTS_DISALLOWED
    assert f.fetch(http_server.url("/public/a.html"), kind="page").ok
    assert http_server.hits["/robots.txt"] == 1 and http_server.hits["/private/a.html"] == 0


def test_robots_5xx_means_disallow_4xx_means_allow(http_server):
    http_server.add("/robots.txt", b"down", "text/plain", status=503)
    f = make_fetcher(respect_robots=True, retries=0)
    assert f.fetch(http_server.url("/good.jpg"), kind="page").reason is RejectReason.ROBOTS_DISALLOWED
    http_server.add("/robots.txt", b"", "text/plain", status=404)
    assert make_fetcher(respect_robots=True).fetch(http_server.url("/good.jpg"), kind="page").ok


def test_noimageai_does_not_block_a_page(http_server, fetcher):
    http_server.add("/page.html", b"<html></html>", "text/html", headers={"X-Robots-Tag": "noimageai"})
    assert fetcher.fetch(http_server.url("/page.html"), kind="page").ok
    assert fetcher.fetch(http_server.url("/page.html"), kind="image").reason is RejectReason.OPTED_OUT


def test_per_host_interval_spaces_requests(http_server):
    f = make_fetcher(per_host_concurrency=1, per_host_interval=0.1)
    start = time.monotonic()
    assert all(r.ok for r in f.fetch_many([http_server.url("/good.jpg")] * 4))
    assert time.monotonic() - start >= 0.3


@pytest.mark.parametrize(
    "value,expected",
    [("0", 0.0), ("120", 120.0), ("soon", None), (None, None), ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected
