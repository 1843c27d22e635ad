"""`flamingo build videos`: video-text lists -> shards of T frames sampled at a fixed fps (VTP).

Local:
    flamingo build videos --input videos.csv --output out/videos \\
        --fps 1 --num-frames 8 --image-size 224 --resize-mode center_crop [--keep-clip]
Dataflow:
    flamingo build videos --input gs://BUCKET/videos.parquet --output gs://BUCKET/out/videos \\
        --runner DataflowRunner --project PROJECT --region REGION --temp_location gs://BUCKET/tmp \\
        --sdk_container_image IMAGE_WITH_FFMPEG --ffmpeg-threads 1

Each row becomes exactly one sample (KEY.000.jpg..KEY.{T-1}.jpg, KEY.txt, KEY.json, KEY.mp4
with --keep-clip) or one reject with its reason; the shard writer checks that count.
The paper's VTP samples 8 frames at 1 fps from clips averaging 22 s (Flamingo, appendix A.3.3).
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import apache_beam as beam

from crawlers.http.fetch import FetchConfig
from crawlers.media.video_frames import RESIZE_MODES
from crawlers.media.video_processor import SHORT_POLICIES, VideoProcessorConfig
from pipeline.dedup.deduplicate import DedupConfig, add_dedup_args, apply_dedup
from pipeline.io.readers import expand_inputs, read_unit_rows, read_units, source_order
from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.runner.launch import job_main, run_job
from pipeline.runner.options import RunConfig, add_common_args, job_parser, resolved_config
from pipeline.runner.progress import ShowProgress
from pipeline.steps.clock import StageClock
from pipeline.steps.previews import WriteRejectPreviews
from pipeline.steps.rejects import REJECTS, reject
from pipeline.steps.video_rows import row_key
from pipeline.steps.videos import ProcessVideos
from schemas import VIDEO_TEXT_PAIR_SCHEMA, RejectReason, Stage


def _video_fetch() -> FetchConfig:
    # a video is one long download: a larger cap, a longer total, a patient read
    return FetchConfig(max_bytes=512 * 2**20, total_timeout=300.0, read_timeout=30.0)


@dataclasses.dataclass(kw_only=True)
class VideosConfig:
    input: str  # video list(s): a file, glob or folder of csv/tsv/parquet/jsonl (.gz ok)
    output: str
    url_col: str = "url"
    caption_col: str = "caption"
    filters: str | None = None  # a YAML filter config; None: the paper's video rules
    allow_local: list[str] = dataclasses.field(default_factory=list)  # roots local paths may be under
    allow_buckets: list[str] = dataclasses.field(default_factory=list)  # gs://b/prefix objects may be under
    video: VideoProcessorConfig = dataclasses.field(default_factory=VideoProcessorConfig)
    fetch: FetchConfig = dataclasses.field(default_factory=_video_fetch)
    dedup: DedupConfig = dataclasses.field(default_factory=DedupConfig)
    shards: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    run: RunConfig = dataclasses.field(default_factory=RunConfig)


def build_parser() -> argparse.ArgumentParser:
    p = job_parser("flamingo build videos", __doc__)
    p.add_argument(
        "--input",
        dest="input",
        help="video list(s): a file, glob or folder of csv/tsv/parquet/jsonl "
        "(.gz ok): url, caption[, start, end]; required",
    )
    p.add_argument("--url-col", dest="url_col", help="default url")
    p.add_argument("--caption-col", dest="caption_col", help="default caption")
    p.add_argument(
        "--allow-local",
        dest="allow_local",
        action="append",
        metavar="ROOT",
        help="read local video paths under ROOT (repeatable; a list names none by default)",
    )
    p.add_argument(
        "--allow-bucket",
        dest="allow_buckets",
        action="append",
        metavar="PREFIX",
        help="read bucket objects under PREFIX, e.g. gs://bucket/videos/ (repeatable)",
    )
    g = p.add_argument_group("sampling")
    g.add_argument("--fps", dest="video.sampler.fps", type=float, help="frames per second sampled (paper: 1)")
    g.add_argument(
        "--num-frames", dest="video.sampler.num_frames", type=int, help="T, frames per sample (paper: 8)"
    )
    g.add_argument("--image-size", dest="video.sampler.image_size", type=int, help="default 224")
    g.add_argument(
        "--resize-mode", dest="video.sampler.resize_mode", choices=RESIZE_MODES, help="default center_crop"
    )
    g.add_argument(
        "--short-policy",
        dest="video.short_policy",
        choices=SHORT_POLICIES,
        help="clips with fewer than T frames: reject (video_too_short, the default) "
        "or pad with the last frame",
    )
    g.add_argument("--seed", dest="video.seed", type=int, help="seed of the clip-window draw (with each key)")
    g.add_argument(
        "--keep-clip",
        dest="video.keep_clip",
        action="store_true",
        help="also store the window re-encoded as KEY.mp4",
    )
    g.add_argument(
        "--encode-quality",
        dest="video.encode_quality",
        type=int,
        help="JPEG quality of the frames (default 95)",
    )
    g = p.add_argument_group("limits")
    g.add_argument(
        "--max-video-bytes",
        dest="fetch.max_bytes",
        type=int,
        help="download size cap per video (default 512 MiB)",
    )
    g.add_argument(
        "--max-duration",
        dest="video.max_duration",
        type=float,
        help="seconds; longer videos are rejected (default 3 h)",
    )
    g.add_argument(
        "--ffmpeg-timeout",
        dest="video.sampler.timeout",
        type=float,
        help="seconds per ffmpeg run (default 60)",
    )
    g.add_argument(
        "--ffmpeg-threads",
        dest="video.sampler.threads",
        type=int,
        help="decoder threads per ffmpeg (default 0: ffmpeg's choice)",
    )
    g.add_argument(
        "--fetch-timeout",
        dest="fetch.total_timeout",
        type=float,
        help="seconds per download attempt (default 300)",
    )
    g.add_argument(
        "--allow-private",
        dest="fetch.allow_private",
        action="store_true",
        help="allow loopback/private hosts (tests, demo)",
    )
    add_dedup_args(p)
    return add_common_args(p)


def keyed_row(source: str, row, url_col: str = "url", caption_col: str = "caption"):
    return row_key(source, row, url_col, caption_col), (source, row)


def first_row_of_key(key: str, rows):
    """The first row by source with this key; the others name it in a duplicate reject."""
    ordered = sorted(rows, key=lambda sr: source_order(sr[0]))
    yield ordered[0]
    for source, _ in ordered[1:]:
        yield reject(
            key, source, Stage.READ, RejectReason.DUPLICATE_EXACT, f"{source} repeats {ordered[0][0]}", key
        )


def build_pipeline(pipeline: beam.Pipeline, config: VideosConfig, beam_args: list[str] | None = None):
    """The job's graph on `pipeline`, WriteShards included, without running it (nothing is read here:
    lists are expanded and read by workers, so the graph builds for gs:// inputs on any runner)."""
    rows = (
        pipeline
        | "Input" >> beam.Create([config.input])
        | "ExpandInputs" >> beam.FlatMap(expand_inputs)
        | "ReadUnits" >> beam.FlatMap(read_units)  # parquet: one unit per row group
        | "SpreadFiles" >> beam.Reshuffle()
        | "ReadRows" >> beam.FlatMap(read_unit_rows)
        | ShowProgress("videos", enabled=config.run.progress)
    )
    keyed = rows | "KeyRows" >> beam.MapTuple(
        keyed_row, url_col=config.url_col, caption_col=config.caption_col
    )
    # one row per key, the first by source (the others are duplicate rejects); grouping by key also
    # spreads the rows over workers: one video is seconds of work
    unique = (
        keyed
        | "GroupByKey" >> beam.GroupByKey()
        | "FirstOfKey" >> beam.FlatMapTuple(first_row_of_key).with_outputs(REJECTS, main="rows")
    )
    results = unique.rows | "ProcessVideos" >> ProcessVideos(
        config.video,
        fetch_config=config.fetch,
        filters=config.filters,
        url_col=config.url_col,
        caption_col=config.caption_col,
        allow_local=tuple(config.allow_local),
        allow_buckets=tuple(config.allow_buckets),
    )
    inputs = keyed | "InputKeys" >> beam.Keys()
    _ = rows | StageClock("read")
    _ = results.samples | StageClock("fetch")
    _ = (results.previews,) | "RejectPreviews" >> WriteRejectPreviews(config.output)
    kept, dedup_rejects = apply_dedup(results.samples, "video", config.dedup)
    if config.dedup.enabled:
        _ = kept | StageClock("dedup")
    return {
        "samples": kept,
        "rejects": (unique[REJECTS], results.rejects, dedup_rejects) | "AllRejects" >> beam.Flatten(),
        "inputs": inputs,
    } | "WriteShards" >> WriteShards(
        config.output,
        job="videos",
        shards=config.shards,
        config=resolved_config(config, list(beam_args or [])),
        row_schema=VIDEO_TEXT_PAIR_SCHEMA,
    )


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, VideosConfig, build_pipeline, argv)


def main(argv: list[str]) -> int:
    return job_main("videos", run, argv)


if __name__ == "__main__":  # `python -m pipeline.jobs.videos`: what Airflow's Beam operator runs (dags/)
    import sys

    from pipeline.cli import main as cli_main

    sys.exit(cli_main(["build", "videos", *sys.argv[1:]]))
