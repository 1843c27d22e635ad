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
image-stage reject and its slot is removed, the page kept. Defaults follow the paper (appendix
A.3.1): English pages, images >= 64 px with aspect ratio <= 3 and not single-coloured, >= 1 image.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import time
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystem import CompressionTypes
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from crawlers.html.charset import charset_from_content_type, decode_html
from crawlers.html.extract import extract_document
from crawlers.http.fetch import FetchConfig, Fetcher
from crawlers.http.optout import opted_out
from crawlers.media.images import ImageProcessor, ResizeConfig
from crawlers.warc import WarcImage, WarcPage, WarcProblem, WarcRevisit, WarcSkip, iter_warc, read_payload_at
from filters import build_chain
from filters.chain import load_filter_config
from filters.defaults import default_config
from filters.samples import ImageSample
from pipeline.dedup.deduplicate import add_dedup_args, apply_dedup
from pipeline.io.shard_writer import WriteShards
from pipeline.runner.launch import log_summary, run_job
from pipeline.runner.options import add_common_args, resolved_config
from pipeline.runner.progress import ShowProgress
from pipeline.steps.filtering import image_reject_key
from schemas import DOCUMENT_SCHEMA, RejectReason, RejectRecord, ShardSample, url_key, warc_key

log = logging.getLogger(__name__)
NS = "m3w"
PAGES, REJECTS, IMAGES = "pages", "rejects", "images"
TEXT_FILTERS = frozenset({"text_quality", "text_repetition", "language"})  # judged before images are fetched


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flamingo build m3w", description=__doc__.split("\n\n")[0])
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--input", help="WARC / WARC.gz file glob (local, gs://, s3://); comma-separated for several")
    src.add_argument("--urls", help="text file of page URLs, one per line, crawled live (robots.txt honoured)")
    p.add_argument("--fetch-images", choices=("warc", "http", "both", "none"), default=None,
                   help="where images come from (default: warc for --input, http for --urls)")
    p.add_argument("--languages", default="en", help="comma-separated ISO 639-1 codes, or 'all' (paper: en)")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--resize-mode", default="border")
    p.add_argument("--allow-private", action="store_true", help="allow loopback/private hosts (tests, demo)")
    p.add_argument("--per-host-interval", type=float, default=1.0, help="seconds between requests to one host")
    add_dedup_args(p)
    return add_common_args(p)


def _entry_name(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    return entry.get("name") or next(iter(entry))


def document_chains(filters: str | None, languages: str):
    """(text chain run before image fetching, the rest run after) from the config and --languages."""
    config = load_filter_config(filters) if filters else None
    if isinstance(config, dict):  # a mapping of kinds (see filters/chain.py); other kinds are not ours
        config = config.get("document")
    entries = list(config) if config is not None else default_config("document")
    langs = [x.strip() for x in languages.split(",") if x.strip()]
    # --languages decides which languages; the config's other language settings (min_score,
    # recheck, ...) are kept, and the filter runs first whatever its place in the config
    configured = next((e for e in entries if _entry_name(e) == "language"), None)
    params = dict(configured.get("language") or {}) if isinstance(configured, dict) else {}
    entries = [e for e in entries if _entry_name(e) != "language"]
    if langs != ["all"]:
        entries.insert(0, {"language": {**params, "languages": langs}})
    text = [e for e in entries if _entry_name(e) in TEXT_FILTERS]
    rest = [e for e in entries if _entry_name(e) not in TEXT_FILTERS]
    return build_chain(text, kind="document"), build_chain(rest, kind="document")


def _count(name: str) -> None:
    Metrics.counter(NS, name).inc()


class ReadWarc(beam.DoFn):
    """One WARC file -> pages, read-stage rejects (problems, revisits), image index entries."""

    def process(self, path: str):
        digests: dict[str, str] = {}
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            for item in iter_warc(fh, path):
                source = f"{path}@{item.offset}"
                if isinstance(item, WarcPage):
                    key = warc_key(path, item.offset)
                    if item.payload_digest:
                        digests.setdefault(item.payload_digest, key)
                    meta = {"source": source, "warc_file": path, "warc_offset": item.offset,
                            "warc_date": item.date}
                    yield beam.pvalue.TaggedOutput(PAGES, (key, item.url, item.html, item.charset, meta))
                elif isinstance(item, WarcImage):
                    yield beam.pvalue.TaggedOutput(IMAGES, (item.url, (path, item.offset, item.robots)))
                elif isinstance(item, WarcSkip):
                    _count(f"warc_skipped_{item.why}")
                elif isinstance(item, WarcRevisit):
                    _count("rejected_revisit")
                    yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                        warc_key(path, item.offset), source, "read", RejectReason.DUPLICATE_EXACT,
                        f"revisit of {item.refers_to or item.url}", digests.get(item.payload_digest or "")))
                elif isinstance(item, WarcProblem):
                    _count(f"rejected_{item.reason.value}")
                    yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                        warc_key(path, item.offset), source, "read", item.reason, item.detail))


