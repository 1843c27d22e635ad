"""Deduplicate: the default dedup stages of each job, as one transform.

- pair (ALIGN/LTIP-style): exact image content (sha256), then perceptual duplicates
  (pHash within 8 bits).
- document (M3W pages): images on more than 10 pages removed from every page (site chrome),
  then exact-duplicate text, the same set of images, and MinHash near-duplicates.
- video: exact video content (sha256).
Evaluation decontamination runs last when eval images or texts are given.

    dedup = samples | "Dedup" >> Deduplicate("pair")
    kept, dedup_rejects = dedup["kept"], dedup["rejects"]

A job wires it from its flags with two helpers:

    add_dedup_args(parser)                          # --no-dedup, --eval-csv, --dedup-* thresholds
    samples, dedup_rejects = apply_dedup(samples, "pair", args)

Rejects are RejectRecords with stage "dedup" (DUPLICATE_* with `kept_key`), "image"
(OVER_FREQUENT image slots: not counted against page inputs) or "decontaminate".
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import apache_beam as beam

from filters.phash import DEFAULT_MAX_DISTANCE, ImageHash
from pipeline.dedup.base import sample_sha256
from pipeline.dedup.decontaminate import Decontaminate, load_eval_sets
from pipeline.dedup.documents import DedupExactText, DedupNearDocuments, DedupSameImageSet
from pipeline.dedup.images import DedupExactImages, DedupPerceptualImages, RemoveOverFrequentImages

KINDS = ("pair", "document", "video")


def video_identity(sample: Any) -> str | None:
    """A video's content hash plus the segment its row asked for: two captioned segments of one
    file are two samples; the same file listed twice (at any URL) is one."""
    sha = sample_sha256(sample)
    if sha is None:
        return None
    extra = sample.row.get("extra") if hasattr(sample, "row") else getattr(sample, "extra", None)
    if isinstance(extra, str):
        extra = json.loads(extra)
    segment = (extra or {}).get("segment")
    return sha if not segment else f"{sha}@{segment[0]}-{segment[1]}"


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
        return [("ExactVideos", DedupExactImages(sha256_fn=video_identity))]

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


def add_dedup_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    g = parser.add_argument_group("dedup")
    g.add_argument("--no-dedup", action="store_true", help="skip the dedup and decontamination stages")
    g.add_argument("--eval-csv", default=None,
                   help="evaluation set(s) to decontaminate against: a CSV with path,caption (paths relative to it), "
                   "or a glob of such CSVs")
    g.add_argument("--dedup-phash-distance", type=int, default=DEFAULT_MAX_DISTANCE, help="perceptual duplicates: max pHash bits apart")
    g.add_argument("--dedup-near-threshold", type=float, default=0.7,
                   help="near-duplicate pages: min MinHash Jaccard estimate")
    g.add_argument("--dedup-max-image-pages", type=int, default=10,
                   help="M3W: images on more than this many pages are removed from all of them")
    return parser


def apply_dedup(samples, kind: str, args: argparse.Namespace, label: str = "Dedup"):
    """(kept samples, dedup rejects) per the flags of `add_dedup_args`; with --no-dedup, (samples, empty)."""
    if args.no_dedup:
        return samples, samples.pipeline | f"{label}Skipped" >> beam.Create([])
    eval_images, eval_texts = load_eval_sets(args.eval_csv) if args.eval_csv else ((), ())
    out = samples | label >> Deduplicate(
        kind,
        perceptual_distance=args.dedup_phash_distance,
        near_threshold=args.dedup_near_threshold,
        max_image_pages=args.dedup_max_image_pages,
        eval_images=eval_images,
        eval_texts=eval_texts,
    )
    return out["kept"], out["rejects"]
