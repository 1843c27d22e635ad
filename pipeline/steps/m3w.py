"""The M3W job's steps: pages in (WARC records or live URLs), typed M3WSamples out.

    ReadWarc / FetchPages -> Extract (text chain) -> FetchImages (per image URL) -> Assemble

Images are joined by URL (each image read or fetched once however many pages show it),
processed like pairs, judged by the image chain, and joined back to their pages; a failed
image is an image-stage reject and its slot is removed, the page kept (pipeline/steps/slots.py).
"""

from __future__ import annotations

import dataclasses
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
from filters.chain import FilterChain, load_filter_config
from filters.defaults import default_config
from filters.samples import ImageSample
from pipeline.io.readers import InputError
from pipeline.steps.previews import preview
from pipeline.steps.rejects import REJECTS, reject, tag
from pipeline.steps.slots import SlotDrop, image_reject_key, remove_image_slots
from schemas import M3WSample, MediaFile, RejectReason, Stage, url_key, warc_key

NS = "m3w"
PAGES, IMAGES = "pages", "images"
TEXT_FILTERS = frozenset({"text_quality", "text_repetition", "language"})  # judged before images are fetched


def _entry_name(entry: Any) -> str:
    if isinstance(entry, str):
        return entry
    return entry.get("name") or next(iter(entry))


def _with_languages(entry: Any, languages: list[str]) -> dict:
    """A text_quality entry judging each page by its detected language's rules (filters/language_rules.py)."""
    if isinstance(entry, str):
        return {entry: {"languages": list(languages)}}
    if "name" in entry:
        return {"languages": list(languages), **entry}
    ((name, params),) = entry.items()
    return {name: {"languages": list(languages), **(params or {})}}


def document_chains(filters: str | None, languages: list[str]) -> tuple[FilterChain, FilterChain]:
    """(text chain run before image fetching, the rest run after) from the config and the languages."""
    config = load_filter_config(filters) if filters else None
    if isinstance(config, dict):  # a mapping of kinds (see filters/chain.py); other kinds are not ours
        config = config.get("document")
    entries = list(config) if config is not None else default_config("document")
    # the languages decide which languages; the config's other language settings (min_score,
    # recheck, ...) are kept, and the filter runs first whatever its place in the config
    configured = next((e for e in entries if _entry_name(e) == "language"), None)
    params = dict(configured.get("language") or {}) if isinstance(configured, dict) else {}
    entries = [e for e in entries if _entry_name(e) != "language"]
    if list(languages) != ["all"]:
        entries.insert(0, {"language": {**params, "languages": list(languages)}})
    if list(languages) != ["en"]:  # other languages get their own text-quality rules
        entries = [_with_languages(e, languages) if _entry_name(e) == "text_quality" else e for e in entries]
    text = [e for e in entries if _entry_name(e) in TEXT_FILTERS]
    rest = [e for e in entries if _entry_name(e) not in TEXT_FILTERS]
    return build_chain(text, kind="document"), build_chain(rest, kind="document")


def _count(name: str) -> None:
    Metrics.counter(NS, name).inc()


@dataclasses.dataclass(frozen=True)
class Page:
    """A page to extract: its key, final URL, raw HTML, declared charset and source metadata."""

    key: str
    url: str
    html: bytes
    charset: str | None
    metadata: dict


