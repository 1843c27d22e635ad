"""The pairs job's steps: row validation, fetch + process with a thread pool, typed samples.

Every row ends as exactly one PairSample or one RejectRecord (stage "read", "fetch" or
"decode"), so the shard writer's conservation check holds. Samples follow img2dataset's
webdataset layout (schemas/samples.py): KEY.jpg, KEY.txt, KEY.json with its fields plus the
row's other columns.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import json
import logging
from typing import Any
from urllib.parse import urlsplit

import apache_beam as beam
from apache_beam.metrics import Metrics
from apache_beam.transforms.window import GlobalWindow
from apache_beam.utils.timestamp import MIN_TIMESTAMP
from apache_beam.utils.windowed_value import WindowedValue

from crawlers.shard_tar import MEMBER_TOO_LARGE
from pipeline.io.readers import RowError, TarDamage
from pipeline.steps.rejects import tag
from schemas import (
    ImageTextPair,
    MediaFile,
    PairSample,
    RejectReason,
    RejectRecord,
    SchemaError,
    Stage,
    stable_key,
    url_key,
)

log = logging.getLogger(__name__)

MAX_URL_CHARS = 4096  # longer is a data bug, not a URL (browsers stop near 2k-64k; none of ours)
NAMESPACE = "pairs"


@dataclasses.dataclass
class PairInput:
    key: str
    source: str
    url: str
    caption: str | None
    extra: dict[str, Any]


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
        return value
    except (TypeError, ValueError):
        return str(value)


def validate_row(
    source: str, row: dict[str, Any] | RowError, url_col: str, caption_col: str, require_caption: bool
) -> PairInput | RejectRecord:
    """A PairInput, or a RejectRecord (stage "read") saying what is wrong with the row."""
    read = Stage.READ
    if isinstance(row, RowError):
        return RejectRecord(stable_key("row", source), source, read, RejectReason.MALFORMED_ROW, row.detail)
    url = row.get(url_col)
    if url is None or (isinstance(url, str) and not url.strip()):
        return RejectRecord(
            stable_key("row", source), source, read, RejectReason.MISSING_URL, f"no {url_col!r} value"
        )
    url = str(url).strip()
    key = url_key(url)
    parts = urlsplit(url)
    if not parts.scheme:
        return RejectRecord(key, url, read, RejectReason.INVALID_URL, f"not an absolute URL ({source})")
    if parts.scheme.lower() not in ("http", "https"):
        return RejectRecord(
            key, url, read, RejectReason.UNSUPPORTED_SCHEME, f"scheme {parts.scheme!r} ({source})"
        )
    if not parts.hostname or len(url) > MAX_URL_CHARS or any(c.isspace() or ord(c) < 32 for c in url):
        return RejectRecord(key, url, read, RejectReason.INVALID_URL, f"malformed URL ({source})")
    caption = row.get(caption_col)
    caption = None if caption is None else str(caption).strip()
    if require_caption and not caption:
        return RejectRecord(key, url, read, RejectReason.EMPTY_CAPTION, f"empty {caption_col!r} ({source})")
    extra = {k: _jsonable(v) for k, v in row.items() if k not in (url_col, caption_col)}
    return PairInput(key, source, url, caption, extra)


def fetch_and_process(pair: PairInput, fetcher, processor) -> PairSample | RejectRecord:
    r = fetcher.fetch(pair.url, kind="image")
    if not r.ok:
        return RejectRecord(pair.key, pair.url, Stage.FETCH, r.reason, r.detail)
    out = processor.process(r.content)
    if not out.ok:
        return RejectRecord(pair.key, pair.url, Stage.DECODE, out.reason, out.detail)
    record = ImageTextPair(
        key=pair.key,
        url=pair.url,
        caption=pair.caption,
        sha256=out.sha256,
        width=out.width,
        height=out.height,
        original_width=out.original_width,
        original_height=out.original_height,
        extra=pair.extra,
    )
    return PairSample(record, MediaFile(out.data, out.ext), exif=out.exif)


class FetchPairs(beam.DoFn):
    """PairInput -> PairSample, or tagged REJECTS, a RejectRecord; many URLs in flight on a pool
    shared across bundles.

    Results are emitted as they complete (not batch by batch), so one slow host does not stall
    a whole batch; finish_bundle waits for the rest. Counters are incremented on the Beam
    thread only (metric containers are thread-local).
    """

    def __init__(self, fetch_config, resize_config, max_in_flight: int | None = None):
        self.fetch_config, self.resize_config = fetch_config, resize_config
        self.max_in_flight = max_in_flight or 2 * fetch_config.concurrency
        self._success = Metrics.counter(NAMESPACE, "success")

    def setup(self):
        from crawlers.http.fetch import Fetcher
        from crawlers.media.images import ImageProcessor

        self.fetcher = Fetcher(self.fetch_config)
        self.processor = ImageProcessor(self.resize_config)
        self.pool = concurrent.futures.ThreadPoolExecutor(self.fetch_config.concurrency, "pairs")

    def start_bundle(self):
        self.pending: set[concurrent.futures.Future] = set()

    def _one(self, pair: PairInput) -> PairSample | RejectRecord:
        try:
            return fetch_and_process(pair, self.fetcher, self.processor)
        except Exception as exc:  # a bug on one URL must not kill the job: rejected, logged, counted
            log.exception("fetching %s failed", pair.url)
            return RejectRecord(
                pair.key, pair.url, Stage.FETCH, RejectReason.INTERNAL_ERROR, f"{type(exc).__name__}: {exc}"
            )

    def _output(self, result: PairSample | RejectRecord):
        if isinstance(result, RejectRecord):
            return tag(result)
        self._success.inc()
        return result

    def process(self, pair: PairInput):
        self.pending.add(self.pool.submit(self._one, pair))
        if len(self.pending) >= self.max_in_flight:
            done, self.pending = concurrent.futures.wait(
                self.pending, return_when=concurrent.futures.FIRST_COMPLETED
            )
            for future in done:
                yield self._output(future.result())

    def finish_bundle(self):
        for future in concurrent.futures.as_completed(self.pending):
            out = self._output(future.result())
            # finish_bundle has no input element to take a window from: the global window
            if isinstance(out, beam.pvalue.TaggedOutput):
                yield beam.pvalue.TaggedOutput(
                    out.tag, WindowedValue(out.value, MIN_TIMESTAMP, [GlobalWindow()])
                )
            else:
                yield WindowedValue(out, MIN_TIMESTAMP, [GlobalWindow()])
        self.pending = set()

    def teardown(self):
        self.pool.shutdown(wait=True)
        self.fetcher.close()


def sample_from_webdataset(
    source: str, group, image_exts=("jpg", "png", "webp")
) -> PairSample | RejectRecord:
    """An existing img2dataset sample, re-keyed by URL and kept as is (no download, no re-encode);
    a sample with a member too large to read, or the unreadable rest of a damaged tar, is a reject."""
    read = Stage.READ
    if isinstance(group, TarDamage):
        return RejectRecord(
            stable_key("tar", source),
            source,
            read,
            RejectReason.MALFORMED_RECORD,
            f"the rest of the tar is unreadable: {group.detail}",
        )
    members = group.members
    too_large = [detail for reason, detail in group.skipped if reason == MEMBER_TOO_LARGE]
    try:
        meta = json.loads(members.get("json", b"{}"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        return RejectRecord(
            stable_key("sample", source), source, read, RejectReason.MALFORMED_RECORD, f"bad json: {exc}"
        )
    if not isinstance(meta, dict):
        return RejectRecord(
            stable_key("sample", source), source, read, RejectReason.MALFORMED_RECORD, "json is not an object"
        )
    url = meta.get("url")
    key = url_key(url) if isinstance(url, str) and url else stable_key("sample", source)
    if too_large:
        return RejectRecord(key, url or source, read, RejectReason.TOO_LARGE, "; ".join(too_large)[:500])
    ext = next((e for e in image_exts if e in members), None)
    if ext is None:
        return RejectRecord(
            key, url or source, read, RejectReason.MALFORMED_RECORD, f"no image member in {sorted(members)}"
        )
    if "key" in meta and meta["key"] != key:
        meta["img2dataset_key"] = meta["key"]  # its running-counter key, kept for tracing back
    meta["key"] = key
    caption = members["txt"].decode("utf-8", "replace") if "txt" in members else None
    try:
        return PairSample.from_meta(meta, MediaFile(members[ext], ext), caption)
    except SchemaError as exc:
        return RejectRecord(key, url or source, read, RejectReason.MALFORMED_RECORD, str(exc))
