"""`flamingo build pairs`: image-text pair lists (or img2dataset shards) -> pair shards (ALIGN/LTIP).

Local:
    flamingo build pairs --input pairs.parquet --output out/pairs \\
        --url-col url --caption-col caption --image-size 224 --resize-mode border
Dataflow:
    flamingo build pairs --input 'gs://BUCKET/lists/*.parquet' --output gs://BUCKET/out/pairs \\
        --runner DataflowRunner --project PROJECT --region REGION --temp_location gs://BUCKET/tmp
Re-shard existing img2dataset output without downloading:
    flamingo build pairs --input old_i2d_dir --input-format img2dataset --output out/pairs2
Re-fetch only the transient failures (timeouts, 429, 5xx, ...) of an earlier build:
    flamingo build pairs --input pairs.parquet --retry-failed out/pairs --output out/pairs-retry1

Every row ends as one sample (KEY.jpg, KEY.txt, KEY.json with img2dataset's fields) or one
reject with its reason; rows repeating a URL are rejected as duplicate_exact (keys are URL
hashes, and a shard must not hold one key twice).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
from typing import Any

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from crawlers.http.fetch import FetchConfig
from crawlers.media.resizer import RESIZE_MODES, ResizeConfig
from crawlers.shard_tar import MAX_MEMBER_BYTES
from filters import build_chain
from pipeline.dedup.deduplicate import DedupConfig, add_dedup_args, apply_dedup
from pipeline.io.readers import (
    FORMATS,
    ReadUnit,
    expand_inputs,
    list_format,
    read_unit_rows,
    read_units,
    read_webdataset_tar,
    source_order,
)
from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.runner.launch import job_main, run_job
from pipeline.runner.options import RunConfig, add_common_args, job_parser, resolved_config
from pipeline.runner.progress import CountTotal, ShowProgress
from pipeline.steps.clock import StageClock
from pipeline.steps.filtering import ApplyFilters
from pipeline.steps.pairs import FetchPairs, PairInput, sample_from_webdataset, validate_row
from pipeline.steps.previews import WriteRejectPreviews
from pipeline.steps.rejects import REJECTS, reject, tag
from schemas import PairSample, RejectReason, RejectRecord, Stage

log = logging.getLogger(__name__)

INPUT_FORMATS = ("auto", *FORMATS, "img2dataset")


@dataclasses.dataclass(kw_only=True)
class PairsConfig:
    input: str  # a list file, a glob or a directory (img2dataset: its tars)
    output: str
    input_format: str = "auto"  # by extension; or one of FORMATS, or img2dataset (re-shard its tars)
    url_col: str = "url"
    caption_col: str = "caption"
    allow_empty_caption: bool = False
    retry_failed: str | None = None  # an earlier build: fetch only its rows whose reject is retryable
    max_member_bytes: int = MAX_MEMBER_BYTES  # img2dataset input: a tar member past this is a reject
    filters: str | None = None  # a YAML filter config; None: the paper's image rules
    fetch: FetchConfig = dataclasses.field(default_factory=lambda: FetchConfig(concurrency=64))
    resize: ResizeConfig = dataclasses.field(default_factory=ResizeConfig)
    dedup: DedupConfig = dataclasses.field(default_factory=DedupConfig)
    shards: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    run: RunConfig = dataclasses.field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        if self.input_format not in INPUT_FORMATS:
            raise ValueError(
                f"input_format must be one of {', '.join(INPUT_FORMATS)}, got {self.input_format!r}"
            )
        if self.retry_failed and self.retry_failed.rstrip("/") == self.output.rstrip("/"):
            raise ValueError(
                "--retry-failed reads an earlier build: give a new --output for the retried samples"
            )


def build_parser() -> argparse.ArgumentParser:
    p = job_parser("flamingo build pairs", __doc__)
    p.add_argument(
        "--input", dest="input", help="a list file, a glob or a directory (img2dataset: its tars); required"
    )
    p.add_argument("--input-format", dest="input_format", choices=INPUT_FORMATS, help="default: by extension")
    p.add_argument("--url-col", dest="url_col", help="default url")
    p.add_argument("--caption-col", dest="caption_col", help="default caption")
    p.add_argument(
        "--allow-empty-caption",
        dest="allow_empty_caption",
        action="store_true",
        help="keep rows without a caption",
    )
    p.add_argument(
        "--retry-failed",
        dest="retry_failed",
        metavar="PREVIOUS_OUTPUT",
        help="fetch only rows whose reject in PREVIOUS_OUTPUT is retryable (into --output)",
    )
    g = p.add_argument_group("images (img2dataset's resize options and meanings; crawlers/media/resizer.py)")
    g.add_argument("--image-size", dest="resize.image_size", type=int, help="default 224")
    g.add_argument("--resize-mode", dest="resize.resize_mode", choices=RESIZE_MODES, help="default border")
    g.add_argument("--resize-only-if-bigger", dest="resize.resize_only_if_bigger", action="store_true")
    g.add_argument(
        "--encode-format", dest="resize.encode_format", choices=("jpg", "png", "webp"), help="default jpg"
    )
    g.add_argument("--encode-quality", dest="resize.encode_quality", type=int, help="default 95")
    g.add_argument("--min-image-size", dest="resize.min_image_size", type=int, help="default 0")
    g.add_argument("--max-aspect-ratio", dest="resize.max_aspect_ratio", type=float, help="default inf")
    g.add_argument("--max-image-area", dest="resize.max_image_area", type=float, help="default inf")
    g.add_argument(
        "--no-exif", dest="resize.extract_exif", action="store_false", help="do not record EXIF in KEY.json"
    )
    g.add_argument(
        "--no-reduced-decode",
        dest="resize.reduced_decode",
        action="store_false",
        help="decode large JPEGs at full size (pixel-identical to img2dataset; slower)",
    )
    f = p.add_argument_group("fetching")
    f.add_argument(
        "--allow-private",
        dest="fetch.allow_private",
        action="store_true",
        help="allow loopback/private addresses (tests, demo)",
    )
    f.add_argument(
        "--user-agent", dest="fetch.user_agent", help="User-Agent with a contact (default: flamingo-data's)"
    )
    f.add_argument(
        "--thread-count",
        dest="fetch.concurrency",
        type=int,
        help="concurrent fetches per worker (default 64)",
    )
    f.add_argument("--per-host-concurrency", dest="fetch.per_host_concurrency", type=int, help="default 16")
    f.add_argument(
        "--per-host-interval",
        dest="fetch.per_host_interval",
        type=float,
        help="seconds between requests to one host (default 0)",
    )
    f.add_argument("--connect-timeout", dest="fetch.connect_timeout", type=float, help="default 5")
    f.add_argument(
        "--timeout", dest="fetch.read_timeout", type=float, help="read timeout, seconds (default 10)"
    )
    f.add_argument(
        "--total-timeout",
        dest="fetch.total_timeout",
        type=float,
        help="per attempt, body included (default 60)",
    )
    f.add_argument(
        "--url-timeout",
        dest="fetch.url_timeout",
        type=float,
        help="per URL: every attempt, redirect and retry wait together (default 120)",
    )
    f.add_argument("--retries", dest="fetch.retries", type=int, help="default 3")
    f.add_argument("--max-bytes", dest="fetch.max_bytes", type=int, help="default 32 MiB")
    add_dedup_args(p)
    return add_common_args(p)


def retryable_keys(rejects_file: str):
    """Keys of an earlier build's rejects whose reason is worth fetching again."""
    with FileSystems.open(rejects_file) as f:
        table = pq.read_table(f, columns=["key", "reason"])
    for key, reason in zip(table.column("key").to_pylist(), table.column("reason").to_pylist(), strict=True):
        if RejectReason.parse(reason).retryable:
            yield key, True