class FetchPages(beam.DoFn):
    """A URL -> a page (robots.txt honoured, redirects followed, final URL kept) or a fetch reject."""

    def __init__(self, config: FetchConfig):
        self.config = config

    def setup(self):
        self.fetcher = Fetcher(self.config)

    def teardown(self):
        self.fetcher.close()

    def process(self, url: str):
        r = self.fetcher.fetch(url, kind="page")
        if not r.ok:
            _count(f"rejected_{r.reason.value}")
            yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(url_key(url), url, "fetch", r.reason, r.detail))
            return
        ctype = r.headers.get("content-type", r.headers.get("Content-Type", ""))
        meta = {"source": url, "final_url": r.final_url or url, "fetch_time": round(time.time(), 3),
                "http_status": r.http_status}
        yield beam.pvalue.TaggedOutput(PAGES, (url_key(url), r.final_url or url, r.content or b"",
                                               charset_from_content_type(ctype), meta))


class Extract(beam.DoFn):
    """A page -> a Document that passed the text chain, or a page-level reject."""

    def __init__(self, text_chain):
        self.text_chain = text_chain

    def process(self, page):
        key, url, html, charset, meta = page
        text, _ = decode_html(html, charset)
        doc = extract_document(text, url, metadata=meta, key=key)
        if not doc.texts:
            _count(f"rejected_{RejectReason.NO_CONTENT.value}")
            yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(key, meta["source"], "extract",
                                                                 RejectReason.NO_CONTENT, "no main content"))
            return
        result = self.text_chain.apply(doc)
        if result.reject is not None:
            _count(f"rejected_{result.reject.reason.value}")
            yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                key, meta["source"], "filter", result.reject.reason, f"{result.filter_name}: {result.reject.detail}"))
            return
        yield result.sample


@dataclasses.dataclass
class ImageOutcome:
    ok: bool
    reason: RejectReason | None = None
    detail: str = ""
    data: bytes | None = None
    ext: str = "jpg"
    info: dict | None = None  # sha256, width, height, original_width, original_height


