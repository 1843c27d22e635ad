"""The pluggable judging stages of the release steps: probes in, Verdicts out (pipeline/release/probes.py).

- CrossDedup: exact duplicates by content sha256 (images against images of every build, videos
  against videos by the sha256 their json records), then perceptual image duplicates (pHash
  banded LSH, pipeline/dedup/images.py). Each group keeps its smallest probe id: the earliest
  build in --inputs, then the smallest key, then the earliest slot.
- EvalContamination: images within the pHash distance of an evaluation image (a video counts
  through any of its frames), M3W document texts sharing a long n-gram run with an evaluation
  text (pipeline/dedup/decontaminate.py).
Both reuse the dedup stages as they are, keyed by probe id, and translate their RejectRecords into
Verdicts whose details name the kept copy as "BUILD/KEY[ slot N]" instead of an internal id.
"""

from __future__ import annotations

import apache_beam as beam

from filters.phash import DEFAULT_MAX_DISTANCE
from pipeline.dedup.decontaminate import Decontaminate
from pipeline.dedup.images import DedupExactImages, DedupPerceptualImages
from pipeline.release.probes import Probe, Verdict, readable, split_probe_id
from schemas import Stage


def _pid(probe: Probe) -> str:
    return probe.id


def _content_hash(probe: Probe) -> str | None:
    # images and videos never match each other: a frame's bytes are not the video's
    return f"{probe.kind}:{probe.sha256}" if probe.sha256 and probe.kind in ("image", "video") else None


def _probe_hashes(probe: Probe) -> list:
    return list(probe.hashes)


def _probe_text(probe: Probe) -> str | None:
    return probe.text


def _image_hash(probe: Probe):
    return probe.hashes[0] if probe.kind == "image" and probe.hashes else None


def to_verdict(record, stage: Stage, names: list[str]) -> Verdict:
    sid, slot = split_probe_id(record.key)
    detail, kept_key = record.detail, None
    if record.kept_key:
        detail = detail.replace(record.kept_key, readable(record.kept_key, names))
        kept_key = split_probe_id(record.kept_key)[0].split("/", 1)[1]
    return Verdict(sid, slot, stage, record.reason, detail, kept_key)


class CrossDedup(beam.PTransform):
    """probes -> Verdicts (stage "dedup", DUPLICATE_EXACT / DUPLICATE_PERCEPTUAL with the kept key)."""

    probe_options = {"texts": False, "frames": False}

    def __init__(
        self,
        names: list[str],
        max_distance: int = DEFAULT_MAX_DISTANCE,
        perceptual: bool = True,
        label: str | None = None,
    ):
        super().__init__(label)
        self._names, self._max_distance, self._perceptual = list(names), max_distance, perceptual
        self.probe_options = {**self.probe_options, "phash": perceptual}

    def expand(self, probes):
        exact = probes | "Exact" >> DedupExactImages(sha256_fn=_content_hash, key_fn=_pid, source_fn=_pid)
        rejects = [exact["rejects"]]
        if self._perceptual:
            near = exact["kept"] | "Perceptual" >> DedupPerceptualImages(
                self._max_distance, hash_fn=_image_hash, key_fn=_pid, source_fn=_pid
            )
            rejects.append(near["rejects"])
        names = self._names
        return (
            rejects
            | "DedupRejects" >> beam.Flatten()
            | "Verdicts" >> beam.Map(to_verdict, Stage.DEDUP, names)
        )


class EvalContamination(beam.PTransform):
    """probes -> Verdicts (stage "decontaminate", EVAL_CONTAMINATION; the detail names the eval item)."""

    def __init__(
        self,
        names: list[str],
        eval_images,
        eval_texts,
        max_distance: int = DEFAULT_MAX_DISTANCE,
        ngram: int = 13,
        min_words: int = 8,
        label: str | None = None,
    ):
        super().__init__(label)
        self._names = list(names)
        self._fn = Decontaminate(
            eval_images,
            eval_texts,
            max_distance,
            ngram=ngram,
            min_words=min_words,
            hashes_fn=_probe_hashes,
            text_fn=_probe_text,
            key_fn=_pid,
            source_fn=_pid,
        )
        has_images = bool(eval_images)
        self.probe_options = {"phash": has_images, "frames": has_images, "texts": bool(eval_texts)}

    def expand(self, probes):
        names = self._names
        return (probes | "Decontaminate" >> self._fn)["rejects"] | "Verdicts" >> beam.Map(
            to_verdict, Stage.DECONTAMINATE, names
        )