def rejects_files(build: str) -> list[str]:
    return [m.path for m in FileSystems.match([build.rstrip("/") + "/rejects-*.parquet"])[0].metadata_list]


def first_of_each_url(key: str, grouped: dict[str, list], retry: bool = False):
    """One pair per URL (the first by source); the others are duplicate rejects."""
    if retry and not grouped["retry"]:
        return
    pairs: list[PairInput] = sorted(grouped["pairs"], key=lambda p: source_order(p.source))
    if not pairs:
        return
    yield pairs[0]
    for dup in pairs[1:]:
        yield reject(
            dup.key,
            dup.url,
            Stage.READ,
            RejectReason.DUPLICATE_EXACT,
            f"{dup.source} repeats {pairs[0].source}",
            key,
        )


def read_and_validate(
    unit: ReadUnit, fmt: str | None, url_col: str, caption_col: str, allow_empty_caption: bool
):
    """Rows of one read unit (a list file, or a parquet row group), each a valid pair input or,
    tagged REJECTS, what is wrong with it."""
    # a txt list holds URLs only: no caption to require
    require_caption = not allow_empty_caption and (fmt or list_format(unit[0])) != "txt"
    for source, row in read_unit_rows(unit, fmt):
        out = validate_row(source, row, url_col, caption_col, require_caption)
        yield tag(out) if isinstance(out, RejectRecord) else out


