"""`ProcessVideos`: (source, row) -> VideoSample or RejectRecord, exactly one per input row.

Per row: parse (pipeline/steps/video_rows.py) -> get a local file (a local path as is; http(s)
through the shared Fetcher into a bounded temporary file; gs:// and co. copied through Beam
FileSystems, bounded the same). A list is untrusted input: a local path is read only under a
root the job names (`allow_local`, realpath, so no `../` or symlink leads out) and a bucket
object only under a named prefix (`allow_buckets`); anything else is a source_not_allowed
reject. Then crawlers.media.video_processor.VideoProcessor (ffmpeg reads local files as video
containers only: crawlers/media/ffmpeg_bin.py INPUT_GUARD) -> the video filter chain (on the
decoded frames, so pixel rules such as near-static need no second decode) -> a VideoSample: the
VideoTextPair, the JPEG frames, the re-encoded clip with keep_clip.
"""

from __future__ import annotations

import logging
import os
import tempfile
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import CompressionTypes, FileSystems
from apache_beam.metrics import Metrics

from crawlers.http.fetch import FetchConfig, Fetcher
from crawlers.media.video_processor import VideoProcessor, VideoProcessorConfig
from filters import build_chain
from filters.samples import DecodedVideo
from pipeline.steps.previews import PREVIEWS, preview
from pipeline.steps.rejects import REJECTS, reject
from pipeline.steps.video_rows import FETCHED_SCHEMES, VideoRowError, list_dir_of, local_path, parse_row
from schemas import RejectReason, Stage, VideoSample, VideoTextPair, stable_key

log = logging.getLogger(__name__)


class _ProcessVideo(beam.DoFn):
    def __init__(
        self,
        processor_config: VideoProcessorConfig,
        fetch_config: FetchConfig | None = None,
        filters: Any = None,
        apply_filters: bool = True,
        url_col: str = "url",
        caption_col: str = "caption",
        allow_local: tuple[str, ...] = (),
        allow_buckets: tuple[str, ...] = (),
    ):
        # filters: a YAML path or config for filters.build_chain(kind="video"); None = the defaults
        self.allow_local = tuple(os.path.realpath(root) for root in allow_local)
        self.allow_buckets = tuple(prefix.rstrip("/") + "/" for prefix in allow_buckets)
        self.processor_config, self.filters = processor_config, filters
        self.fetch_config = fetch_config or FetchConfig(max_bytes=512 * 2**20)
        self.apply_filters = apply_filters
        self.max_bytes = self.fetch_config.max_bytes  # also bounds copies from local and bucket paths
        self.url_col, self.caption_col = url_col, caption_col
        self.written = Metrics.counter("videos", "written")

    def setup(self):
        self.processor = VideoProcessor(self.processor_config)
        self.fetcher = None
        self.chain = build_chain(self.filters, kind="video") if self.apply_filters else None

    def _fetcher(self):
        if self.fetcher is None:
            self.fetcher = Fetcher(self.fetch_config)
        return self.fetcher

    def teardown(self):
        if getattr(self, "fetcher", None) is not None:
            self.fetcher.close()

    def process(self, element):
        source, row = element
        try:
            video = parse_row(row, self.url_col, self.caption_col)
        except VideoRowError as exc:
            yield reject(stable_key("row", source), source, Stage.READ, exc.reason, exc.detail)
            return
        with tempfile.TemporaryDirectory(prefix="flamingo-video-") as tmp:
            path, failure = self._materialise(video.url, tmp, list_dir_of(source))
            if failure is not None:
                yield reject(video.key, video.url, Stage.FETCH, *failure)
                return
            result = self.processor.process(path, video.key, video.start, video.end)
        if not result.ok:
            yield reject(video.key, video.url, result.stage, result.reason, result.detail)
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
            extra["segment"] = [
                video.start,
                video.end,
            ]  # the row's own segment: part of its identity for dedup
        pair = VideoTextPair(
            key=video.key, url=video.url, caption=video.caption, extra=extra, **result.fields
        )
        if self.chain is not None:
            outcome = self.chain.apply(DecodedVideo(pair=pair, frames=result.frames))
            if outcome.reject is not None:
                why = (video.key, video.url, Stage.FILTER, outcome.reject.reason, outcome.reject.detail)
                yield reject(*why)
                yield from preview(*why, result.jpegs[0] if result.jpegs else None)
                return
        self.written.inc()
        yield VideoSample(pair, list(result.jpegs), result.clip)

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
            real = os.path.realpath(path)
            if not any(real == root or real.startswith(root + os.sep) for root in self.allow_local):
                roots = ", ".join(self.allow_local) or "none given"
                return path, (
                    RejectReason.SOURCE_NOT_ALLOWED,
                    f"local path {path} is not under an --allow-local root ({roots})",
                )
            if not os.path.isfile(path):
                return path, (RejectReason.HTTP_404, f"no such local file: {path}")
            return path, None
        if "/../" in url or "/./" in url or not url.startswith(self.allow_buckets or ("\0",)):
            prefixes = ", ".join(self.allow_buckets) or "none given"
            return dest, (
                RejectReason.SOURCE_NOT_ALLOWED,
                f"{url[:200]} is not under an --allow-bucket prefix ({prefixes})",
            )
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
    """(source, row) -> {"samples": VideoSample, "rejects": RejectRecord, "previews": the first frame
    of each video a filter rejected (pipeline/steps/previews.py)} (a DoFnOutputsTuple)."""

    def __init__(self, processor_config: VideoProcessorConfig, **kwargs):
        super().__init__()
        self.dofn = _ProcessVideo(processor_config, **kwargs)

    def expand(self, rows):
        return rows | "Video" >> beam.ParDo(self.dofn).with_outputs(REJECTS, PREVIEWS, main="samples")
