"""The report's pictures of the data: kept samples read back from the shards, and rejected inputs.

Kept samples come from the shards the manifest lists, decoded with the job's codec
(schemas/samples.py) exactly as the training loader decodes them:
- pairs: a grid of NUM_PAIRS thumbnails with their captions;
- m3w: NUM_DOCS pages in document order, text blocks and image thumbnails interleaved as the
  loader's M3W pipeline sees them (stripped non-empty texts; a slot whose image was not fetched
  has no member, and the loader skips it, so the page does too);
- videos: NUM_VIDEOS strips of every stored frame, with the caption.
Which samples: the first ones of up to MAX_SHARDS shards evenly spaced over the build. A shard
holds its samples in key order and keys are hashes of the source, so this is the same unbiased
pick on every run, and a report over a million-sample build opens MAX_SHARDS tars, no more.

Rejected inputs: the REJECT_REASONS most frequent (stage, reason) pairs, PER_REASON examples each:
the rejected image where a step kept a preview of it (pipeline/steps/previews.py writes
reject_previews.parquet), else the source URL and the detail from the rejects table (the
smallest keys of the first REJECT_FILES tables: the same pick on every run).

Every image is a small inline JPEG (pipeline/report/thumbnails.py) and every text is escaped.
The thumbnails of one page share an IMAGE_BUDGET; past it a placeholder says so, so a page of
odd, huge images still stays one file of about 2 MB at most.
"""

from __future__ import annotations

import html
import logging
import math
from collections import Counter
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from apache_beam.io.filesystems import FileSystems

from pipeline.io.readers import TarDamage, read_webdataset_tar
from pipeline.io.shard_files import read_parquet
from pipeline.report.thumbnails import data_uri, thumbnail
from pipeline.steps.previews import PREVIEWS_NAME
from schemas import SchemaError, ShardSample, decode_sample
from schemas.manifest import MANIFEST_NAME, shard_names

log = logging.getLogger(__name__)

NUM_PAIRS = 24
NUM_DOCS = 3
NUM_VIDEOS = 6
MAX_SHARDS = 8
REJECT_REASONS = 6
PER_REASON = 4
REJECT_FILES = 4
IMAGE_BUDGET = 1_500_000  # bytes of data URIs per page; the rest of the page is a few hundred KB
MAX_TEXT = 400  # characters of one text block or caption shown (the rest is cut, marked with …)
DOC_IMAGE_SIDE = 128  # page images a little larger than grid thumbnails: they sit inside the text
MAX_BLOCKS = 40  # text blocks and images shown per page; a longer page ends with how many were left


def _cut(text: str, limit: int = MAX_TEXT) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _esc(text: Any) -> str:
    return html.escape(str(text), quote=True)


class Budget:
    """Counts the bytes of inline images on a page and refuses those past the limit."""

    def __init__(self, limit: int = IMAGE_BUDGET):
        self.limit, self.used, self.refused = limit, 0, 0

    def img(
        self, jpeg: bytes | None, alt: str, cls: str = "thumb", missing: str = "image does not decode"
    ) -> str:
        if jpeg is None:
            return f'<span class="{cls} undecodable">{_esc(missing)}</span>'
        uri = data_uri(jpeg)
        if self.used + len(uri) > self.limit:
            self.refused += 1
            return f'<span class="{cls} over-budget">left out: page size budget</span>'
        self.used += len(uri)
        return f'<img class="{cls}" src="{uri}" alt="{_esc(_cut(alt, 120))}">'


def evenly_spaced(items: list, limit: int) -> list:
    """All of `items` when there are at most `limit`, else `limit` of them spread evenly, first
    and last included."""
    if len(items) <= limit:
        return list(items)
    if limit == 1:
        return [items[0]]
    return [items[round(i * (len(items) - 1) / (limit - 1))] for i in range(limit)]