class FetchImages(beam.DoFn):
    """(image URL, {want: [(doc key, pos)], where: [(warc, offset)]}) -> (doc key, (pos, outcome))."""

    def __init__(self, mode: str, fetch_config: FetchConfig, resize: ResizeConfig, filters: str | None):
        self.mode, self.fetch_config, self.resize, self.filters = mode, fetch_config, resize, filters

    def setup(self):
        self.fetcher = Fetcher(self.fetch_config) if self.mode in ("http", "both") else None
        self.processor = ImageProcessor(self.resize)
        self.chain = build_chain(self.filters, kind="image")

    def teardown(self):
        if self.fetcher is not None:
            self.fetcher.close()

    def process(self, element):
        url, groups = element
        want = list(groups["want"])
        if not want:
            return
        outcome = self._outcome(url, list(groups["where"]))
        _count("images_ok" if outcome.ok else f"images_rejected_{outcome.reason.value}")
        for doc_key, pos in want:
            yield doc_key, (pos, outcome)

    def _raw(self, url: str, where: list) -> tuple[bytes | None, RejectReason, str]:
        if self.mode in ("warc", "both") and where:
            path, offset, robots = where[0]
            header = opted_out(robots, self.fetch_config.user_agent_token)
            if header is not None:
                return None, RejectReason.OPTED_OUT, f"X-Robots-Tag: {header} (archived)"
            try:
                with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
                    return read_payload_at(fh, offset), RejectReason.UNDECODABLE, ""
            except (OSError, ValueError, EOFError) as exc:
                return None, RejectReason.MALFORMED_RECORD, f"{path}@{offset}: {exc}"
        if self.fetcher is not None:
            r = self.fetcher.fetch(url, kind="image")
            return (r.content, r.reason, r.detail) if r.ok else (None, r.reason, r.detail)
        return None, RejectReason.HTTP_404, "not among the archive's image records"

    def _outcome(self, url: str, where: list) -> ImageOutcome:
        raw, reason, detail = self._raw(url, where)
        if raw is None:
            return ImageOutcome(False, reason, detail)
        out = self.processor.process(raw)
        if not out.ok:
            return ImageOutcome(False, out.reason, out.detail)
        sample = ImageSample(url=url, data=out.data, width=out.original_width, height=out.original_height)
        verdict = self.chain.apply(sample)
        if verdict.reject is not None:
            return ImageOutcome(False, verdict.reject.reason, f"{verdict.filter_name}: {verdict.reject.detail}")
        info = {k: getattr(out, k) for k in ("sha256", "width", "height", "original_width", "original_height")}
        return ImageOutcome(True, data=out.data, ext=out.ext or "jpg", info=info)


class Assemble(beam.DoFn):
    """A Document and its image outcomes -> a ShardSample (+ image rejects), or a page reject."""

    def __init__(self, post_chain, fetched: bool):
        self.post_chain, self.fetched = post_chain, fetched

    def process(self, element):
        key, groups = element
        docs = list(groups["doc"])
        if not docs:
            return
        doc = docs[0]
        outcomes = dict(groups["img"])
        members_by_ref: dict[int, tuple[bytes, str]] = {}
        failed = set()
        for pos, ref in doc.image_slots():
            out = outcomes.get(pos)
            if out is None:
                continue  # --fetch-images none: the slot stays, unfetched
            if not out.ok:
                failed.add(pos)
                yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                    image_reject_key(key, ref.url), ref.url, "image", out.reason, f"{out.detail} (page {key})"[:2000]))
                continue
            for name, value in out.info.items():
                setattr(ref, name, value)
            members_by_ref[id(ref)] = (out.data, out.ext)
        doc = doc.without_positions(failed) if failed else doc
        result = self.post_chain.apply(doc)
        for _, part in result.dropped:
            if part.part == "image":
                yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                    image_reject_key(key, part.source), part.source, "image", part.reason, f"{part.detail} (page {key})"))
        source = doc.metadata.get("source", doc.url)
        if result.reject is not None:
            _count(f"rejected_{result.reject.reason.value}")
            yield beam.pvalue.TaggedOutput(REJECTS, RejectRecord(
                key, source, "filter", result.reject.reason, f"{result.filter_name}: {result.reject.detail}"))
            return
        doc = result.sample
        members, names = {}, []
        for _, ref in doc.image_slots():
            data = members_by_ref.get(id(ref))
            name = None
            if data is not None:
                name = f"{len(members):03d}.{data[1]}"
                members[name] = data[0]
            names.append(name)
        doc.metadata["image_members"] = names  # the member of each image slot, in slot order (None: unfetched)
        row = doc.to_dict()
        row["metadata"] = json.dumps(row["metadata"], ensure_ascii=False, sort_keys=True)
        members["json"] = doc.to_json().encode("utf-8")
        _count("written")
        yield ShardSample(key, members, row)


def list_warcs(pattern: str) -> list[str]:
    """The WARC files a comma-separated list of globs names (run on a worker, not the driver)."""
    paths = []
    for result in FileSystems.match([p.strip() for p in pattern.split(",") if p.strip()]):
        paths.extend(m.path for m in result.metadata_list)
    if not paths:
        raise FileNotFoundError(f"no WARC files match {pattern!r}")
    return sorted(paths)


def read_url_lines(path: str) -> list[str]:
    with FileSystems.open(path, compression_type=CompressionTypes.AUTO) as fh:
        lines = fh.read().decode("utf-8", "replace").splitlines()
    return [u.strip() for u in lines if u.strip() and not u.lstrip().startswith("#")]


