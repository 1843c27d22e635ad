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
import logging
from typing import Any

import apache_beam as beam

from crawlers.media.video_frames import RESIZE_MODES, FrameSamplerConfig
from crawlers.media.video_processor import SHORT_POLICIES, VideoProcessorConfig
from pipeline.dedup.deduplicate import add_dedup_args, apply_dedup
from pipeline.io.readers import expand_inputs, read_rows
from pipeline.io.shard_writer import WriteShards
from pipeline.runner.launch import log_summary, run_job
from pipeline.runner.options import add_common_args, resolved_config
from pipeline.runner.progress import ShowProgress
from pipeline.steps.videos import ProcessVideos
from schemas import VIDEO_TEXT_PAIR_SCHEMA

log = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flamingo build videos", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--input",
        required=True,
        help="video list(s): a file, glob or folder of csv/tsv/parquet/jsonl (.gz ok): url, caption[, start, end]",
    )
    p.add_argument("--url-col", default="url")
    p.add_argument("--caption-col", default="caption")
    g = p.add_argument_group("sampling")
    g.add_argument("--fps", type=float, default=1.0, help="frames per second sampled (paper: 1)")
    g.add_argument("--num-frames", type=int, default=8, help="T, frames per sample (paper: 8)")
    g.add_argument("--image-size", type=int, default=224)
    g.add_argument("--resize-mode", choices=RESIZE_MODES, default="center_crop")
    g.add_argument(
        "--short-policy",
        choices=SHORT_POLICIES,
        default="reject",
        help="clips with fewer than T frames: reject (video_too_short) or pad with the last frame",
    )
    g.add_argument("--seed", type=int, default=0, help="seed of the clip-window draw (with each key)")
    g.add_argument("--keep-clip", action="store_true", help="also store the window re-encoded as KEY.mp4")
    g.add_argument("--encode-quality", type=int, default=95, help="JPEG quality of the frames")
    g = p.add_argument_group("limits")
    g.add_argument("--max-video-bytes", type=int, default=512 * 2**20, help="download size cap per video")
    g.add_argument(
        "--max-duration", type=float, default=3 * 3600.0, help="seconds; longer videos are rejected"
    )
    g.add_argument("--ffmpeg-timeout", type=float, default=60.0, help="seconds per ffmpeg run")
    g.add_argument(
        "--ffmpeg-threads", type=int, default=0, help="decoder threads per ffmpeg (0: ffmpeg's choice)"
    )
    g.add_argument("--fetch-timeout", type=float, default=300.0, help="seconds per download attempt")
    g.add_argument("--allow-private", action="store_true", help="allow loopback/private hosts (tests, demo)")
    add_dedup_args(p)
    return add_common_args(p)


def processor_config(args: argparse.Namespace) -> VideoProcessorConfig:
    sampler = FrameSamplerConfig(
        fps=args.fps,
        num_frames=args.num_frames,
        image_size=args.image_size,
        resize_mode=args.resize_mode,
        timeout=args.ffmpeg_timeout,
        threads=args.ffmpeg_threads,
    )
    return VideoProcessorConfig(
        sampler=sampler,
        short_policy=args.short_policy,
        seed=args.seed,
        max_duration=args.max_duration,
        encode_quality=args.encode_quality,
        keep_clip=args.keep_clip,
    )


def fetch_config(args: argparse.Namespace):
    from crawlers.http.fetch import FetchConfig

    return FetchConfig(
        allow_private=args.allow_private,
        max_bytes=args.max_video_bytes,
        total_timeout=args.fetch_timeout,
        read_timeout=30.0,
    )


def build_pipeline(pipeline: beam.Pipeline, args: argparse.Namespace, beam_args: list[str] | None = None):
    """The job's graph on `pipeline`, WriteShards included, without running it (nothing is read here:
    lists are expanded and read by workers, so the graph builds for gs:// inputs on any runner)."""
    inputs = (
        pipeline
        | "Input" >> beam.Create([args.input])
        | "ExpandInputs" >> beam.FlatMap(expand_inputs)
        | "SpreadFiles" >> beam.Reshuffle()
        | "ReadRows" >> beam.FlatMap(read_rows)
        | ShowProgress("videos", enabled=not args.no_progress)
    )
    results = (
        inputs
        | "SpreadRows" >> beam.Reshuffle()  # one video is seconds of work: spread rows, not files
        | "ProcessVideos"
        >> ProcessVideos(
            processor_config(args),
            fetch_config=fetch_config(args),
            filters=args.filters,
            max_bytes=args.max_video_bytes,
            url_col=args.url_col,
            caption_col=args.caption_col,
        )
    )
    kept, dedup_rejects = apply_dedup(results.samples, "video", args)
    return {
        "samples": kept,
        "rejects": (results.rejects, dedup_rejects) | "AllRejects" >> beam.Flatten(),
        "inputs": inputs,
    } | "WriteShards" >> WriteShards(
        args.output,
        job="videos",
        name=args.shard_name or "videos",
        samples_per_shard=args.samples_per_shard,
        max_shard_bytes=args.max_shard_bytes,
        config=resolved_config(args, list(beam_args or [])),
        row_schema=VIDEO_TEXT_PAIR_SCHEMA,
    )


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, build_pipeline, argv)


def main(argv: list[str]) -> int:
    return log_summary("videos", run(argv))
