"""Streaming WARC reading (warcio): HTML captures, revisits, an index of image captures.

`iter_warc` reads one archive front to back and yields one item per record that matters:
- `WarcPage`: a 200 HTML capture (response or resource record), payload bytes and charset;
- `WarcRevisit`: a revisit record of an HTML capture (no payload of its own);
- `WarcImage`: where an image capture sits (offset), for `--fetch-images warc`;
- `WarcProblem`: a record (or the rest of the archive) that could not be read, with a reason;
- `WarcSkip`: anything else (requests, metadata, non-HTML, non-200), with why, for counters.
Pages, revisits and problems are the job's inputs; skips and images are only counted.

warcio is chosen over fastwarc for its pure-Python install and its reading of chunked and
content-encoded payloads; the extractor, not the reader, dominates the job's time.
warcio swallows a cut-off gzip tail silently, so the reader compares where the last record
ended with the bytes it was given and reports the difference as a truncated archive.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterator
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from crawlers.html.charset import charset_from_content_type
from schemas.reasons import RejectReason

log = logging.getLogger(__name__)

MAX_PAGE_BYTES = 8 * 2**20  # a page payload over this is not a web page worth extracting
MAX_IMAGE_BYTES = 32 * 2**20
HTML_TYPES = ("text/html", "application/xhtml+xml")
_HTML_SNIFF = (b"<!doctype html", b"<html", b"<head", b"<body")
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM")


@dataclasses.dataclass
class WarcPage:
    url: str
    html: bytes
    charset: str | None
    warc_file: str
    offset: int
    date: str
    payload_digest: str | None
    length: int = 0
    truncated: str = ""  # why the record is short, when kept anyway (iter_warc keep_truncated)


@dataclasses.dataclass
class WarcRevisit:
    url: str
    warc_file: str
    offset: int
    refers_to: str
    payload_digest: str | None


@dataclasses.dataclass
class WarcImage:
    url: str
    warc_file: str
    offset: int
    content_type: str
    robots: tuple[str, ...] = ()  # X-Robots-Tag values the capture carried (opt-out applies to archives too)


@dataclasses.dataclass
class WarcProblem:
    warc_file: str
    offset: int
    reason: RejectReason
    detail: str
    url: str = ""


@dataclasses.dataclass
class WarcSkip:
    warc_file: str
    offset: int
    why: str  # not_a_capture | not_html | http_status | empty


WarcItem = WarcPage | WarcRevisit | WarcImage | WarcProblem | WarcSkip


class _CountingReader:
    """Counts the bytes warcio pulls, so a silently dropped tail can be detected."""

    def __init__(self, fh: BinaryIO) -> None:
        self.fh, self.count = fh, 0

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.count += len(data)
        return data

    def tell(self) -> int:
        return self.count


def _content_type(record) -> str:
    headers = record.http_headers
    value = headers.get_header("Content-Type") if headers is not None else None
    value = value or record.rec_headers.get_header("WARC-Identified-Payload-Type") or ""
    return value


def _is_html(content_type: str, head: bytes) -> bool:
    mime = content_type.split(";")[0].strip().lower()
    if mime in HTML_TYPES:
        return True
    if mime in ("", "application/octet-stream", "text/plain", "unk"):
        return head.lstrip()[:20].lower().startswith(_HTML_SNIFF)
    return False


def _robots(record) -> tuple[str, ...]:
    headers = record.http_headers
    if headers is None:
        return ()
    return tuple(v for k, v in headers.headers if k.lower() == "x-robots-tag")


def _status(record) -> int:
    if record.rec_type == "resource" or record.http_headers is None:
        return 200
    try:
        return int(record.http_headers.get_statuscode() or 0)
    except ValueError:
        return 0


def iter_warc(stream: BinaryIO, warc_file: str, *, keep_truncated: bool = False) -> Iterator[WarcItem]:
    """Every record that matters in one archive, in file order; never raises on bad data.

    `keep_truncated`: an HTML record marked WARC-Truncated (Common Crawl cuts payloads at 1 MiB)
    or ending short is a WarcPage with `truncated` saying why, instead of a TRUNCATED problem.
    """
    reader = _CountingReader(stream)
    it = ArchiveIterator(reader)
    end = 0  # where the last complete record (and its trailing blank lines) ended
    try:
        for record in it:
            # `it.offset` is the record's start until read_to_end; warcio's get_record_offset()
            # would read the payload away first.
            offset = it.offset
            if record.format == "arc" and "://" not in (record.rec_headers.get_header("uri") or ""):
                # warcio falls back to the ARC format for any text line; a real ARC header starts with a URL
                yield WarcProblem(
                    warc_file, offset, RejectReason.MALFORMED_RECORD, "neither a WARC nor an ARC record"
                )
                return
            yield from _classify(record, warc_file, offset, keep_truncated)
            it.read_to_end(record)
            end = it.offset
    except ArchiveLoadFailed as exc:
        yield WarcProblem(
            warc_file, end, RejectReason.MALFORMED_RECORD, f"unreadable from here on: {exc}"[:500]
        )
        return
    except (OSError, EOFError, ValueError) as exc:  # zlib errors, cut-off streams
        yield WarcProblem(warc_file, end, RejectReason.TRUNCATED, f"archive ends mid-record: {exc}"[:500])
        return
    if reader.count > end:
        # gzip member cut short: warcio stops without an error, the record simply vanishes.
        yield WarcProblem(
            warc_file,
            end,
            RejectReason.TRUNCATED,
            f"{reader.count - end} trailing bytes after the last complete record",
        )


def _classify(record, warc_file: str, offset: int, keep_truncated: bool = False) -> Iterator[WarcItem]:
    rtype = record.rec_type
    url = record.rec_headers.get_header("WARC-Target-URI") or ""
    if rtype not in ("response", "resource", "revisit"):
        yield WarcSkip(warc_file, offset, "not_a_capture")
        return
    content_type = _content_type(record)
    if rtype == "revisit":
        if _is_html(content_type, b""):
            yield WarcRevisit(
                url,
                warc_file,
                offset,
                record.rec_headers.get_header("WARC-Refers-To-Target-URI") or "",
                record.rec_headers.get_header("WARC-Payload-Digest"),
            )
        else:
            yield WarcSkip(warc_file, offset, "not_html")
        return
    if _status(record) != 200:
        yield WarcSkip(warc_file, offset, "http_status")
        return
    mime = content_type.split(";")[0].strip().lower()
    if mime.startswith("image/"):
        yield WarcImage(url, warc_file, offset, mime, _robots(record))
        return
    body = record.content_stream().read(MAX_PAGE_BYTES + 1)
    if not _is_html(content_type, body[:512]):
        if body[:4].startswith(_IMAGE_MAGIC):
            yield WarcImage(url, warc_file, offset, mime or "image/unknown", _robots(record))
        else:
            yield WarcSkip(warc_file, offset, "not_html")
        return
    if len(body) > MAX_PAGE_BYTES:
        yield WarcProblem(
            warc_file, offset, RejectReason.TOO_LARGE, f"payload over {MAX_PAGE_BYTES} bytes", url
        )
        return
    declared_cut = record.rec_headers.get_header("WARC-Truncated")
    remaining = getattr(record.raw_stream, "limit", 0)
    if declared_cut or remaining:
        why = f"WARC-Truncated: {declared_cut}" if declared_cut else f"record ends {remaining} bytes short"
        if not keep_truncated:
            yield WarcProblem(warc_file, offset, RejectReason.TRUNCATED, why, url)
            return
    else:
        why = ""
    yield WarcPage(
        url,
        body,
        charset_from_content_type(content_type),
        warc_file,
        offset,
        record.rec_headers.get_header("WARC-Date") or "",
        record.rec_headers.get_header("WARC-Payload-Digest"),
        len(body),
        why,
    )


def read_payload_at(stream: BinaryIO, offset: int, max_bytes: int = MAX_IMAGE_BYTES) -> bytes:
    """The payload of the record at `offset` (a seekable stream of the raw, compressed file)."""
    stream.seek(offset)
    for record in ArchiveIterator(stream):
        data = record.content_stream().read(max_bytes + 1)
        if len(data) > max_bytes:
            raise ValueError(f"record at {offset} is over {max_bytes} bytes")
        return data
    raise ValueError(f"no record at offset {offset}")
