"""Image dedup stages: exact content, perceptual (pHash LSH), and over-frequent M3W images.

- DedupExactImages: equal image sha256 -> keep the smallest key (DUPLICATE_EXACT).
- DedupPerceptualImages: pHash within `max_distance` bits. Each hash is split into
  `max_distance + 1` bands; samples sharing a band value meet in one GroupByKey bucket
  (pigeonhole: every pair within the distance shares a band), are compared exactly there, merged
  per bucket by union-find into star edges, and resolved globally by ConnectedComponents; each
  component keeps its smallest key (DUPLICATE_PERCEPTUAL). The default distance 8 of 64 bits
  covers re-encoding, resizing and crops of ~2% per side, while distinct natural images differ
  in ~32 bits; candidates must also agree in colour (a 4x4 colour grid within 6/255 on
  average), since flat synthetic scenes of one layout in other colours share pHashes.
- RemoveOverFrequentImages: an image (sha256, else URL) on more than `max_documents` pages is
  site chrome (logos, banners); its slots are removed from every page (OBELICS uses 10), each as
  an image-level reject (stage "image", OVER_FREQUENT), the other members renumbered; a page
  left with no image is rejected (stage "dedup", TOO_FEW_IMAGES), as the build and the release
  steps reject one.
"""

from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from filters.phash import DEFAULT_MAX_COLOUR_DISTANCE, DEFAULT_MAX_DISTANCE, ImageHash, phash_band_keys
from filters.samples import sample_key, sample_source
from pipeline.dedup.base import (
    DEDUP_STAGE,
    ApplyDrops,
    DedupByHash,
    Drop,
    sample_document,
    sample_image_hash,
    sample_sha256,
    without_image_slots,
)
from pipeline.dedup.components import ConnectedComponents, link_bucket
from pipeline.steps.filtering import IMAGE_STAGE, image_reject_key
from schemas import RejectReason, RejectRecord

log = logging.getLogger(__name__)


class DedupExactImages(DedupByHash):
    def __init__(self, sha256_fn=sample_sha256, key_fn=sample_key, source_fn=sample_source, label=None):
        super().__init__(sha256_fn, "image sha256", RejectReason.DUPLICATE_EXACT, key_fn, source_fn, label)


def hamming_edges(members: list[tuple[str, ImageHash]], max_distance: int,
                  max_colour_distance: float = DEFAULT_MAX_COLOUR_DISTANCE) -> list[tuple[str, str]]:
    """Star edges within one bucket between perceptual duplicates (`filters.phash.is_near`)."""
    members = sorted(set(members))
    if len(members) < 2:
        return []
    values = np.array([h.phash for _, h in members], dtype=np.uint64)
    has_grid = np.array([h.grid is not None for _, h in members])
    grids = np.stack([np.frombuffer(h.grid or bytes(48), np.uint8) for _, h in members]).astype(np.int16)

    def close(i, js):
        near = np.bitwise_count(values[js] ^ values[i]) <= max_distance
        colour = np.abs(grids[js] - grids[i]).mean(axis=1) <= max_colour_distance
        return near & (colour | ~has_grid[js] | ~has_grid[i])

    return link_bucket([k for k, _ in members], close)


def components_to_drops(labels, reason: RejectReason, detail: str):
    """(node, label) -> Drop for every node that is not its component's representative."""
    return labels | "Drops" >> beam.FlatMap(
        lambda nl: [Drop(nl[0], reason, nl[1], detail.format(kept=nl[1]))] if nl[0] != nl[1] else []
    )


