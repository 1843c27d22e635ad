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
  an image-level reject (stage "image", OVER_FREQUENT); a page the build's `image_count` filter
  then rejects is a dedup reject (pipeline/steps/slots.py, the rule the build and the release
  steps follow too).
"""

from __future__ import annotations

import logging

import apache_beam as beam
import numpy as np
from apache_beam.metrics import Metrics

from filters.base import Filter
from filters.phash import DEFAULT_MAX_COLOUR_DISTANCE, DEFAULT_MAX_DISTANCE, ImageHash, phash_band_keys
from filters.samples import sample_key, sample_source
from pipeline.dedup.base import ApplyDrops, DedupByHash, Drop, sample_image_hash, sample_sha256
from pipeline.dedup.components import ConnectedComponents, link_bucket
from pipeline.steps.rejects import REJECTS, tag
from pipeline.steps.slots import SlotDrop, image_count_filter, remove_image_slots
from schemas import M3WSample, RejectReason, Stage

log = logging.getLogger(__name__)


class DedupExactImages(DedupByHash):
    def __init__(self, sha256_fn=sample_sha256, key_fn=sample_key, source_fn=sample_source, label=None):
        super().__init__(sha256_fn, "image sha256", RejectReason.DUPLICATE_EXACT, key_fn, source_fn, label)


def hamming_edges(
    members: list[tuple[str, ImageHash]],
    max_distance: int,
    max_colour_distance: float = DEFAULT_MAX_COLOUR_DISTANCE,
) -> list[tuple[str, str]]:
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


def _drop_unless_representative(node_label, reason: RejectReason, detail: str) -> list[Drop]:
    node, label = node_label
    return [Drop(node, reason, label, detail.format(kept=label))] if node != label else []


def components_to_drops(labels, reason: RejectReason, detail: str):
    """(node, label) -> Drop for every node that is not its component's representative."""
    return labels | "Drops" >> beam.FlatMap(_drop_unless_representative, reason, detail)


class DedupPerceptualImages(beam.PTransform):
    def __init__(
        self,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        max_colour_distance: float = DEFAULT_MAX_COLOUR_DISTANCE,
        hash_fn=sample_image_hash,
        key_fn=sample_key,
        source_fn=sample_source,
        rounds: int = 4,
        label=None,
    ):
        super().__init__(label)
        self._max_distance, self._max_colour, self._hash_fn, self._rounds = (
            max_distance,
            max_colour_distance,
            hash_fn,
            rounds,
        )
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
            labels,
            RejectReason.DUPLICATE_PERCEPTUAL,
            f"perceptual duplicate (pHash within {t} bits, colours within {c}) of {{kept}}",
        )
        return (samples, drops) | "ApplyDrops" >> ApplyDrops(Stage.DEDUP, key_fn, self._source_fn)


def image_id(ref) -> str:
    return ref.sha256 or ref.url


class _RemoveSlots(beam.DoFn):
    def __init__(self, max_documents: int, count_filter: Filter):
        self._max = max_documents
        self._count_filter = count_filter
        self._removed = Metrics.counter("dedup", "over_frequent_slots")

    def process(self, element):
        key, groups = element
        frequent = dict(groups["frequent"])
        for sample in groups["docs"]:
            if not frequent or not isinstance(sample, M3WSample):
                yield sample
                continue
            drops = {
                pos: SlotDrop(
                    RejectReason.OVER_FREQUENT,
                    f"image on {frequent[image_id(ref)]} pages > {self._max} (page {key})",
                )
                for pos, ref in sample.document.image_slots()
                if image_id(ref) in frequent
            }
            self._removed.inc(len(drops))
            kept, rejects = remove_image_slots(
                sample, drops, stage=Stage.DEDUP, count_filter=self._count_filter
            )
            for record in rejects:
                yield tag(record)
            if kept is not None:
                yield kept


def _frequent_images(limit: int):
    def frequent(kv):
        image, doc_keys = kv
        doc_keys = sorted(set(doc_keys))
        return [(k, (image, len(doc_keys))) for k in doc_keys] if len(doc_keys) > limit else []

    return frequent


def _image_ids(sample) -> list[tuple[str, str]]:
    if not isinstance(sample, M3WSample):
        return []
    return [(i, sample.key) for i in {image_id(r) for _, r in sample.document.image_slots()}]


class RemoveOverFrequentImages(beam.PTransform):
    """M3W pages -> the same pages without images found on more than `max_documents` pages
    (pipeline/steps/slots.py: each an image-stage reject; a page `count_filter` then rejects is a
    dedup reject); samples that are not pages pass unchanged."""

    def __init__(self, max_documents: int = 10, count_filter: Filter | None = None, label=None):
        super().__init__(label)
        self._max = max_documents
        self._count_filter = count_filter or image_count_filter()

    def expand(self, docs):
        flagged = (
            docs
            | "ImageIds" >> beam.FlatMap(_image_ids)
            | "GroupByImage" >> beam.GroupByKey()
            | "Frequent" >> beam.FlatMap(_frequent_images(self._max))
        )
        keyed = docs | "KeyDocs" >> beam.Map(lambda d: (sample_key(d), d))
        return (
            {"docs": keyed, "frequent": flagged}
            | "JoinFrequent" >> beam.CoGroupByKey()
            | "RemoveSlots"
            >> beam.ParDo(_RemoveSlots(self._max, self._count_filter)).with_outputs(REJECTS, main="kept")
        )


__all__ = ["DedupExactImages", "DedupPerceptualImages", "RemoveOverFrequentImages", "hamming_edges"]
