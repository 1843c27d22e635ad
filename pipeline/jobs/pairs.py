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
import logging
import math
from typing import Any

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.dedup.deduplicate import add_dedup_args, apply_dedup
from pipeline.io.readers import FORMATS, expand_inputs, list_format, read_rows, read_webdataset_tar
from pipeline.runner.launch import log_summary, run_job
from pipeline.runner.options import add_common_args, resolved_config
from pipeline.steps.pairs import FetchPairs, PairInput, sample_from_webdataset, validate_row
from schemas import RejectReason, RejectRecord, ShardSample

log = logging.getLogger(__name__)

DUPS = "duplicates"


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flamingo build pairs", description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="a list file, a glob or a directory (img2dataset: its tars)")
    p.add_argument("--input-format", choices=("auto", *FORMATS, "img2dataset"), default="auto")
    p.add_argument("--url-col", default="url")
    p.add_argument("--caption-col", default="caption")
    p.add_argument("--allow-empty-caption", action="store_true", help="keep rows without a caption")
    p.add_argument("--retry-failed", metavar="PREVIOUS_OUTPUT", default=None,
                   help="fetch only rows whose reject in PREVIOUS_OUTPUT is retryable (into --output)")
    g = p.add_argument_group("images (img2dataset's Resizer options)")
    g.add_argument("--image-size", type=int, default=224)
    g.add_argument("--resize-mode", default="border",
                   choices=("no", "keep_ratio", "center_crop", "border", "keep_ratio_largest"))
    g.add_argument("--resize-only-if-bigger", action="store_true")
    g.add_argument("--encode-format", choices=("jpg", "png", "webp"), default="jpg")
    g.add_argument("--encode-quality", type=int, default=95)
    g.add_argument("--min-image-size", type=int, default=0)
    g.add_argument("--max-aspect-ratio", type=float, default=math.inf)
    g.add_argument("--max-image-area", type=float, default=math.inf)
    g.add_argument("--no-exif", action="store_true", help="do not record EXIF in KEY.json")
    g.add_argument("--no-reduced-decode", action="store_true",
                   help="decode large JPEGs at full size (pixel-identical to img2dataset; slower)")
    f = p.add_argument_group("fetching")
    f.add_argument("--allow-private", action="store_true", help="allow loopback/private addresses (tests, demo)")
    f.add_argument("--user-agent", default=None, help="User-Agent with a contact (default: flamingo-data's)")
    f.add_argument("--thread-count", type=int, default=64, help="concurrent fetches per worker")
    f.add_argument("--per-host-concurrency", type=int, default=16)
    f.add_argument("--per-host-interval", type=float, default=0.0, help="seconds between requests to one host")
    f.add_argument("--connect-timeout", type=float, default=5.0)
    f.add_argument("--timeout", type=float, default=10.0, help="read timeout, seconds")
    f.add_argument("--total-timeout", type=float, default=60.0, help="per attempt, body included")
    f.add_argument("--retries", type=int, default=3)
    f.add_argument("--max-bytes", type=int, default=32 * 2**20)
    add_dedup_args(p)
    return add_common_args(p)


def fetch_config(args: argparse.Namespace):
    from crawlers.http.fetch import FetchConfig

    extra = {"user_agent": args.user_agent} if args.user_agent else {}
    return FetchConfig(
        allow_private=args.allow_private, connect_timeout=args.connect_timeout, read_timeout=args.timeout,
        total_timeout=args.total_timeout, retries=args.retries, max_bytes=args.max_bytes,
        per_host_concurrency=args.per_host_concurrency, per_host_interval=args.per_host_interval,
        concurrency=args.thread_count, **extra,
    )


def resize_config(args: argparse.Namespace):
    from crawlers.media.images import ResizeConfig

    return ResizeConfig(
        image_size=args.image_size, resize_mode=args.resize_mode, resize_only_if_bigger=args.resize_only_if_bigger,
        encode_format=args.encode_format, encode_quality=args.encode_quality, min_image_size=args.min_image_size,
        max_aspect_ratio=args.max_aspect_ratio, max_image_area=args.max_image_area, extract_exif=not args.no_exif,
        reduced_decode=not args.no_reduced_decode,
    )


def retryable_keys(rejects_file: str):
    """Keys of an earlier build's rejects whose reason is worth fetching again."""
    with FileSystems.open(rejects_file) as f:
        table = pq.read_table(f, columns=["key", "reason"])
    for key, reason in zip(table.column("key").to_pylist(), table.column("reason").to_pylist(), strict=True):
        if RejectReason.parse(reason).retryable:
            yield key, True


def first_of_each_url(key: str, grouped: dict[str, list], retry: bool):
    """One pair per URL (the first by source); the others are duplicate rejects."""
    if retry and not grouped["retry"]:
        return
    pairs: list[PairInput] = sorted(grouped["pairs"], key=lambda p: p.source)
    if not pairs:
        return
    yield pairs[0]
    for dup in pairs[1:]:
        yield beam.pvalue.TaggedOutput(DUPS, RejectRecord(
            dup.key, dup.url, "read", RejectReason.DUPLICATE_EXACT, f"{dup.source} repeats {pairs[0].source}", key))


