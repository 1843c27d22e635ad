"""Deduplicate: the default dedup stages of each job, as one transform.

- pair (ALIGN/LTIP-style): exact image content (sha256), then perceptual duplicates
  (pHash within 8 bits).
- document (M3W pages): images on more than 10 pages removed from every page (site chrome),
  then exact-duplicate text, the same set of images, and MinHash near-duplicates.
- video: exact video content (sha256).
Evaluation decontamination runs last when eval images or texts are given.

    dedup = samples | "Dedup" >> Deduplicate("pair")
    kept, dedup_rejects = dedup["kept"], dedup["rejects"]

Rejects are RejectRecords with stage "dedup" (DUPLICATE_* with `kept_key`), "image"
(OVER_FREQUENT image slots: not counted against page inputs) or "decontaminate".
"""

from __future__ import annotations

import apache_beam as beam

from filters.phash import ImageHash
from pipeline.decontaminate import Decontaminate
from pipeline.dedup_docs import DedupExactText, DedupNearDocuments, DedupSameImageSet
from pipeline.dedup_images import DedupExactImages, DedupPerceptualImages, RemoveOverFrequentImages

KINDS = ("pair", "document", "video")


class Deduplicate(beam.PTransform):
    def __init__(
        self,
        kind: str,
        *,
        perceptual_distance: int = 8,
        near_threshold: float = 0.7,
        max_image_pages: int = 10,
        eval_images: list[tuple[str, ImageHash]] | tuple = (),
        eval_texts: list[tuple[str, str]] | tuple = (),
        label: str | None = None,
    ):
        super().__init__(label)
        if kind not in KINDS:
            raise ValueError(f"no dedup stages for kind {kind!r}; kinds: {', '.join(KINDS)}")
        self._kind = kind
        self._perceptual_distance, self._near_threshold = perceptual_distance, near_threshold
        self._max_image_pages = max_image_pages
        self._eval_images, self._eval_texts = list(eval_images), list(eval_texts)

    def _stages(self) -> list[tuple[str, beam.PTransform]]:
        if self._kind == "pair":
            return [("ExactImages", DedupExactImages()), ("PerceptualImages", DedupPerceptualImages(self._perceptual_distance))]
        if self._kind == "document":
            return [
                ("OverFrequentImages", RemoveOverFrequentImages(self._max_image_pages)),
                ("ExactText", DedupExactText()),
                ("SameImageSet", DedupSameImageSet()),
                ("NearDocuments", DedupNearDocuments(self._near_threshold)),
            ]
        return [("ExactVideos", DedupExactImages())]

    def expand(self, samples):
        stages = self._stages()
        if self._eval_images or self._eval_texts:
            stages.append(("Decontaminate", Decontaminate(self._eval_images, self._eval_texts, self._perceptual_distance)))
        rejects = []
        for name, stage in stages:
            out = samples | name >> stage
            samples = out["kept"]
            rejects.append(out["rejects"])
        return {"kept": samples, "rejects": rejects | "AllDedupRejects" >> beam.Flatten()}