def kept_samples(output_dir: str, manifest: dict[str, Any], n: int) -> tuple[list, int]:
    """(up to `n` typed samples from the build's shards, how many did not decode); see the
    module docstring for which."""
    tars = shard_names(manifest, f"{output_dir}/{MANIFEST_NAME}", non_empty=True)
    spaced = evenly_spaced(tars, MAX_SHARDS)
    if not spaced:
        return [], 0
    per_shard = math.ceil(n / len(spaced))
    out, bad = [], 0
    for tar in spaced:
        taken = 0
        for source, group in read_webdataset_tar(FileSystems.join(output_dir, tar)):
            if taken >= per_shard or len(out) >= n:
                break
            if isinstance(group, TarDamage):
                log.warning("gallery: %s: %s", source, group.detail)
                bad += 1
                break
            key = source.rsplit(":", 1)[-1]
            try:
                out.append(decode_sample(manifest["job"], ShardSample(key, group.members, {})))
            except SchemaError as exc:
                log.warning("gallery: %s does not decode: %s", source, exc)
                bad += 1
            taken += 1
    return out, bad


# -- kept samples ---------------------------------------------------------------------------------


def _pairs_html(samples: list, budget: Budget) -> str:
    cells = []
    for s in samples:
        caption = s.pair.caption or ""
        cells.append(
            f'<figure class="sample">{budget.img(thumbnail(s.image.data), caption)}'
            f"<figcaption>{_esc(_cut(caption, 160))}</figcaption></figure>"
        )
    return f'<div class="gallery pairs">{"".join(cells)}</div>'


def loader_blocks(sample) -> list[tuple[str, Any]]:
    """A page as the loader's M3W pipeline reads it: ("text", str) and ("image", bytes) in
    document order; slots without an image member are skipped, as the loader skips them."""
    doc, blocks = sample.document, []
    for pos, text in enumerate(doc.texts):
        if doc.images[pos] is not None:
            if pos in sample.images:
                blocks.append(("image", sample.images[pos].data))
        elif text and text.strip():
            blocks.append(("text", text.strip()))
    return blocks


def _pick_docs(samples: list, n: int) -> list:
    """Pages with two images or more first (they show the interleaving), in the order read."""
    rich = [s for s in samples if len(s.images) >= 2]
    return (rich + [s for s in samples if len(s.images) < 2])[:n]


def _doc_html(sample, budget: Budget) -> str:
    blocks = loader_blocks(sample)
    slots = len(sample.document.image_slots())
    n_img = sum(kind == "image" for kind, _ in blocks)
    parts = [
        f'<article class="doc"><h3 class="doc-url">{_esc(sample.document.url)}</h3>',
        f'<p class="note">{len(blocks) - n_img} text blocks and {n_img} images in this order'
        + (f"; {slots - n_img} image slots without a fetched image are skipped" if slots > n_img else "")
        + "</p>",
    ]
    for kind, value in blocks[:MAX_BLOCKS]:
        if kind == "image":
            parts.append(budget.img(thumbnail(value, DOC_IMAGE_SIDE), "image in the page", "thumb doc-image"))
        else:
            parts.append(f'<p class="block">{_esc(_cut(value))}</p>')
    if len(blocks) > MAX_BLOCKS:
        parts.append(f'<p class="note">… and {len(blocks) - MAX_BLOCKS} more blocks</p>')
    parts.append("</article>")
    return "".join(parts)


def _video_html(sample, budget: Budget) -> str:
    frames = "".join(budget.img(thumbnail(f), f"frame {i}") for i, f in enumerate(sample.frames))
    p = sample.pair
    when = ", ".join(f"{t:.1f}" for t in p.timestamps) if p.timestamps else "?"
    return (
        f'<figure class="video"><div class="strip">{frames}</div><figcaption>{_esc(_cut(p.caption))}'
        f'<br><span class="note">{len(sample.frames)} frames at {_esc(when)} s of {_esc(p.url)}</span>'
        "</figcaption></figure>"
    )