def with_source(source: str, group) -> tuple[str, PairSample] | RejectRecord:
    result = sample_from_webdataset(source, group)
    return result if isinstance(result, RejectRecord) else (source, result)


def _split_sample(result):
    return tag(result) if isinstance(result, RejectRecord) else result


def _sample_of(source: str, sample: PairSample) -> PairSample:
    return sample


def first_of_each_key(key: str, sourced: list[tuple[str, PairSample]]):
    """The sample of the first source with this key; the others are duplicate rejects naming it."""
    ordered = sorted(sourced, key=lambda item: item[0])
    (kept_source, kept), rest = ordered[0], ordered[1:]
    yield kept
    for source, _ in rest:
        yield reject(
            key, source, Stage.READ, RejectReason.DUPLICATE_EXACT, f"{source} repeats {kept_source}", key
        )


def build_pairs(p: beam.Pipeline, config: PairsConfig) -> tuple[Any, Any, Any, Any]:
    """(samples, rejects, inputs, bucket_basis) PCollections of the job, before filtering and writing.

    The samples leave the fetch step straight into the filters and the shard writer's buckets
    (one fused stage: no Flatten in their path); only rejects are flattened. `bucket_basis` is
    what sizes the shard buckets: the valid rows for URL lists, known before any fetch.
    """
    if config.input_format == "img2dataset":
        results = (
            p
            | "Pattern" >> beam.Create([config.input])
            | "ListTars" >> beam.FlatMap(expand_inputs, extensions=("tar",))
            | "SpreadTars" >> beam.Reshuffle()
            | "ReadTars" >> beam.FlatMap(read_webdataset_tar, max_member_bytes=config.max_member_bytes)
            | "FromImg2dataset" >> beam.MapTuple(with_source)
            | "SplitSamples" >> beam.Map(_split_sample).with_outputs(REJECTS, main="samples")
        )
        # img2dataset folders repeat URLs: one sample per key, the first by source; the rest rejects
        unique = (
            results.samples
            | "ByKey" >> beam.MapTuple(lambda source, sample: (sample.key, (source, sample)))
            | "GroupByKey" >> beam.GroupByKey()
            | "FirstOfKey" >> beam.FlatMapTuple(first_of_each_key).with_outputs(REJECTS, main="samples")
        )
        samples = unique.samples | ShowProgress("pairs", enabled=config.run.progress)
        _ = (results.samples, results[REJECTS]) | StageClock("read")
        inputs = (results.samples | "Unsource" >> beam.MapTuple(_sample_of), results[REJECTS]) | "Inputs" >> (
            beam.Flatten()
        )
        return samples, (results[REJECTS], unique[REJECTS]) | "ReadRejects" >> beam.Flatten(), inputs, None
    fmt = None if config.input_format == "auto" else config.input_format
    # Files are listed and read by workers, never the driver, so gs:// lists work on any runner.
    checked = (
        p
        | "Pattern" >> beam.Create([config.input])
        | "ListFiles" >> beam.FlatMap(expand_inputs)
        | "ReadUnits" >> beam.FlatMap(read_units, fmt)  # parquet: one unit per row group
        | "SpreadFiles" >> beam.Reshuffle()
        | "ReadRows"
        >> beam.FlatMap(
            read_and_validate, fmt, config.url_col, config.caption_col, config.allow_empty_caption
        ).with_outputs(REJECTS, main="good")
    )
    _ = (checked.good, checked[REJECTS]) | StageClock("read")
    keyed = {"pairs": checked.good | "ByKey" >> beam.Map(lambda pr: (pr.key, pr))}
    if config.retry_failed:
        keyed["retry"] = (
            p
            | "PreviousBuild" >> beam.Create([config.retry_failed])
            | "ListRejects" >> beam.FlatMap(rejects_files)
            | "RetryableKeys" >> beam.FlatMap(retryable_keys)
        )
    else:
        keyed["retry"] = p | "NoRetry" >> beam.Create([]).with_output_types(tuple[str, bool])
    unique = (
        keyed
        | "GroupByUrl" >> beam.CoGroupByKey()
        | "FirstOfUrl"
        >> beam.FlatMapTuple(first_of_each_url, retry=bool(config.retry_failed)).with_outputs(
            REJECTS, main="pairs"
        )
    )
    row_rejects = [] if config.retry_failed else [checked[REJECTS]]  # a retry's inputs are the retried rows
    fetched = unique.pairs | "FetchAndProcess" >> beam.ParDo(
        FetchPairs(config.fetch, config.resize)
    ).with_outputs(REJECTS, main="samples")
    # the bar: every valid row (counted as read, before the URL shuffle) ends as a sample, a fetch
    # reject or a repeat of a URL; a retry fetches an unknown part of the rows, so it has no total
    show = config.run.progress
    if not config.retry_failed:
        _ = checked.good | CountTotal("pairs")
    samples = fetched.samples | ShowProgress("pairs", enabled=show)
    fetch_rejects = fetched[REJECTS] | ShowProgress("pairs", enabled=show, step="[fetch rejects]")
    show_repeats = show and not config.retry_failed
    repeats = unique[REJECTS] | ShowProgress("pairs", enabled=show_repeats, step="[repeats]")
    inputs = (*row_rejects, unique.pairs, repeats) | "Inputs" >> beam.Flatten()
    rejects = (fetch_rejects, *row_rejects, repeats) | "PairRejects" >> beam.Flatten()
    # a retry's valid rows are the whole list, most of them not retried: size by what is fetched
    basis = unique.pairs if config.retry_failed else checked.good
    _ = fetched.samples | StageClock("fetch")
    return samples, rejects, inputs, basis


