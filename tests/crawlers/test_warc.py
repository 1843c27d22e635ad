"""iter_warc: pages, charsets, revisits, skips, images, and broken archives, on WARCs made here."""

from __future__ import annotations

import io

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from crawlers.warc import WarcImage, WarcPage, WarcProblem, WarcRevisit, WarcSkip, iter_warc, read_payload_at
from schemas.reasons import RejectReason

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
HTML = "<html><body><p>Caf\u00e9 page {i}</p></body></html>"


def write(records, gzip=True) -> bytes:
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gzip)
    for rtype, url, status, ctype, body, extra in records:
        http = StatusAndHeaders(status, [("Content-Type", ctype)] if ctype else [], protocol="HTTP/1.1")
        if rtype == "revisit":
            rec = w.create_revisit_record(
                url,
                digest=extra["digest"],
                refers_to_uri=extra["refers"],
                refers_to_date="2024-01-01T00:00:00Z",
                http_headers=http,
            )
        elif rtype == "request":
            rec = w.create_warc_record(url, "request", payload=io.BytesIO(b"GET / HTTP/1.1\r\n\r\n"))
        else:
            rec = w.create_warc_record(
                url, rtype, payload=io.BytesIO(body), http_headers=http, warc_headers_dict=extra or None
            )
        w.write_record(rec)
    return buf.getvalue()


def page(i, charset="utf-8", ctype=None, **kw):
    body = HTML.format(i=i).encode(charset)
    return (
        "response",
        f"http://x.test/{i}.html",
        "200 OK",
        ctype or f"text/html; charset={charset}",
        body,
        kw or None,
    )


def items(data: bytes):
    return list(iter_warc(io.BytesIO(data), "crawl.warc.gz"))


@pytest.mark.parametrize("gzip", [True, False])
def test_pages_images_and_skips_with_offsets(gzip):
    data = write(
        [
            ("request", "http://x.test/0.html", "", "", b"", None),
            page(0),
            page(1, charset="cp1252"),
            ("response", "http://x.test/a.jpg", "200 OK", "image/jpeg", JPEG, None),
            ("response", "http://x.test/s.css", "200 OK", "text/css", b"body{}", None),
            ("response", "http://x.test/gone.html", "404 Not Found", "text/html", b"<html>nope</html>", None),
            (
                "response",
                "http://x.test/noct",
                "200 OK",
                None,
                b"<!DOCTYPE html><html><p>sniffed</p></html>",
                None,
            ),
        ],
        gzip=gzip,
    )
    got = items(data)
    kinds = [type(x).__name__ + (":" + x.why if isinstance(x, WarcSkip) else "") for x in got]
    assert kinds == [
        "WarcSkip:not_a_capture",
        "WarcPage",
        "WarcPage",
        "WarcImage",
        "WarcSkip:not_html",
        "WarcSkip:http_status",
        "WarcPage",
    ]
    p0, p1 = got[1], got[2]
    assert p0.url == "http://x.test/0.html" and p0.charset == "utf-8" and p0.html == HTML.format(i=0).encode()
    assert p1.charset == "cp1252" and p1.html.decode("cp1252") == HTML.format(i=1)
    assert got[3].content_type == "image/jpeg"
    assert read_payload_at(io.BytesIO(data), got[3].offset) == JPEG
    assert read_payload_at(io.BytesIO(data), p0.offset) == p0.html
    assert len({x.offset for x in got}) == len(got)


def test_revisit_is_reported_with_its_target():
    data = write(
        [
            page(0),
            (
                "revisit",
                "http://x.test/0b.html",
                "200 OK",
                "text/html",
                b"",
                {"digest": "sha1:ABC", "refers": "http://x.test/0.html"},
            ),
        ]
    )
    got = items(data)
    assert isinstance(got[1], WarcRevisit)
    assert (got[1].url, got[1].refers_to, got[1].payload_digest) == (
        "http://x.test/0b.html",
        "http://x.test/0.html",
        "sha1:ABC",
    )


def test_declared_truncation_is_rejected():
    data = write([page(0, **{"WARC-Truncated": "length"}), page(1)])
    got = items(data)
    assert isinstance(got[0], WarcProblem) and got[0].reason == RejectReason.TRUNCATED
    assert got[0].detail == "WARC-Truncated: length" and got[0].url == "http://x.test/0.html"
    assert isinstance(got[1], WarcPage)


def test_declared_truncation_is_kept_with_keep_truncated():
    data = write([page(0, **{"WARC-Truncated": "length"}), page(1)])
    got = list(iter_warc(io.BytesIO(data), "a.warc.gz", keep_truncated=True))
    assert [type(g) for g in got] == [WarcPage, WarcPage]
    assert got[0].truncated == "WARC-Truncated: length" and got[0].html.startswith(b"<html>")
    assert got[1].truncated == ""


def test_cut_off_gzip_archive_reports_truncation_after_good_records():
    data = write([page(0), page(1), page(2)])
    whole = items(data)
    got = items(data[:-40])
    assert [type(x) for x in got] == [WarcPage, WarcPage, WarcProblem]
    assert got[2].reason == RejectReason.TRUNCATED
    assert got[2].offset == whole[2].offset


def test_cut_off_uncompressed_record_is_truncated():
    data = write([page(0), page(1)], gzip=False)
    got = items(data[:-30])
    assert isinstance(got[0], WarcPage)
    assert isinstance(got[1], WarcProblem) and got[1].reason == RejectReason.TRUNCATED


def test_garbage_in_the_middle_rejects_the_rest_of_the_archive():
    first = write([page(0)])
    data = first + b"garbage" * 50 + write([page(1)])
    got = items(data)
    assert isinstance(got[0], WarcPage)
    assert isinstance(got[1], WarcProblem) and got[1].reason == RejectReason.MALFORMED_RECORD
    assert got[1].offset == len(first) and len(got) == 2


@pytest.mark.parametrize("junk", [b"not a warc at all\n" * 10, b"\x1f\x8b\x08garbage", b""])
def test_not_a_warc(junk):
    got = items(junk)
    assert all(isinstance(x, WarcProblem) for x in got)
    assert len(got) == (0 if not junk else 1)


def test_image_without_content_type_is_sniffed():
    data = write([("response", "http://x.test/i", "200 OK", "application/octet-stream", JPEG, None)])
    assert isinstance(items(data)[0], WarcImage)


def test_image_opt_out_header_is_kept_in_the_index():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    http = StatusAndHeaders(
        "200 OK", [("Content-Type", "image/jpeg"), ("X-Robots-Tag", "noai")], protocol="HTTP/1.1"
    )
    w.write_record(
        w.create_warc_record("http://x.test/a.jpg", "response", payload=io.BytesIO(JPEG), http_headers=http)
    )
    (img,) = items(buf.getvalue())
    assert isinstance(img, WarcImage) and img.robots == ("noai",)