def kept_section(output_dir: str, manifest: dict[str, Any], budget: Budget) -> str:
    """The kept-samples gallery of a build (empty string when it wrote nothing)."""
    job = manifest.get("job")
    if job == "m3w":
        candidates, bad = kept_samples(output_dir, manifest, 8 * NUM_DOCS)
        docs = _pick_docs(candidates, NUM_DOCS)
        body = "".join(_doc_html(d, budget) for d in docs)
        intro = (
            f"{len(docs)} pages as the training loader reads them: text blocks and images interleaved "
            "in document order (training then takes a random window of at most 256 tokens and 5 images)."
        )
    elif job == "pairs":
        samples, bad = kept_samples(output_dir, manifest, NUM_PAIRS)
        body, intro = _pairs_html(samples, budget), f"{len(samples)} image-caption pairs."
    elif job == "videos":
        samples, bad = kept_samples(output_dir, manifest, NUM_VIDEOS)
        body = "".join(_video_html(s, budget) for s in samples)
        intro = f"{len(samples)} videos: every stored frame, then the caption."
    else:
        return ""
    if not body:
        return ""
    how = (
        f"The first samples of up to {MAX_SHARDS} shards evenly spaced over the build "
        "(shards hold samples in key order, and keys are hashes of the source)."
    )
    warn = f' <span class="warn">{bad} samples read did not decode.</span>' if bad else ""
    return f'<p class="note">{_esc(intro)} {_esc(how)}{warn}</p>{body}'


# -- rejected inputs ------------------------------------------------------------------------------


def _previews(output_dir: str) -> dict[tuple[str, str], list[dict]]:
    path = FileSystems.join(output_dir, PREVIEWS_NAME)
    if not FileSystems.exists(path):
        return {}
    out: dict[tuple[str, str], list[dict]] = {}
    for row in read_parquet(path).to_pylist():
        out.setdefault((row["stage"], row["reason"]), []).append(row)
    return out


def _reject_examples(output_dir: str, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], list[dict]]:
    """Per wanted (stage, reason), the PER_REASON rows with the smallest keys of the first
    REJECT_FILES rejects tables."""
    paths = sorted(
        m.path
        for r in FileSystems.match([FileSystems.join(output_dir, "rejects-*.parquet")])
        for m in r.metadata_list
    )
    rows: dict[tuple[str, str], list[dict]] = {}
    reasons = pa.array(sorted({reason for _, reason in wanted}), pa.string())
    for path in paths[:REJECT_FILES]:
        table = read_parquet(path, ["key", "source", "stage", "reason", "detail", "kept_key"])
        if "reason" not in table.column_names:
            continue
        # only the wanted reasons' rows become Python objects (a table holds up to 200k rows)
        for row in table.filter(pc.is_in(table["reason"], value_set=reasons)).to_pylist():
            kind = (row.get("stage"), row.get("reason"))
            if kind in wanted:
                rows.setdefault(kind, []).append(row)
    return {k: sorted(v, key=lambda r: r["key"] or "")[:PER_REASON] for k, v in rows.items()}


def _reject_html(row: dict, image: str | None) -> str:
    detail = _esc(_cut(row.get("detail") or ""))
    kept = f"<br>kept copy: {_esc(row['kept_key'])}" if row.get("kept_key") else ""
    source = f'<span class="url">{_esc(_cut(row.get("source") or "", 160))}</span>'
    if image is not None:
        return f'<figure class="reject">{image}<figcaption>{detail}<br>{source}{kept}</figcaption></figure>'
    return f'<figure class="reject noimage">{source}<figcaption>{detail}{kept}</figcaption></figure>'


def rejects_section(output_dir: str, counts: Counter[tuple[str, str]], budget: Budget) -> str:
    """Examples of the most frequent reject reasons; empty string when nothing was rejected."""
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:REJECT_REASONS]
    if not top:
        return ""
    previews = _previews(output_dir)
    examples = _reject_examples(output_dir, {k for k, _ in top if len(previews.get(k, [])) < PER_REASON})
    parts = [
        f'<p class="note">The {len(top)} most frequent reasons, up to {PER_REASON} examples each: the '
        "rejected image where the step that rejected it had decoded it, else its URL and the detail.</p>"
    ]
    for (stage, reason), n in top:
        shown = [
            _reject_html(r, budget.img(r["thumbnail"], r["detail"] or reason))
            for r in previews.get((stage, reason), [])
        ]
        seen = {r["key"] for r in previews.get((stage, reason), [])}
        for row in examples.get((stage, reason), []):
            if len(shown) < PER_REASON and row["key"] not in seen:
                shown.append(_reject_html(row, None))
        parts.append(
            f'<h3 class="reason">{_esc(reason)} <small>({_esc(stage)} stage, {n:,} rejected)</small></h3>'
            f'<div class="gallery rejects">{"".join(shown)}</div>'
        )
    return "".join(parts)
