"""`ProcessVideos`: (source, row) -> ShardSample or RejectRecord, exactly one per input row.

Per row: parse (pipeline/steps/video_rows.py) -> get a local file (a local path as is; http(s) through
the shared Fetcher into a bounded temporary file; gs:// and co. copied through Beam FileSystems,
bounded the same) -> crawlers.media.video_processor.VideoProcessor -> the video filter chain (on the
decoded frames, so pixel rules such as near-static need no second decode) -> members
KEY.000.jpg..KEY.{T-1}.jpg, KEY.txt, KEY.json (VideoTextPair), KEY.mp4 with keep_clip.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import CompressionTypes, FileSystems
from apache_beam.metrics import Metrics

from crawlers.media.video_processor import VideoProcessor, VideoProcessorConfig
from pipeline.steps.video_rows import FETCHED_SCHEMES, VideoRowError, list_dir_of, local_path, parse_row
from schemas import RejectReason, RejectRecord, ShardSample, VideoTextPair, stable_key

log = logging.getLogger(__name__)
REJECTS = "rejects"


def pair_row(pair: VideoTextPair) -> dict[str, Any]:
    """The parquet sidecar row (VIDEO_TEXT_PAIR_SCHEMA): `extra` as a JSON string."""
    row = pair.to_dict()
    row["extra"] = json.dumps(row["extra"], ensure_ascii=False, sort_keys=True)
    return row


class _ProcessVideo(beam.DoFn):
    def __init__(
        self,
        processor_config: VideoProcessorConfig,
        fetch_config: Any = None,
        filters: Any = None,
        apply_filters: bool = True,
        max_bytes: int = 512 * 2**20,
        url_col: str = "url",
        caption_col: str = "caption",
    ):
        # filters: a YAML path or config for filters.build_chain(kind="video"); None = the defaults
        self.processor_config, self.fetch_config, self.filters = processor_config, fetch_config, filters
        self.apply_filters = apply_filters
        self.max_bytes = max_bytes
        self.url_col, self.caption_col = url_col, caption_col
        self.written = Metrics.counter("videos", "written")

    def setup(self):
        self.processor = VideoProcessor(self.processor_config)
        self.fetcher = None
        self.chain = None
        if self.apply_filters:
            from filters import build_chain

            self.chain = build_chain(self.filters, kind="video")

    def _fetcher(self):
        if self.fetcher is None:
            from crawlers.http.fetch import FetchConfig, Fetcher

            self.fetcher = Fetcher(self.fetch_config or FetchConfig(max_bytes=self.max_bytes))
        return self.fetcher

    def teardown(self):
        if getattr(self, "fetcher", None) is not None:
            self.fetcher.close()

    def _reject(self, key: str, source: str, stage: str, reason: RejectReason, detail: str):
        Metrics.counter("videos", f"rejected_{stage}_{reason.value}").inc()
        return beam.pvalue.TaggedOutput(REJECTS, RejectRecord(key, source, stage, reason, detail))

    def process(self, element):
        source, row = element
        try:
            video = parse_row(row, self.url_col, self.caption_col)
        except VideoRowError as exc:
            yield self._reject(stable_key("row", source), source, "read", exc.reason, exc.detail)
            return
        with tempfile.TemporaryDirectory(prefix="flamingo-video-") as tmp:
            path, failure = self._materialise(video.url, tmp, list_dir_of(source))
            if failure is not None:
                yield self._reject(video.key, video.url, "fetch", *failure)
                return
            result = self.processor.process(path, video.key, video.start, video.end)
        if not result.ok:
            yield self._reject(video.key, video.url, result.stage, result.reason, result.detail)
            return
        info = dict(result.probe_info)
        # top-level original_width/height: the names filters/video_resolution.py reads
        extra = {
            **video.extra,
            "original_width": info.pop("original_width"),
            "original_height": info.pop("original_height"),
            "video": info,
        }
        if video.start is not None or video.end is not None:
            extra["segment"] = [video.start, video.end]  # the row's own segment: part of its identity for dedup
        pair = VideoTextPair(
            key=video.key, url=video.url, caption=video.caption, extra=extra, **result.fields
        )
        if self.chain is not None:
            from filters.samples import VideoSample

            outcome = self.chain.apply(VideoSample(pair=pair, frames=result.frames))
            if outcome.reject is not None:
                yield self._reject(
                    video.key, video.url, "filter", outcome.reject.reason, outcome.reject.detail
                )
                return
        members = {f"{i:03d}.jpg": jpg for i, jpg in enumerate(result.jpegs)}
        members["txt"] = video.caption.encode("utf-8")
        members["json"] = pair.to_json().encode("utf-8")
        if result.clip is not None:
            members["mp4"] = result.clip
        self.written.inc()
        yield ShardSample(key=video.key, members=members, row=pair_row(pair))

    def _materialise(
        self, url: str, tmp: str, list_dir: str | None
    ) -> tuple[str, tuple[RejectReason, str] | None]:
        """A local file holding the video, or (path, (reason, detail)) when it cannot be had."""
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        dest = os.path.join(tmp, "video")
        if scheme in FETCHED_SCHEMES:
            result = self._fetcher().fetch_to_file(url, dest, kind="video")
            if not result.ok:
                return dest, (result.reason or RejectReason.CONNECTION_ERROR, result.detail)
            return dest, None
        path = local_path(url, list_dir)  # relative paths: relative to the list's folder
        if path is not None:
            if not os.path.isfile(path):
                return path, (RejectReason.HTTP_404, f"no such local file: {path}")
            return path, None
        try:
            with (
                FileSystems.open(url, compression_type=CompressionTypes.UNCOMPRESSED) as src,
                open(dest, "wb") as out,
            ):
                copied = _copy_bounded(src, out, self.max_bytes)
        except OSError as exc:
            return dest, (RejectReason.CONNECTION_ERROR, f"{type(exc).__name__}: {exc}")
        if copied is None:
            return dest, (RejectReason.TOO_LARGE, f"over max_bytes={self.max_bytes}")
        return dest, None


def _copy_bounded(src, out, limit: int) -> int | None:
    total = 0
    for block in iter(lambda: src.read(1 << 20), b""):
        total += len(block)
        if total > limit:
            return None
        out.write(block)
    return total


class ProcessVideos(beam.PTransform):
    """(source, row) -> {"samples": ShardSample, "rejects": RejectRecord} (a DoFnOutputsTuple)."""

    def __init__(self, processor_config: VideoProcessorConfig, **kwargs):
        super().__init__()
        self.dofn = _ProcessVideo(processor_config, **kwargs)

    def expand(self, rows):
        return rows | "Video" >> beam.ParDo(self.dofn).with_outputs(REJECTS, main="samples")
