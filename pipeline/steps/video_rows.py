"""One video-list row -> (key, url, caption, start, end, extra), or the reason it is malformed.

Keys: (url, start, end, caption). Lists such as VATEX/HowTo100M caption several segments of one
video, and some give one video several captions: each (segment, caption) is its own sample, so
the key holds both (a key of the URL alone wrote one key twice and lost a sample). A row that is
not a row is keyed by its place in the list ("PATH:LINE").
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from typing import Any
from urllib.parse import urlsplit

from schemas.keys import stable_key
from schemas.reasons import RejectReason

FETCHED_SCHEMES = ("http", "https")
LOCAL_SCHEMES = ("", "file")
FILESYSTEM_SCHEMES = ("gs", "s3", "hdfs")  # read through Beam FileSystems


class VideoRowError(ValueError):
    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason, self.detail = reason, detail


@dataclasses.dataclass(frozen=True)
class VideoRow:
    key: str
    url: str
    caption: str
    start: float | None
    end: float | None
    extra: dict[str, Any]


def _seconds(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise VideoRowError(
            RejectReason.MALFORMED_ROW, f"{name}={value!r} is not a number of seconds"
        ) from None
    if not math.isfinite(seconds) or seconds < 0:
        raise VideoRowError(RejectReason.MALFORMED_ROW, f"{name}={value!r} must be a finite number >= 0")
    return seconds


def _jsonable(value: Any) -> Any:
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return str(value)
    return value


def parse_row(row: Any, url_col: str = "url", caption_col: str = "caption") -> VideoRow:
    """A validated row; `row` is a dict, or pipeline.io.readers.RowError for a line that is no row."""
    if not isinstance(row, dict):
        raise VideoRowError(RejectReason.MALFORMED_ROW, str(getattr(row, "detail", row)))
    url = row.get(url_col)
    if url is None or not str(url).strip():
        raise VideoRowError(RejectReason.MISSING_URL, f"no {url_col!r} value")
    url = str(url).strip()
    scheme = urlsplit(url).scheme.lower()
    if len(scheme) == 1:  # a Windows drive letter, "C:\\videos\\a.mp4"
        scheme = ""
    if scheme not in FETCHED_SCHEMES + LOCAL_SCHEMES + FILESYSTEM_SCHEMES:
        raise VideoRowError(RejectReason.UNSUPPORTED_SCHEME, f"scheme {scheme!r} of {url[:200]!r}")
    caption = row.get(caption_col)
    caption = "" if caption is None else str(caption).strip()
    if not caption:
        raise VideoRowError(RejectReason.EMPTY_CAPTION, f"no {caption_col!r} text")
    start, end = _seconds(row, "start"), _seconds(row, "end")
    if start is not None and end is not None and end <= start:
        raise VideoRowError(RejectReason.MALFORMED_ROW, f"end {end} <= start {start}")
    key = stable_key("video", url, start, end, caption)
    extra = {k: _jsonable(v) for k, v in row.items() if k not in (url_col, caption_col, "start", "end")}
    return VideoRow(key=key, url=url, caption=caption, start=start, end=end, extra=extra)


def row_key(source: str, row: Any, url_col: str = "url", caption_col: str = "caption") -> str:
    """The key a list row is accounted under: its sample's key, or its place in the list."""
    try:
        return parse_row(row, url_col, caption_col).key
    except VideoRowError:
        return stable_key("row", source)


def list_dir_of(source: str) -> str | None:
    """The local folder of the list a row came from ("PATH:LINE"), for relative video paths."""
    path = source.rsplit(":", 1)[0]
    return None if "://" in path else os.path.dirname(os.path.abspath(path))


def local_path(url: str, list_dir: str | None) -> str | None:
    """The filesystem path of a local URL (relative paths are relative to the list's folder), else None."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme == "file":
        return parts.path
    if scheme and len(scheme) > 1:
        return None
    if list_dir and not os.path.isabs(url):
        return os.path.join(list_dir, url)
    return url
