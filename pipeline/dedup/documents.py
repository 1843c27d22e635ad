"""Document dedup stages: exact text, same image set, and MinHash near-duplicates.

- DedupExactText: equal text after collapsing whitespace -> keep the smallest key.
- DedupSameImageSet: pages whose sets of images (sha256, else URL) are equal and non-empty
  -> keep the smallest key (mirrors and re-posts of one gallery).
- DedupNearDocuments: MinHash over word 5-gram shingles (filters/minhash.py), `num_bands` LSH
  bands; pages sharing a band key meet in one GroupByKey bucket, where pairs whose estimated
  Jaccard similarity is at least `threshold` are linked (union-find per bucket, star edges),
  and ConnectedComponents resolves clusters globally; each keeps its smallest key
  (DUPLICATE_NEAR). Defaults: 128 permutations in 32 bands of 4 rows: a pair at Jaccard 0.7 is a
  candidate with probability 0.9998, at 0.3 with 0.23 (then rejected by the exact check).
"""

from __future__ import annotations

import hashlib

import apache_beam as beam
import numpy as np

from filters.minhash import MinHasher
from filters.samples import sample_key, sample_source
from pipeline.dedup.base import ApplyDrops, DedupByHash, normalized_text_hash, sample_text
from pipeline.dedup.components import MAX_PAIRWISE, ConnectedComponents, link_bucket
from pipeline.dedup.images import components_to_drops, image_id
from schemas import M3WSample, RejectReason, Stage


class DedupExactText(DedupByHash):
    def __init__(
        self, text_hash_fn=normalized_text_hash, key_fn=sample_key, source_fn=sample_source, label=None
    ):
        super().__init__(text_hash_fn, "text", RejectReason.DUPLICATE_EXACT, key_fn, source_fn, label)


def image_set_hash(sample) -> str | None:
    if not isinstance(sample, M3WSample) or not sample.document.num_images:
        return None
    doc = sample.document
    ids = sorted({image_id(ref) for _, ref in doc.image_slots()})
    return hashlib.sha1("\n".join(ids).encode("utf-8")).hexdigest()


class DedupSameImageSet(DedupByHash):
    def __init__(self, image_set_fn=image_set_hash, key_fn=sample_key, source_fn=sample_source, label=None):
        super().__init__(image_set_fn, "image set", RejectReason.DUPLICATE_EXACT, key_fn, source_fn, label)


class _Signatures(beam.DoFn):
    """Batches of (key, text) -> (key, signature bytes): the batched MinHasher amortises numpy calls."""

    def __init__(self, hasher: MinHasher):
        self._hasher = hasher

    def process(self, batch):
        sigs = self._hasher.signatures([text for _, text in batch])
        for (key, _), sig in zip(batch, sigs, strict=True):
            yield key, sig.tobytes()


def band_split(sigs: np.ndarray, band: int, rows: int):
    """`split` for link_bucket: member indices grouped by the key of band `band + 1 + level`
    (the bands after the bucket's own, in turn); None once every other band was used."""
    num_bands = sigs.shape[1] // rows

    def split(idx: np.ndarray, level: int) -> list[np.ndarray] | None:
        if level >= num_bands - 1:
            return None
        j = (band + 1 + level) % num_bands
        groups: dict[bytes, list[int]] = {}
        for i, value in zip(idx.tolist(), sigs[idx, j * rows : (j + 1) * rows], strict=True):
            groups.setdefault(value.tobytes(), []).append(i)
        return [np.array(g) for _, g in sorted(groups.items())]

    return split


def jaccard_edges(
    members: list[tuple[str, bytes]],
    threshold: float,
    band: int = 0,
    rows: int = 0,
    max_pairwise: int = MAX_PAIRWISE,
) -> list[tuple[str, str]]:
    """Edges within one LSH bucket between members with estimated Jaccard >= threshold.

    A hot bucket (over `max_pairwise` members) is clustered around pivots, and what the first
    pivots leave (distinct pages that share a boilerplate band) is split by the following bands'
    keys (`band_split`, `rows` values per band) so that it costs what its parts cost (see
    link_bucket). Counted: `components/large_buckets`, `components/hot_bucket_splits`."""
    members = sorted(set(members))
    if len(members) < 2:
        return []
    sigs = np.stack([np.frombuffer(s, dtype=np.uint32) for _, s in members])
    return link_bucket(
        [k for k, _ in members],
        lambda i, js: (sigs[js] == sigs[i]).mean(axis=1) >= threshold,
        max_pairwise,
        split=band_split(sigs, band, rows) if rows else None,
    )


class DedupNearDocuments(beam.PTransform):
    def __init__(
        self,
        threshold: float = 0.7,
        num_perm: int = 128,
        num_bands: int = 32,
        ngram: int = 5,
        seed: int = 1,
        text_fn=sample_text,
        key_fn=sample_key,
        source_fn=sample_source,
        rounds: int = 4,
        max_pairwise: int = MAX_PAIRWISE,
        label=None,
    ):
        super().__init__(label)
        self._hasher = MinHasher(num_perm=num_perm, ngram=ngram, num_bands=num_bands, seed=seed)
        self._threshold, self._rounds, self._max_pairwise = threshold, rounds, max_pairwise
        self._text_fn, self._key_fn, self._source_fn = text_fn, key_fn, source_fn

    def expand(self, samples):
        hasher, threshold, text_fn, key_fn = self._hasher, self._threshold, self._text_fn, self._key_fn
        rows, max_pairwise = self._hasher.rows, self._max_pairwise

        def keyed_text(s):
            text = text_fn(s)
            return [(key_fn(s), text)] if text and text.strip() else []

        def banded(kv):
            key, sig = kv
            # the uint64 keys' bits as int64: Beam on Python 3.13 infers int keys from this function
            # and codes them with VarIntCoder, which holds signed 64-bit values only
            bands = hasher.band_keys(np.frombuffer(sig, dtype=np.uint32))[0].view(np.int64)
            return [((i, int(b)), (key, sig)) for i, b in enumerate(bands)]

        edges = (
            samples
            | "Texts" >> beam.FlatMap(keyed_text)
            | "Batch" >> beam.BatchElements(min_batch_size=16, max_batch_size=512)
            | "MinHash" >> beam.ParDo(_Signatures(hasher))
            | "BandKeys" >> beam.FlatMap(banded)
            | "GroupByBand" >> beam.GroupByKey()
            | "BucketEdges"
            >> beam.FlatMap(lambda kv: jaccard_edges(list(kv[1]), threshold, kv[0][0], rows, max_pairwise))
            | "DistinctEdges" >> beam.Distinct()
        )
        labels = edges | "Components" >> ConnectedComponents(self._rounds)
        drops = components_to_drops(
            labels,
            RejectReason.DUPLICATE_NEAR,
            f"near duplicate (MinHash Jaccard >= {threshold}) of {{kept}}",
        )
        return (samples, drops) | "ApplyDrops" >> ApplyDrops(Stage.DEDUP, key_fn, self._source_fn)
