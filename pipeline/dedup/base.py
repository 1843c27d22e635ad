"""Deduplication at Beam scale: the shared pieces, and how a job chains the stages.

Every stage decides drops as `Drop(key, reason, kept_key, detail)` records, computed by
grouping (GroupByKey on a content hash or an LSH band key), never on the driver, and applies
them with `ApplyDrops`, which joins drops back to samples by key and splits kept samples from
`RejectRecord(stage="dedup", reason=DUPLICATE_*, kept_key=...)`. The representative of a group
is always its smallest key, so results are identical across runs, input orders, bundle splits
and worker counts.

Stages (each `samples | Stage(...)` returns `.kept` and `.rejects`):
- pipeline/dedup/images.py: DedupExactImages (content sha256), DedupPerceptualImages
  (pHash + banded LSH + connected components), RemoveOverFrequentImages (M3W image slots in
  more than N pages).
- pipeline/dedup/documents.py: DedupExactText, DedupSameImageSet, DedupNearDocuments (MinHash LSH +
  connected components).
- pipeline/dedup/decontaminate.py: Decontaminate (eval images within a pHash distance, eval texts by
  long n-gram overlap).

A pairs job, for instance:

    exact = kept | "DedupExact" >> DedupExactImages()
    near = exact.kept | "DedupPerceptual" >> DedupPerceptualImages(max_distance=8)
    rejects = (rejects, exact.rejects, near.rejects) | beam.Flatten()

The default accessors below read Documents, ImageTextPairs, ImageSamples and ShardSamples (the
writer's input: image bytes in members, metadata in row); pass your own `*_fn` otherwise.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from PIL import Image, UnidentifiedImageError

from filters.phash import ImageHash, image_hash, strip_padding
from filters.samples import IMAGE_EXTS, ImageSample, sample_key, sample_source, text_of
from schemas import (
    Document,
    ImageTextPair,
    RejectReason,
    RejectRecord,
    SchemaError,
    ShardSample,
    VideoTextPair,
)

log = logging.getLogger(__name__)

KEPT = "kept"
REJECTS = "rejects"
DEDUP_STAGE = "dedup"


class Drop(NamedTuple):
    key: str
    reason: RejectReason
    kept_key: str | None
    detail: str


# -- accessors ------------------------------------------------------------------------------------
def _image_members(sample: ShardSample) -> list[bytes]:
    return [data for ext, data in sorted(sample.members.items()) if ext.rsplit(".", 1)[-1] in IMAGE_EXTS]


def sample_document(sample: Any) -> Document | None:
    """The Document of an M3W sample (a Document, or a ShardSample whose json member is one)."""
    if isinstance(sample, Document):
        return sample
    if isinstance(sample, ShardSample) and "json" in sample.members and "txt" not in sample.members:
        try:
            return Document.from_json(sample.members["json"])
        except SchemaError:
            return None
    return None


def without_image_slots(sample: Any, positions: set[int]) -> Any:
    """The sample with the given Document image slots removed (a Document, or an M3W ShardSample).

    An M3W ShardSample names each slot's member in `metadata["image_members"]` (pipeline/jobs/m3w.py);
    the removed slots' members go, the kept ones are renumbered 000, 001, ... in slot order as
    Assemble names them, and the json member and the row are rewritten to match. Whether a page
    left without images is still worth keeping is the caller's call (`num_images`).
    """
    if isinstance(sample, Document):
        return sample.without_positions(positions)
    doc = sample_document(sample)
    if doc is None:
        raise TypeError(f"cannot remove image slots from a {type(sample).__name__}")
    names = doc.metadata.get("image_members")
    slot_positions = [pos for pos, _ in doc.image_slots()]
    members = dict(sample.members)
    if isinstance(names, list) and len(names) == len(slot_positions):
        for name in names:
            if name:
                members.pop(name, None)
        renamed: list[str | None] = []
        for pos, name in zip(slot_positions, names, strict=True):
            if pos in positions:
                continue
            if name:
                new = f"{sum(n is not None for n in renamed):03d}.{name.split('.', 1)[1]}"
                members[new] = sample.members[name]
                name = new
            renamed.append(name)
        doc.metadata["image_members"] = renamed
    doc = doc.without_positions(positions)
    members["json"] = doc.to_json().encode("utf-8")
    row = dict(sample.row)
    row.update(doc.to_dict())
    if isinstance(sample.row.get("metadata"), str):
        row["metadata"] = json.dumps(doc.metadata, ensure_ascii=False, sort_keys=True)
    return ShardSample(sample.key, members, row)


def sample_text(sample: Any) -> str | None:
    doc = sample_document(sample)
    return doc.text() if doc is not None else text_of(sample)


def sample_sha256(sample: Any) -> str | None:
    """The content hash of the sample's image (pairs): recorded, else computed from the bytes."""
    if isinstance(sample, (ImageTextPair, VideoTextPair)):
        return sample.sha256
    if isinstance(sample, ImageSample):
        return hashlib.sha256(sample.data).hexdigest() if sample.data is not None else None
    if isinstance(sample, ShardSample):
        if sample.row.get("sha256"):
            return sample.row["sha256"]
        images = _image_members(sample)
        return hashlib.sha256(images[0]).hexdigest() if len(images) == 1 else None
    return None