class DedupPerceptualImages(beam.PTransform):
    def __init__(self, max_distance: int = DEFAULT_MAX_DISTANCE, max_colour_distance: float = DEFAULT_MAX_COLOUR_DISTANCE,
                 hash_fn=sample_image_hash, key_fn=sample_key, source_fn=sample_source, rounds: int = 4, label=None):
        super().__init__(label)
        self._max_distance, self._max_colour, self._hash_fn, self._rounds = max_distance, max_colour_distance, hash_fn, rounds
        self._key_fn, self._source_fn = key_fn, source_fn

    def expand(self, samples):
        hash_fn, key_fn, t, c = self._hash_fn, self._key_fn, self._max_distance, self._max_colour

        def banded(s):
            value = hash_fn(s)
            if value is None:
                return []
            return [(band, (key_fn(s), value)) for band in phash_band_keys(value.phash, t)]

        edges = (
            samples
            | "BandKeys" >> beam.FlatMap(banded)
            | "GroupByBand" >> beam.GroupByKey()
            | "BucketEdges" >> beam.FlatMap(lambda kv: hamming_edges(list(kv[1]), t, c))
            | "DistinctEdges" >> beam.Distinct()
        )
        labels = edges | "Components" >> ConnectedComponents(self._rounds)
        drops = components_to_drops(
            labels, RejectReason.DUPLICATE_PERCEPTUAL,
            f"perceptual duplicate (pHash within {t} bits, colours within {c}) of {{kept}}",
        )
        return (samples, drops) | "ApplyDrops" >> ApplyDrops(DEDUP_STAGE, key_fn, self._source_fn)


def image_id(ref) -> str:
    return ref.sha256 or ref.url


class _RemoveSlots(beam.DoFn):
    def __init__(self, max_documents: int):
        self._max = max_documents
        self._removed = Metrics.counter("dedup", "over_frequent_slots")
        self._emptied = Metrics.counter("dedup", "pages_emptied_of_images")

    def process(self, element):
        key, groups = element
        frequent = dict(groups["frequent"])
        for sample in groups["docs"]:
            doc = sample_document(sample) if frequent else None
            if doc is None:
                yield sample
                continue
            positions = {pos for pos, ref in doc.image_slots() if image_id(ref) in frequent}
            for pos in sorted(positions):
                ref = doc.images[pos]
                self._removed.inc()
                yield beam.pvalue.TaggedOutput(
                    "rejects",
                    RejectRecord(
                        image_reject_key(key, ref.url), ref.url, IMAGE_STAGE, RejectReason.OVER_FREQUENT,
                        f"image on {frequent[image_id(ref)]} pages > {self._max} (page {key})",
                    ),
                )
            if not positions:
                yield sample
                continue
            cut = without_image_slots(sample, positions)
            if sample_document(cut).num_images == 0:
                # the build's rule holds after dedup too: a page keeps at least one image
                self._emptied.inc()
                yield beam.pvalue.TaggedOutput("rejects", RejectRecord(
                    key, sample_source(sample), DEDUP_STAGE, RejectReason.TOO_FEW_IMAGES,
                    f"all {len(positions)} image slots were on more than {self._max} pages"))
                continue
            yield cut


class RemoveOverFrequentImages(beam.PTransform):
    """Pages (Documents or M3W ShardSamples) -> the same pages without images found on more than
    `max_documents` pages; samples that are not pages pass unchanged."""

    def __init__(self, max_documents: int = 10, label=None):
        super().__init__(label)
        self._max = max_documents

    def expand(self, docs):
        limit = self._max

        def frequent(kv):
            image, doc_keys = kv
            doc_keys = sorted(set(doc_keys))
            return [(k, (image, len(doc_keys))) for k in doc_keys] if len(doc_keys) > limit else []

        def image_ids(sample):
            doc = sample_document(sample)
            return [] if doc is None else [(i, doc.key) for i in {image_id(r) for _, r in doc.image_slots()}]

        flagged = (
            docs
            | "ImageIds" >> beam.FlatMap(image_ids)
            | "GroupByImage" >> beam.GroupByKey()
            | "Frequent" >> beam.FlatMap(frequent)
        )
        keyed = docs | "KeyDocs" >> beam.Map(lambda d: (sample_key(d), d))
        return (
            {"docs": keyed, "frequent": flagged}
            | "JoinFrequent" >> beam.CoGroupByKey()
            | "RemoveSlots" >> beam.ParDo(_RemoveSlots(limit)).with_outputs("rejects", main="kept")
        )


__all__ = ["DedupExactImages", "DedupPerceptualImages", "RemoveOverFrequentImages", "hamming_edges"]
