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

The default accessors below read the jobs' typed samples (schemas/samples.py: M3WSample,
PairSample, VideoSample) and filters' ImageSample; pass your own `*_fn` for anything else
(the release steps judge their own Probes).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Callable
from typing import Any, NamedTuple

import apache_beam as beam
from apache_beam.metrics import Metrics
from PIL import Image, UnidentifiedImageError

from filters.phash import ImageHash, image_hash, strip_padding
from filters.samples import ImageSample, sample_key, sample_source
from pipeline.steps.rejects import REJECTS, tag
from schemas import M3WSample, PairSample, RejectReason, RejectRecord, Stage, VideoSample

log = logging.getLogger(__name__)

KEPT = "kept"


class Drop(NamedTuple):
    key: str
    reason: RejectReason
    kept_key: str | None
    detail: str


# -- accessors ------------------------------------------------------------------------------------
def sample_text(sample: Any) -> str | None:
    """The text a text-dedup stage compares: a page's text blocks, a pair's or a video's caption."""
    return sample.text()


def sample_sha256(sample: Any) -> str | None:
    """The content hash of a single-image sample (a pair, or a bare ImageSample); None otherwise."""
    if isinstance(sample, PairSample):
        return sample.content_sha256
    if isinstance(sample, ImageSample):
        return hashlib.sha256(sample.data).hexdigest() if sample.data is not None else None
    return None


def video_identity(sample: VideoSample) -> str | None:
    return sample.identity


def _hash_bytes(key: str, data: bytes, original_size) -> ImageHash | None:
    try:
        return image_hash(strip_padding(Image.open(io.BytesIO(data)), original_size))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        log.warning("cannot decode an image of %s for pHash: %s", key, exc)
        return None


def sample_image_hashes(sample: Any) -> list[ImageHash]:
    """Perceptual hashes (pHash + colour grid) of the sample's images, decoded from their bytes
    (a border-resized image without its padding, see `strip_padding`): a pair's image, a page's
    fetched images, a video's frames."""
    if isinstance(sample, ImageSample):
        pixels = sample.pixels()
        return [image_hash(pixels)] if pixels is not None else []
    if isinstance(sample, PairSample):
        images = [(sample.image.data, sample.original_size)]
    elif isinstance(sample, M3WSample):
        images = [(media.data, None) for _, media in sample.fetched_images()]
    elif isinstance(sample, VideoSample):
        images = [(frame, None) for frame in sample.frames]
    else:
        raise TypeError(f"no images to hash in a {type(sample).__name__}")
    hashes = (_hash_bytes(sample.key, data, size) for data, size in images)
    return [h for h in hashes if h is not None]


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
    def __init__(self, stage: Stage, source_fn: Callable[[Any], str]):
        self._stage = stage
        self._source_fn = source_fn
        self._kept = Metrics.counter("dedup", f"{stage.value}_kept")

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
        for s in samples:
            yield tag(
                RejectRecord(key, self._source_fn(s), self._stage, drop.reason, drop.detail, drop.kept_key)
            )


class ApplyDrops(beam.PTransform):
    """(samples, drops) -> kept samples and RejectRecords for the samples named by drops."""

    def __init__(self, stage: Stage = Stage.DEDUP, key_fn=sample_key, source_fn=sample_source, label=None):
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
            | "Split"
            >> beam.ParDo(_ApplyDropsFn(self._stage, self._source_fn)).with_outputs(REJECTS, main=KEPT)
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

    def __init__(
        self,
        hash_fn: Callable[[Any], Any],
        what: str,
        reason=RejectReason.DUPLICATE_EXACT,
        key_fn=sample_key,
        source_fn=sample_source,
        label=None,
    ):
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
        return (samples, drops) | "ApplyDrops" >> ApplyDrops(Stage.DEDUP, key_fn, self._source_fn)