def build_pipeline(p: beam.Pipeline, config: PairsConfig, beam_args: list[str] | None = None):
    """The job's graph on `p`, filters and WriteShards included, without running it."""
    chain = build_chain(config.filters, kind="pair")
    samples, rejects, inputs, basis = build_pairs(p, config)
    filtered = samples | "Filter" >> ApplyFilters(chain, stage=Stage.FILTER)
    _ = filtered.kept | StageClock("filter")
    kept, dedup_rejects = apply_dedup(filtered.kept, "pair", config.dedup)
    if config.dedup.enabled:
        _ = kept | StageClock("dedup")
    all_rejects = (rejects, filtered.rejects, dedup_rejects) | "AllRejects" >> beam.Flatten()
    _ = (filtered.previews,) | "RejectPreviews" >> WriteRejectPreviews(config.output)
    return {"samples": kept, "rejects": all_rejects, "inputs": inputs} | "WriteShards" >> WriteShards(
        config.output,
        job="pairs",
        shards=config.shards,
        config=resolved_config(config, list(beam_args or [])),
        bucket_basis=basis,
    )


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, PairsConfig, build_pipeline, argv)


def main(argv: list[str]) -> int:
    return job_main("pairs", run, argv)


if __name__ == "__main__":  # `python -m pipeline.jobs.pairs`: what Airflow's Beam operator runs (dags/)
    import sys

    from pipeline.cli import main as cli_main

    sys.exit(cli_main(["build", "pairs", *sys.argv[1:]]))