def read_and_validate(path: str, fmt: str | None, url_col: str, caption_col: str, allow_empty_caption: bool):
    """Rows of one list file, each a valid pair input or a RejectRecord saying what is wrong."""
    # a txt list holds URLs only: no caption to require
    require_caption = not allow_empty_caption and (fmt or list_format(path)) != "txt"
    for source, row in read_rows(path, fmt):
        yield validate_row(source, row, url_col, caption_col, require_caption)


def split_results(result):
    if isinstance(result, ShardSample):
        yield result
    else:
        yield beam.pvalue.TaggedOutput("rejects", result)


def build_pairs(p: beam.Pipeline, args: argparse.Namespace, progress: bool = False) -> tuple[Any, Any, Any, Any]:
    """(samples, rejects, inputs, bucket_basis) PCollections of the job, before filtering and writing.

    The samples leave the fetch step straight into the filters and the shard writer's buckets
    (one fused stage: no Flatten in their path); only rejects are flattened. `bucket_basis` is
    what sizes the shard buckets: the valid rows for URL lists, known before any fetch.
    """
    if args.input_format == "img2dataset":
        results = (p | "Pattern" >> beam.Create([args.input])
                   | "ListTars" >> beam.FlatMap(expand_inputs, extensions=("tar",)) | "SpreadTars" >> beam.Reshuffle()
                   | "ReadTars" >> beam.FlatMap(read_webdataset_tar)
                   | "FromImg2dataset" >> beam.MapTuple(sample_from_webdataset))
        inputs, early_rejects, basis = results, [], None
    else:
        fmt = None if args.input_format == "auto" else args.input_format
        # Files are listed and read by workers, never the driver, so gs:// lists work on any runner.
        checked = (
            p | "Pattern" >> beam.Create([args.input])
            | "ListFiles" >> beam.FlatMap(expand_inputs) | "SpreadFiles" >> beam.Reshuffle()
            | "ReadRows" >> beam.FlatMap(read_and_validate, fmt, args.url_col, args.caption_col,
                                         args.allow_empty_caption)
            | "SplitRows" >> beam.Map(lambda r: beam.pvalue.TaggedOutput("bad", r) if isinstance(r, RejectRecord) else r)
            .with_outputs("bad", main="good")
        )
        keyed = {"pairs": checked.good | "ByKey" >> beam.Map(lambda pr: (pr.key, pr))}
        if args.retry_failed:
            keyed["retry"] = (p | "PreviousBuild" >> beam.Create([args.retry_failed.rstrip("/") + "/rejects-*.parquet"])
                              | "ListRejects" >> beam.FlatMap(lambda pattern: [m.path for m in FileSystems.match([pattern])[0].metadata_list])
                              | "RetryableKeys" >> beam.FlatMap(retryable_keys))
        else:
            keyed["retry"] = p | "NoRetry" >> beam.Create([]).with_output_types(tuple[str, bool])
        unique = (keyed | "GroupByUrl" >> beam.CoGroupByKey()
                  | "FirstOfUrl" >> beam.FlatMap(lambda kg, retry: first_of_each_url(kg[0], kg[1], retry), bool(args.retry_failed))
                  .with_outputs(DUPS, main="pairs"))
        row_rejects = [] if args.retry_failed else [checked.bad]  # a retry's inputs are the retried rows
        results = unique.pairs | "FetchAndProcess" >> beam.ParDo(FetchPairs(fetch_config(args), resize_config(args)))
        inputs = (*row_rejects, unique.pairs, unique[DUPS]) | "Inputs" >> beam.Flatten()
        early_rejects = [*row_rejects, unique[DUPS]]
        # a retry's valid rows are the whole list, most of them not retried: size by what is fetched
        basis = unique.pairs if args.retry_failed else checked.good
    if progress:
        from pipeline.runner.progress import ShowProgress

        results = results | ShowProgress("pairs")
    split = results | "Split" >> beam.FlatMap(split_results).with_outputs("rejects", main="samples")
    rejects = (split.rejects, *early_rejects) | "PairRejects" >> beam.Flatten() if early_rejects else split.rejects
    return split.samples, rejects, inputs, basis


def build_pipeline(p: beam.Pipeline, args: argparse.Namespace, beam_args: list[str] | None = None):
    """The job's graph on `p`, filters and WriteShards included, without running it."""
    from filters import build_chain
    from pipeline.io.shard_writer import WriteShards
    from pipeline.steps.filtering import ApplyFilters

    chain = build_chain(args.filters, kind="pair")
    samples, rejects, inputs, basis = build_pairs(p, args, progress=not args.no_progress)
    filtered = samples | "Filter" >> ApplyFilters(chain, stage="filter")
    kept, dedup_rejects = apply_dedup(filtered.kept, "pair", args)
    all_rejects = (rejects, filtered.rejects, dedup_rejects) | "AllRejects" >> beam.Flatten()
    return {"samples": kept, "rejects": all_rejects, "inputs": inputs} | "WriteShards" >> WriteShards(
        args.output, job="pairs", name=args.shard_name or "pairs", samples_per_shard=args.samples_per_shard,
        max_shard_bytes=args.max_shard_bytes, config=resolved_config(args, list(beam_args or [])),
        bucket_basis=basis,
    )


def check_args(args: argparse.Namespace) -> None:
    if args.retry_failed and args.retry_failed.rstrip("/") == args.output.rstrip("/"):
        raise SystemExit("--retry-failed reads an earlier build: give a new --output for the retried samples")


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, build_pipeline, argv, check=check_args)


def main(argv: list[str]) -> int:
    return log_summary("pairs", run(argv))
