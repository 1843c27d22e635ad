"""The sample site as a crawl: a WARC.gz of request/response pairs under http://sample.flamingo.test/.

The records carry the same status, Content-Type and extra headers (X-Robots-Tag, Location)
as the live server sends, since both read site/_headers.json and the fixed content-type
table. Missing files are recorded as 404 responses and redirects as 301s, as a crawler
would have seen them. One revisit record (identical-payload-digest profile) re-captures a
page, so readers must skip or resolve revisits.

Reproducible: record IDs are UUIDs derived from the seed and the record number, and dates
are fixed, so the same site gives the same WARC bytes (warcio's gzip members carry no mtime).
"""

from __future__ import annotations

import hashlib
import io
import logging
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from demo.sample.headers import NOT_FOUND_BODY, SERVER_NAME, content_type_for, load_site_headers

logger = logging.getLogger(__name__)

WARC_BASE_URL = "http://sample.flamingo.test/"
CRAWL_START = datetime(2024, 5, 1, 12, 0, 0, tzinfo=timezone.utc)
USER_AGENT = "flamingo-data/0.1 (+https://sample.flamingo.test/crawler)"


class _ReproducibleWARCWriter(WARCWriter):
    """A WARCWriter whose record IDs and dates come from the seed and a counter, not uuid4/now."""

    def __init__(self, filebuf, seed: int) -> None:
        super().__init__(filebuf, gzip=True, warc_version="1.0")
        self._seed = seed
        self._ids = 0
        self.now = CRAWL_START

    def _make_warc_id(self) -> str:
        self._ids += 1
        digest = hashlib.sha256(f"flamingo-sample-warc:{self._seed}:{self._ids}".encode()).digest()
        return f"<urn:uuid:{uuid.UUID(bytes=digest[:16], version=4)}>"

    def curr_warc_date(self) -> str:
        return datetime_to_iso_date(self.now.replace(tzinfo=None))


def _response_parts(site_dir: Path, path: str, site_headers) -> tuple[str, list[tuple[str, str]], bytes]:
    target = site_headers.redirect_target(path)
    if target is not None:
        body = f'<html><body>Moved to <a href="{target}">{target}</a></body></html>\n'.encode()
        return (
            "301 Moved Permanently",
            [("Location", target), ("Content-Type", "text/html; charset=utf-8")],
            body,
        )
    file = site_dir / path.lstrip("/")
    if not file.is_file():
        return "404 Not Found", [("Content-Type", "text/html; charset=utf-8")], NOT_FOUND_BODY
    headers = [("Content-Type", content_type_for(path))] + sorted(site_headers.extra_headers(path).items())
    return "200 OK", headers, file.read_bytes()


def write_warc(
    site_dir: str | Path,
    warc_path: str | Path,
    paths: list[str],
    *,
    seed: int = 0,
    revisit_path: str | None = None,
    base_url: str = WARC_BASE_URL,
) -> dict:
    """Record `paths` (root-relative, in crawl order) from site_dir; returns record counts."""
    site_dir = Path(site_dir)
    site_headers = load_site_headers(site_dir)
    host = base_url.split("//", 1)[1].rstrip("/")
    counts: Counter = Counter()
    by_type: Counter = Counter()
    by_status: Counter = Counter()
    with open(warc_path, "wb") as out:
        writer = _ReproducibleWARCWriter(out, seed)
        info = io.BytesIO(
            b"software: flamingo-data sample web\r\nformat: WARC File Format 1.0\r\n"
            b"description: synthetic sample web for tests and the demo\r\n"
        )
        writer.write_record(
            writer.create_warc_record(
                "",
                "warcinfo",
                payload=info,
                length=len(info.getvalue()),
                warc_content_type="application/warc-fields",
                warc_headers_dict={"WARC-Filename": Path(warc_path).name},
            )
        )
        counts["warcinfo"] += 1
        captured: dict[
            str, tuple[str, list, str, str]
        ] = {}  # path -> (status, headers, payload digest, date)

        def http_headers(status: str, headers: list, length: int) -> StatusAndHeaders:
            stamp = format_datetime(writer.now, usegmt=True)
            return StatusAndHeaders(
                status,
                [("Date", stamp), ("Server", SERVER_NAME), *headers, ("Content-Length", str(length))],
                protocol="HTTP/1.1",
            )

        def request(url: str, path: str) -> str:
            req = StatusAndHeaders(
                f"GET {path} HTTP/1.1",
                [("Host", host), ("User-Agent", USER_AGENT), ("Accept", "*/*")],
                is_http_request=True,
            )
            record = writer.create_warc_record(url, "request", http_headers=req)
            writer.write_record(record)
            counts["request"] += 1
            return record.rec_headers.get_header("WARC-Record-ID")

        for n, path in enumerate(paths):
            writer.now = CRAWL_START + timedelta(seconds=n)
            url = base_url.rstrip("/") + path
            request_id = request(url, path)
            status, headers, body = _response_parts(site_dir, path, site_headers)
            record = writer.create_warc_record(
                url,
                "response",
                payload=io.BytesIO(body),
                length=len(body),
                http_headers=http_headers(status, headers, len(body)),
                warc_headers_dict={"WARC-Concurrent-To": request_id},
            )
            writer.write_record(record)
            counts["response"] += 1
            by_type[dict(headers)["Content-Type"].split(";")[0]] += 1
            by_status[status.split()[0]] += 1
            captured[path] = (
                status,
                headers,
                record.rec_headers.get_header("WARC-Payload-Digest"),
                record.rec_headers.get_header("WARC-Date"),
            )

        if revisit_path is not None:
            writer.now = CRAWL_START + timedelta(days=1)  # the next day's crawl saw the same bytes
            status, headers, digest, first_date = captured[revisit_path]
            url = base_url.rstrip("/") + revisit_path
            request(url, revisit_path)
            length = len((site_dir / revisit_path.lstrip("/")).read_bytes())
            writer.write_record(
                writer.create_revisit_record(
                    url, digest, url, first_date, http_headers=http_headers(status, headers, length)
                )
            )
            counts["revisit"] += 1
    result = {
        "records": sum(counts.values()),
        **dict(counts),
        "responses_by_type": dict(sorted(by_type.items())),
        "responses_by_status": dict(sorted(by_status.items())),
    }
    logger.info("wrote %s: %s", warc_path, result)
    return result
