"""Deduplicate: the default dedup stages of each job, as one transform.

- pair (ALIGN/LTIP-style): exact image content (sha256), then perceptual duplicates
  (pHash within 8 bits).
- document (M3W pages): images on more than 10 pages removed from every page (site chrome),
  then exact-duplicate text, the same set of images, and MinHash near-duplicates.
- video: exact video content (sha256).
Evaluation decontamination runs last when eval images or texts are given.

    dedup = samples | "Dedup" >> Deduplicate("pair")
    kept, dedup_rejects = dedup["kept"], dedup["rejects"]

A job wires it from its config (`DedupConfig`, filled by the flags of `add_dedup_args`):

    add_dedup_args(parser)                          # --no-dedup, --eval-csv, --dedup-* thresholds
    samples, dedup_rejects = apply_dedup(samples, "pair", config.dedup)

Rejects are RejectRecords with stage "dedup" (DUPLICATE_* with `kept_key`), "image"
(OVER_FREQUENT image slots: not counted against page inputs) or "decontaminate".
"""

from __future__ import annotations

import argparse
import dataclasses

import apache_beam as beam

from filters.base import Filter
from filters.phash import DEFAULT_MAX_DISTANCE, ImageHash
from pipeline.dedup.base import video_identity
from pipeline.dedup.decontaminate import Decontaminate, load_eval_sets
from pipeline.dedup.documents import DedupExactText, DedupNearDocuments, DedupSameImageSet
from pipeline.dedup.images import DedupExactImages, DedupPerceptualImages, RemoveOverFrequentImages

KINDS = ("pair", "document", "video")


@dataclasses.dataclass(kw_only=True)
class DedupConfig:
    enabled: bool = True
    eval_csv: str | None = None  # a CSV of path,caption (or a glob of them) to decontaminate against
    phash_distance: int = DEFAULT_MAX_DISTANCE  # perceptual duplicates: max pHash bits apart (of 64)
    near_threshold: float = 0.7  # near-duplicate pages: min MinHash Jaccard estimate
    max_image_pages: int = 10  # M3W: images on more pages than this are removed from all (OBELICS)


class Deduplicate(beam.PTransform):
    def __init__(
        self,
        kind: str,
        *,
        perceptual_distance: int = DEFAULT_MAX_DISTANCE,
        near_threshold: float = 0.7,
        max_image_pages: int = 10,
        eval_images: list[tuple[str, ImageHash]] | tuple = (),
        eval_texts: list[tuple[str, str]] | tuple = (),
        count_filter: Filter | None = None,
        label: str | None = None,
    ):
        super().__init__(label)
        if kind not in KINDS:
            raise ValueError(f"no dedup stages for kind {kind!r}; kinds: {', '.join(KINDS)}")
        self._kind = kind
        self._perceptual_distance, self._near_threshold = perceptual_distance, near_threshold
        self._max_image_pages = max_image_pages
        self._eval_images, self._eval_texts = list(eval_images), list(eval_texts)
        self._count_filter = count_filter

    def _stages(self) -> list[tuple[str, beam.PTransform]]:
        if self._kind == "pair":
            return [
                ("ExactImages", DedupExactImages()),
                ("PerceptualImages", DedupPerceptualImages(self._perceptual_distance)),
            ]
        if self._kind == "document":
            return [
                (
                    "OverFrequentImages",
                    RemoveOverFrequentImages(self._max_image_pages, count_filter=self._count_filter),
                ),
                ("ExactText", DedupExactText()),
                ("SameImageSet", DedupSameImageSet()),
                ("NearDocuments", DedupNearDocuments(self._near_threshold)),
            ]
        return [("ExactVideos", DedupExactImages(sha256_fn=video_identity))]

    def expand(self, samples):
        stages = self._stages()
        if self._eval_images or self._eval_texts:
            stages.append(
                (
                    "Decontaminate",
                    Decontaminate(self._eval_images, self._eval_texts, self._perceptual_distance),
                )
            )
        rejects = []
        for name, stage in stages:
            out = samples | name >> stage
            samples = out["kept"]
            rejects.append(out["rejects"])
        return {"kept": samples, "rejects": rejects | "AllDedupRejects" >> beam.Flatten()}


def add_dedup_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The dedup flags of a job parser (no defaults: `DedupConfig` holds them)."""
    g = parser.add_argument_group("dedup")
    g.add_argument(
        "--no-dedup",
        dest="dedup.enabled",
        action="store_false",
        help="skip the dedup and decontamination stages",
    )
    g.add_argument(
        "--eval-csv",
        dest="dedup.eval_csv",
        help="evaluation set(s) to decontaminate against: a CSV with path,caption (paths relative to it), "
        "or a glob of such CSVs",
    )
    g.add_argument(
        "--dedup-phash-distance",
        dest="dedup.phash_distance",
        type=int,
        help=f"perceptual duplicates: max pHash bits apart (default {DEFAULT_MAX_DISTANCE})",
    )
    g.add_argument(
        "--dedup-near-threshold",
        dest="dedup.near_threshold",
        type=float,
        help="near-duplicate pages: min MinHash Jaccard estimate (default 0.7)",
    )
    g.add_argument(
        "--dedup-max-image-pages",
        dest="dedup.max_image_pages",
        type=int,
        help="M3W: images on more than this many pages are removed from all of them (default 10)",
    )
    return parser


def apply_dedup(
    samples, kind: str, config: DedupConfig, *, count_filter: Filter | None = None, label: str = "Dedup"
):
    """(kept samples, dedup rejects) per `config`; disabled, (samples, empty)."""
    if not config.enabled:
        return samples, samples.pipeline | f"{label}Skipped" >> beam.Create([])
    eval_images, eval_texts = load_eval_sets(config.eval_csv) if config.eval_csv else ((), ())
    out = samples | label >> Deduplicate(
        kind,
        perceptual_distance=config.phash_distance,
        near_threshold=config.near_threshold,
        max_image_pages=config.max_image_pages,
        eval_images=eval_images,
        eval_texts=eval_texts,
        count_filter=count_filter,
    )
    return out["kept"], out["rejects"]