def _recorded(value: Any) -> ImageHash | None:
    if value is None:
        return None
    return ImageHash(int(value, 16) if isinstance(value, str) else int(value))


def sample_image_hashes(sample: Any) -> list[ImageHash]:
    """Perceptual hashes (pHash + colour grid) of the sample's images, decoded from its bytes (a
    border-resized pair image without its padding, see `strip_padding`); without bytes, pHashes
    recorded as `extra["phash"]` / `metadata["image_phashes"]` / `row["phash"]`."""
    if isinstance(sample, ImageSample):
        pixels = sample.pixels()
        return [image_hash(pixels)] if pixels is not None else []
    if isinstance(sample, ImageTextPair):
        recorded = _recorded(sample.extra.get("phash"))
        return [recorded] if recorded is not None else []
    if isinstance(sample, Document):
        return [h for h in map(_recorded, sample.metadata.get("image_phashes", [])) if h is not None]
    if isinstance(sample, ShardSample):
        out = []
        ow, oh = sample.row.get("original_width"), sample.row.get("original_height")
        for data in _image_members(sample):
            try:
                image = strip_padding(Image.open(io.BytesIO(data)), (ow, oh) if ow and oh else None)
                out.append(image_hash(image))
            except (UnidentifiedImageError, OSError) as exc:
                log.warning("cannot decode an image of %s for pHash: %s", sample.key, exc)
        recorded = _recorded(sample.row.get("phash"))
        return out or ([recorded] if recorded is not None else [])
    return []


def sample_image_hash(sample: Any) -> ImageHash | None:
    """The perceptual hash of a single-image sample (pairs); None for zero or several images."""
    hashes = sample_image_hashes(sample)
    return hashes[0] if len(hashes) == 1 else None


_SPACE = re.compile(r"\s+")


def normalized_text_hash(sample: Any) -> str | None:
    """sha1 of the text with whitespace runs collapsed; None for empty text."""
    text = sample_text(sample)
    if not text or not text.strip():
        return None
    return hashlib.sha1(_SPACE.sub(" ", text.strip()).encode("utf-8")).hexdigest()


# -- applying drops -------------------------------------------------------------------------------
class _ApplyDropsFn(beam.DoFn):
    def __init__(self, stage: str, source_fn: Callable[[Any], str]):
        self._stage = stage
        self._source_fn = source_fn
        self._kept = Metrics.counter("dedup", f"{stage}_kept")

    def process(self, element):
        key, groups = element
        samples = list(groups["samples"])
        drops = sorted(set(groups["drops"]), key=lambda d: (d.reason.value, d.kept_key or "", d.detail))
        if not drops:
            for s in samples:
                self._kept.inc()
                yield s
            return
        drop = drops[0]  # one sample, one reject, even when several stages flagged it
        Metrics.counter("dedup", f"{self._stage}_{drop.reason.value}").inc(len(samples))
        for s in samples:
            yield beam.pvalue.TaggedOutput(
                REJECTS, RejectRecord(key, self._source_fn(s), self._stage, drop.reason, drop.detail, drop.kept_key)
            )


class ApplyDrops(beam.PTransform):
    """(samples, drops) -> kept samples and RejectRecords for the samples named by drops."""

    def __init__(self, stage: str = DEDUP_STAGE, key_fn=sample_key, source_fn=sample_source, label=None):
        super().__init__(label)
        self._stage, self._key_fn, self._source_fn = stage, key_fn, source_fn

    def expand(self, pcolls):
        samples, drops = pcolls
        key_fn = self._key_fn
        keyed = samples | "KeySamples" >> beam.Map(lambda s: (key_fn(s), s))
        keyed_drops = drops | "KeyDrops" >> beam.Map(lambda d: (d.key, d))
        return (
            {"samples": keyed, "drops": keyed_drops}
            | "JoinDrops" >> beam.CoGroupByKey()
            | "Split" >> beam.ParDo(_ApplyDropsFn(self._stage, self._source_fn)).with_outputs(REJECTS, main=KEPT)
        )


def _drops_for_group(reason: RejectReason, what: str):
    def emit(element):
        digest, keys = element
        keys = sorted(set(keys))
        for key in keys[1:]:
            yield Drop(key, reason, keys[0], f"same {what} ({str(digest)[:16]}) as {keys[0]}")

    return emit


class DedupByHash(beam.PTransform):
    """Exact dedup: samples with equal `hash_fn(sample)` keep the smallest key; None is never a duplicate."""

    def __init__(self, hash_fn: Callable[[Any], Any], what: str, reason=RejectReason.DUPLICATE_EXACT,
                 key_fn=sample_key, source_fn=sample_source, label=None):
        super().__init__(label)
        self._hash_fn, self._what, self._reason = hash_fn, what, reason
        self._key_fn, self._source_fn = key_fn, source_fn

    def expand(self, samples):
        hash_fn, key_fn = self._hash_fn, self._key_fn

        def hashed(s):
            h = hash_fn(s)
            return [(h, key_fn(s))] if h is not None else []

        drops = (
            samples
            | "Hash" >> beam.FlatMap(hashed)
            | "GroupByHash" >> beam.GroupByKey()
            | "Drops" >> beam.FlatMap(_drops_for_group(self._reason, self._what))
        )
        return (samples, drops) | "ApplyDrops" >> ApplyDrops(DEDUP_STAGE, key_fn, self._source_fn)