class ReadWarc(beam.DoFn):
    """One WARC file -> pages, read-stage rejects (problems, revisits), image index entries.

    `keep_truncated`: truncated HTML records become pages, their metadata saying so
    ("warc_truncated": why), instead of `truncated` rejects.
    """

    def __init__(self, keep_truncated: bool = False):
        self.keep_truncated = keep_truncated

    def process(self, path: str):
        digests: dict[str, str] = {}
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as fh:
            for item in iter_warc(fh, path, keep_truncated=self.keep_truncated):
                source = f"{path}@{item.offset}"
                if isinstance(item, WarcPage):
                    key = warc_key(path, item.offset)
                    if item.payload_digest:
                        digests.setdefault(item.payload_digest, key)
                    meta = {
                        "source": source,
                        "warc_file": path,
                        "warc_offset": item.offset,
                        "warc_date": item.date,
                    }
                    if item.truncated:
                        meta["warc_truncated"] = item.truncated
                    yield beam.pvalue.TaggedOutput(PAGES, Page(key, item.url, item.html, item.charset, meta))
                elif isinstance(item, WarcImage):
                    yield beam.pvalue.TaggedOutput(IMAGES, (item.url, (path, item.offset, item.robots)))
                elif isinstance(item, WarcSkip):
                    _count(f"warc_skipped_{item.why}")
                elif isinstance(item, WarcRevisit):
                    yield reject(
                        warc_key(path, item.offset),
                        source,
                        Stage.READ,
                        RejectReason.DUPLICATE_EXACT,
                        f"revisit of {item.refers_to or item.url}",
                        digests.get(item.payload_digest or ""),
                    )
                elif isinstance(item, WarcProblem):
                    yield reject(warc_key(path, item.offset), source, Stage.READ, item.reason, item.detail)


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
            yield reject(url_key(url), url, Stage.FETCH, r.reason, r.detail)
            return
        ctype = r.headers.get("content-type", r.headers.get("Content-Type", ""))
        meta = {
            "source": url,
            "final_url": r.final_url or url,
            "fetch_time": round(time.time(), 3),
            "http_status": r.http_status,
        }
        yield beam.pvalue.TaggedOutput(
            PAGES,
            Page(url_key(url), r.final_url or url, r.content or b"", charset_from_content_type(ctype), meta),
        )


class Extract(beam.DoFn):
    """A page -> a Document that passed the text chain, or a page-level reject."""

    def __init__(self, text_chain: FilterChain):
        self.text_chain = text_chain

    def process(self, page: Page):
        text, _ = decode_html(page.html, page.charset)
        doc = extract_document(text, page.url, metadata=page.metadata, key=page.key)
        source = page.metadata["source"]
        if not doc.texts:
            yield reject(page.key, source, Stage.EXTRACT, RejectReason.NO_CONTENT, "no main content")
            return
        result = self.text_chain.apply(doc)
        if result.reject is not None:
            yield reject(
                page.key,
                source,
                Stage.FILTER,
                result.reject.reason,
                f"{result.filter_name}: {result.reject.detail}",
            )
            return
        yield result.sample


@dataclasses.dataclass
class ImageOutcome:
    ok: bool
    reason: RejectReason | None = None
    detail: str = ""
    image: MediaFile | None = None
    info: dict | None = None  # sha256, width, height, original_width, original_height


class FetchImages(beam.DoFn):
    """(image URL, {want: [(doc key, pos)], where: [(warc, offset)]}) -> (doc key, (pos, outcome)),
    and on PREVIEWS the images a filter rejected (pipeline/steps/previews.py)."""

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
        outcome, rejected = self._outcome(url, list(groups["where"]))
        _count("images_ok" if outcome.ok else f"images_failed_{outcome.reason.value}")
        for doc_key, pos in want:
            yield doc_key, (pos, outcome)
        if rejected is not None:  # a picture for the report, under its first page's slot-reject key
            page = min(doc_key for doc_key, _ in want)
            why = (image_reject_key(page, url), url, Stage.IMAGE, outcome.reason)
            yield from preview(*why, f"{outcome.detail} (page {page})", rejected)

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
        return None, RejectReason.NOT_IN_ARCHIVE, "not among the archive's image records"

    def _outcome(self, url: str, where: list) -> tuple[ImageOutcome, bytes | None]:
        """The slot outcome, and the decoded image when a filter rejected it (for a preview only:
        the bytes of a rejected image do not travel on to the pages)."""
        raw, reason, detail = self._raw(url, where)
        if raw is None:
            return ImageOutcome(False, reason, detail), None
        out = self.processor.process(raw)
        if not out.ok:
            return ImageOutcome(False, out.reason, out.detail), None
        sample = ImageSample(url=url, data=out.data, width=out.original_width, height=out.original_height)
        verdict = self.chain.apply(sample)
        if verdict.reject is not None:
            why = f"{verdict.filter_name}: {verdict.reject.detail}"
            return ImageOutcome(False, verdict.reject.reason, why), out.data
        info = {
            k: getattr(out, k) for k in ("sha256", "width", "height", "original_width", "original_height")
        }
        return ImageOutcome(True, image=MediaFile(out.data, out.ext or "jpg"), info=info), None