def once_per_url(url: str, count: int):
    """Crawl each URL once; every repeat in the list is an input too, rejected as a duplicate."""
    yield url
    for n in range(1, count):
        yield beam.pvalue.TaggedOutput(
            REJECTS,
            RejectRecord(url_key(url), url, "read", RejectReason.DUPLICATE_EXACT, f"repeat {n} of {url} in the URL list"),
        )


def build_pipeline(p: beam.Pipeline, args: argparse.Namespace, beam_args: list[str] | None = None):
    """The job's graph on `p`, WriteShards included, without running it: input globs and URL
    lists are expanded and read by workers, so the graph builds for gs:// inputs on any runner."""
    mode = args.fetch_images or ("warc" if args.input else "http")
    text_chain, post_chain = document_chains(args.filters, args.languages)
    fetch_cfg = FetchConfig(allow_private=args.allow_private, per_host_interval=args.per_host_interval)
    page_cfg = dataclasses.replace(fetch_cfg, respect_robots=True)
    resize = ResizeConfig(image_size=args.image_size, resize_mode=args.resize_mode)
    extra_rejects = []
    if args.input:
        read = (p | "Pattern" >> beam.Create([args.input]) | "ListWarcs" >> beam.FlatMap(list_warcs)
                | "Spread" >> beam.Reshuffle()
                | "ReadWarc" >> beam.ParDo(ReadWarc()).with_outputs(PAGES, REJECTS, IMAGES))
        index = read[IMAGES]
    else:
        urls = (p | "UrlList" >> beam.Create([args.urls]) | "ReadUrls" >> beam.FlatMap(read_url_lines)
                | "CountUrls" >> beam.combiners.Count.PerElement()
                | "OncePerUrl" >> beam.FlatMapTuple(once_per_url).with_outputs(REJECTS, main="urls"))
        extra_rejects.append(urls[REJECTS])
        read = (urls.urls | "Spread" >> beam.Reshuffle()
                | "FetchPages" >> beam.ParDo(FetchPages(page_cfg)).with_outputs(PAGES, REJECTS))
        index = p | "NoIndex" >> beam.Create([])
    pages = read[PAGES] | ShowProgress("m3w pages", enabled=not args.no_progress)
    inputs = (pages, read[REJECTS], *extra_rejects) | "Inputs" >> beam.Flatten()
    docs = pages | "Extract" >> beam.ParDo(Extract(text_chain)).with_outputs(REJECTS, main="docs")
    keyed = docs.docs | "KeyDocs" >> beam.Map(lambda d: (d.key, d))
    if mode == "none":
        outcomes = p | "NoImages" >> beam.Create([])
    else:
        wanted = docs.docs | "Slots" >> beam.FlatMap(lambda d: [(r.url, (d.key, i)) for i, r in d.image_slots()])
        outcomes = ({"want": wanted, "where": index} | "ByImageUrl" >> beam.CoGroupByKey()
                    | "FetchImages" >> beam.ParDo(FetchImages(mode, fetch_cfg, resize, args.filters)))
    built = ({"doc": keyed, "img": outcomes} | "ByDoc" >> beam.CoGroupByKey()
             | "Assemble" >> beam.ParDo(Assemble(post_chain, mode != "none")).with_outputs(REJECTS, main="samples"))
    kept, dedup_rejects = apply_dedup(built.samples, "document", args)
    rejects = (read[REJECTS], *extra_rejects, docs[REJECTS], built[REJECTS], dedup_rejects) | "Rejects" >> beam.Flatten()
    return {"samples": kept, "rejects": rejects, "inputs": inputs} | "WriteShards" >> WriteShards(
        args.output, job="m3w", name=args.shard_name or "m3w", samples_per_shard=args.samples_per_shard,
        max_shard_bytes=args.max_shard_bytes, config=resolved_config(args, list(beam_args or [])),
        row_schema=DOCUMENT_SCHEMA)


def run(argv: list[str] | None = None) -> dict[str, Any]:
    return run_job(build_parser, build_pipeline, argv)


def main(argv: list[str]) -> int:
    return log_summary("m3w", run(argv))
