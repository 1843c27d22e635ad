"""`flamingo build m3w`: web pages (WARC files or URL lists) -> interleaved document shards (M3W).

Local:
    flamingo build m3w --input 'crawl/*.warc.gz' --output out/m3w --fetch-images warc
    flamingo build m3w --urls urls.txt --output out/m3w --fetch-images http
Dataflow:
    flamingo build m3w --input 'gs://BUCKET/crawl/*.warc.gz' --output gs://BUCKET/out/m3w \\
        --fetch-images both --runner DataflowRunner --project PROJECT --region REGION \\
        --temp_location gs://BUCKET/tmp

Inputs are the HTML captures (WARC pages, revisits, unreadable records or archive tails) or the
URLs; each ends as one sample (KEY.json + KEY.000.jpg ...) or one page-level reject. Images are
joined by URL (each image read or fetched once however many pages show it), processed like
pairs, judged by the image chain, and joined back to their pages; a failed image is an
image-stage reject and its slot is removed, the page kept (pipeline/steps/m3w.py). Defaults
follow the paper (appendix A.3.1): English pages, images >= 64 px with aspect ratio <= 3 and
not single-coloured, >= 1 image.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any

import apache_beam as beam

from crawlers.http.fetch import FetchConfig
from crawlers.media.images import ResizeConfig
from pipeline.dedup.deduplicate import DedupConfig, add_dedup_args, apply_dedup
from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.runner.launch import job_main, run_job
from pipeline.runner.options import RunConfig, add_common_args, job_parser, resolved_config
from pipeline.runner.progress import CountTotal, ShowProgress
from pipeline.steps.clock import StageClock
from pipeline.steps.m3w import (
    IMAGES,
    PAGES,
    REJECTS,
    Assemble,
    Extract,
    FetchImages,
    FetchPages,
    ReadWarc,
    document_chains,
    image_wants,
    list_warcs,
    once_per_url,
    url_of_line,
)
from pipeline.steps.previews import PREVIEWS, WriteRejectPreviews
from pipeline.steps.slots import image_count_filter
from schemas import DOCUMENT_SCHEMA

FETCH_IMAGES = ("warc", "http", "both", "none")
PAGES_BAR = "m3w pages"


@dataclasses.dataclass(kw_only=True)
class M3WConfig:
    output: str
    input: str | None = None  # WARC file globs, comma-separated (local, gs://, s3://)
    urls: str | None = None  # a text file of page URLs, crawled live (robots.txt honoured)
    fetch_images: str | None = None  # warc | http | both | none; None: warc for input, http for urls
    languages: list[str] = dataclasses.field(default_factory=lambda: ["en"])  # ISO 639-1, or ["all"]
    filters: str | None = None  # a YAML filter config; None: the paper's chains
    keep_truncated: bool = False  # keep WARC-Truncated HTML records (metadata "warc_truncated")
    fetch: FetchConfig = dataclasses.field(default_factory=lambda: FetchConfig(per_host_interval=1.0))
    resize: ResizeConfig = dataclasses.field(default_factory=ResizeConfig)
    dedup: DedupConfig = dataclasses.field(default_factory=DedupConfig)
    shards: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    run: RunConfig = dataclasses.field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        if (self.input is None) == (self.urls is None):
            raise ValueError("give exactly one of input (WARC files) or urls (a URL list)")
        if self.fetch_images is not None and self.fetch_images not in FETCH_IMAGES:
            raise ValueError(
                f"fetch_images must be one of {', '.join(FETCH_IMAGES)}, got {self.fetch_images!r}"
            )
        if isinstance(self.languages, str):
            self.languages = [x.strip() for x in self.languages.split(",") if x.strip()]

    @property
    def image_source(self) -> str:
        return self.fetch_images or ("warc" if self.input else "http")


def _languages(value: str) -> list[str]:
    return [x.strip() for x in value.split(",") if x.strip()]


def build_parser() -> argparse.ArgumentParser:
    p = job_parser("flamingo build m3w", __doc__)
    src = p.add_mutually_exclusive_group()
    src.add_argument(
        "--input",
        dest="input",
        help="WARC / WARC.gz file glob (local, gs://, s3://); comma-separated for several",
    )
    src.add_argument(
        "--urls",
        dest="urls",
        help="text file(s) of page URLs, one per line (a glob; # comments), crawled live (robots.txt obeyed)",
    )
    p.add_argument(
        "--fetch-images",
        dest="fetch_images",
        choices=FETCH_IMAGES,
        help="where images come from (default: warc for --input, http for --urls)",
    )
    p.add_argument(
        "--languages",
        dest="languages",
        type=_languages,
        help="comma-separated ISO 639-1 codes, or 'all' (default en, the paper's)",
    )
    p.add_argument(
        "--keep-truncated",
        dest="keep_truncated",
        action="store_true",
        help="keep truncated HTML records (Common Crawl cuts at 1 MiB); metadata warc_truncated says why",
    )
    p.add_argument("--image-size", dest="resize.image_size", type=int, help="default 224")
    p.add_argument("--resize-mode", dest="resize.resize_mode", help="default border")
    p.add_argument(
        "--allow-private",
        dest="fetch.allow_private",
        action="store_true",
        help="allow loopback/private hosts (tests, demo)",
    )
    p.add_argument(
        "--per-host-interval",
        dest="fetch.per_host_interval",
        type=float,
        help="seconds between requests to one host (default 1)",
    )
    add_dedup_args(p)
    return add_common_args(p)


def read_pages(p: beam.Pipeline, config: M3WConfig):
    """(pages, read rejects, image index of the archives): from WARC files, or fetched live."""
    if config.input:
        read = (
            p
            | "Pattern" >> beam.Create([config.input])
            | "ListWarcs" >> beam.FlatMap(list_warcs)
            | "Spread" >> beam.Reshuffle()
            | "ReadWarc" >> beam.ParDo(ReadWarc(config.keep_truncated)).with_outputs(PAGES, REJECTS, IMAGES)
        )
        return read[PAGES], [read[REJECTS]], read[IMAGES]
    urls = (
        p
        # Beam's text IO splits the list by byte ranges, so workers read its parts in parallel
        | "ReadUrls" >> beam.io.ReadFromText(config.urls, coder=beam.coders.BytesCoder())
        | "UrlOfLine" >> beam.FlatMap(url_of_line)
        | "CountUrls" >> beam.combiners.Count.PerElement()
        | "OncePerUrl" >> beam.FlatMapTuple(once_per_url).with_outputs(REJECTS, main="urls")
    )
    page_fetch = dataclasses.replace(config.fetch, respect_robots=True)
    # the bar: every distinct URL (counted before the shuffle) ends as a page or a fetch reject
    _ = urls.urls | CountTotal(PAGES_BAR)
    read = (
        urls.urls
        | "Spread" >> beam.Reshuffle()
        | "FetchPages" >> beam.ParDo(FetchPages(page_fetch)).with_outputs(PAGES, REJECTS)
    )
    fetch_rejects = read[REJECTS] | ShowProgress(PAGES_BAR, enabled=config.run.progress, step="[rejects]")
    return read[PAGES], [urls[REJECTS], fetch_rejects], p | "NoIndex" >> beam.Create([])


def build_pipeline(p: beam.Pipeline, config: M3WConfig, beam_args: list[str] | None = None):
    """The job's graph on `p`, WriteShards included, without running it: input globs and URL
    lists are expanded and read by workers, so the graph builds for gs:// inputs on any runner."""
    mode = config.image_source
    text_chain, post_chain = document_chains(config.filters, config.languages)
    pages, read_rejects, index = read_pages(p, config)
    _ = (pages, *read_rejects) | StageClock("read")
    pages = pages | ShowProgress(PAGES_BAR, enabled=config.run.progress)
    inputs = (pages, *read_rejects) | "Inputs" >> beam.Flatten()
    docs = pages | "Extract" >> beam.ParDo(Extract(text_chain)).with_outputs(REJECTS, main="docs")
    _ = docs.docs | StageClock("extract")
    keyed = docs.docs | "KeyDocs" >> beam.Map(lambda d: (d.key, d))
    if mode == "none":
        outcomes = p | "NoImages" >> beam.Create([])
    else:
        wanted = docs.docs | "Slots" >> beam.FlatMap(image_wants)
        fetched = (
            {"want": wanted, "where": index}
            | "ByImageUrl" >> beam.CoGroupByKey()
            | "FetchImages"
            >> beam.ParDo(FetchImages(mode, config.fetch, config.resize, config.filters)).with_outputs(
                PREVIEWS, main="outcomes"
            )
        )
        outcomes = fetched.outcomes
        _ = outcomes | StageClock("images")
        _ = (fetched[PREVIEWS],) | "RejectPreviews" >> WriteRejectPreviews(config.output)
    built = (
        {"doc": keyed, "img": outcomes}
        | "ByDoc" >> beam.CoGroupByKey()
        | "Assemble" >> beam.ParDo(Assemble(post_chain)).with_outputs(REJECTS, main="samples")
    )
    _ = built.samples | StageClock("assemble")
    kept, dedup_rejects = apply_dedup(
        built.samples, "document", config.dedup, count_filter=image_count_filter(post_chain)
    )
    if config.dedup.enabled:
        _ = kept | StageClock("dedup")
    rejects = (*read_rejects, docs[REJECTS], built[REJECTS], dedup_rejects) | "Rejects" >> beam.Flatten()
    return {"samples": kept, "rejects": rejects, "inputs": inputs} | "WriteShards" >> WriteShards(
        config.output,
        job="m3w",
        shards=config.shards,
        config=resolved_config(config, list(beam_args or [])),
        row_schema=DOCUMENT_SCHEMA,
    )


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, M3WConfig, build_pipeline, argv)


def main(argv: list[str]) -> int:
    return job_main("m3w", run, argv)


if __name__ == "__main__":  # `python -m pipeline.jobs.m3w`: what Airflow's Beam operator runs (dags/)
    import sys

    from pipeline.cli import main as cli_main

    sys.exit(cli_main(["build", "m3w", *sys.argv[1:]]))