class Assemble(beam.DoFn):
    """A Document and its image outcomes -> an M3WSample (+ image rejects), or a page reject."""

    def __init__(self, post_chain: FilterChain):
        self.post_chain = post_chain

    def process(self, element):
        key, groups = element
        docs = sorted(groups["doc"], key=lambda d: d.metadata.get("source", d.url))
        if not docs:
            return
        doc = docs[0]
        for dup in docs[1:]:  # one key, one sample: the first by source is kept, the rest name it
            yield reject(
                key,
                dup.metadata.get("source", dup.url),
                Stage.READ,
                RejectReason.DUPLICATE_EXACT,
                f"{dup.metadata.get('source', dup.url)} repeats {doc.metadata.get('source', doc.url)}",
                key,
            )
        outcomes = dict(groups["img"])
        images: dict[int, MediaFile] = {}
        failed: dict[int, SlotDrop] = {}
        for pos, ref in doc.image_slots():
            out = outcomes.get(pos)
            if out is None:
                continue  # --fetch-images none: the slot stays, unfetched
            if not out.ok:
                failed[pos] = SlotDrop(out.reason, f"{out.detail} (page {key})")
                continue
            for name, value in out.info.items():
                setattr(ref, name, value)
            images[pos] = out.image
        # the post chain's image_count filter judges the page once the failed slots are gone
        sample, rejects = remove_image_slots(
            M3WSample(doc, images), failed, stage=Stage.FILTER, count_filter=None
        )
        for record in rejects:
            yield tag(record)
        doc = sample.document
        result = self.post_chain.apply(doc)
        for _, part in result.dropped:
            if part.part == "image":
                yield reject(
                    image_reject_key(key, part.source),
                    part.source,
                    Stage.IMAGE,
                    part.reason,
                    f"{part.detail} (page {key})",
                )
        if result.reject is not None:
            yield reject(
                key,
                doc.metadata.get("source", doc.url),
                Stage.FILTER,
                result.reject.reason,
                f"{result.filter_name}: {result.reject.detail}",
            )
            return
        # image filters return the Document without the slots they dropped; the rest keep their bytes
        by_ref = {id(doc.images[pos]): media for pos, media in sample.images.items()}
        kept = result.sample
        _count("assembled")
        yield M3WSample(kept, {pos: by_ref[id(ref)] for pos, ref in kept.image_slots() if id(ref) in by_ref})


def list_warcs(pattern: str) -> list[str]:
    """The WARC files a comma-separated list of globs names (run on a worker, not the driver)."""
    paths = []
    for result in FileSystems.match([p.strip() for p in pattern.split(",") if p.strip()]):
        paths.extend(m.path for m in result.metadata_list)
    if not paths:
        raise InputError(f"no WARC files match {pattern!r}: check the path or glob (and its bucket access)")
    return sorted(set(paths))  # overlapping globs name a file once


def url_of_line(line: bytes) -> list[str]:
    """The URL on one line of a URL list (read as bytes: a bad byte must not fail the read); [] for a
    blank line or a # comment."""
    url = line.decode("utf-8", "replace").strip()
    return [url] if url and not url.startswith("#") else []


def once_per_url(url: str, count: int):
    """Crawl each URL once; every repeat in the list is an input too, rejected as a duplicate."""
    yield url
    for n in range(1, count):
        yield reject(
            url_key(url),
            url,
            Stage.READ,
            RejectReason.DUPLICATE_EXACT,
            f"repeat {n} of {url} in the URL list",
        )


def image_wants(doc) -> list[tuple[str, tuple[str, int]]]:
    """(image URL, (page key, slot position)) for every image slot of a page."""
    return [(ref.url, (doc.key, pos)) for pos, ref in doc.image_slots()]


__all__ = ["REJECTS", "Assemble", "Extract", "FetchImages", "FetchPages", "ReadWarc", "document_chains"]
