"""What release steps (cross-job dedup, decontamination) judge, and how their verdicts are applied.

A release step does not shuffle media to decide: each sample is turned into small `Probe`s on the
worker that read it (one per image: a pair's image, each fetched M3W image slot, a video (its
sha256 and frame hashes); and for decontamination the text of an M3W document). A stage turns
probes into `Verdict`s, and `ApplyVerdicts` joins verdicts back to samples by sample id:

- a verdict on the whole sample (slot -1: a pair, a video, an M3W document's text) drops the
  sample: one RejectRecord with the stage, reason and kept representative's key;
- verdicts on M3W image slots remove those slots from the Document, each an image-stage reject
  (not counted against inputs, pipeline/io/manifest.py); the document is kept, its image members
  renumbered 000, 001, ... in slot order as pipeline/jobs/m3w.py Assemble names them.

Ids sort the way representatives are chosen: a sample id is "BBB/KEY" (BBB: the build's position
in --inputs) and a probe id "BBB/KEY/SSSSS" (slot + 1), so the smallest id is the sample of the
earliest build, then the smallest key, then the earliest slot.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging

import apache_beam as beam
from apache_beam.metrics import Metrics
from PIL import Image, UnidentifiedImageError

from filters.phash import ImageHash, image_hash, strip_padding
from pipeline.dedup.base import sample_image_hashes
from pipeline.steps.rejects import REJECTS, count
from pipeline.steps.slots import SlotDrop, image_count_filter, remove_image_slots
from schemas import M3WSample, PairSample, RejectReason, RejectRecord, Stage, VideoSample

log = logging.getLogger(__name__)

WHOLE = -1  # the slot of a verdict on the whole sample


@dataclasses.dataclass(frozen=True)
class Probe:
    id: str
    kind: str  # "image", "video" or "text"
    sha256: str | None = None
    hashes: tuple[ImageHash, ...] = ()
    text: str | None = None


@dataclasses.dataclass(frozen=True)
class Verdict:
    sid: str
    slot: int
    stage: Stage
    reason: RejectReason
    detail: str
    kept_key: str | None = None


def sample_id(build_index: int, key: str) -> str:
    return f"{build_index:03d}/{key}"


def probe_id(sid: str, slot: int) -> str:
    return f"{sid}/{slot + 1:05d}"


def split_probe_id(pid: str) -> tuple[str, int]:
    sid, slot = pid.rsplit("/", 1)
    return sid, int(slot) - 1


def readable(pid: str, names: list[str]) -> str:
    """ "pairs/KEY" or "m3w/KEY slot 3" for a probe id (rejects' details name the kept copy so)."""
    sid, slot = split_probe_id(pid)
    index, key = sid.split("/", 1)
    where = f"{names[int(index)]}/{key}"
    return where if slot == WHOLE else f"{where} slot {slot}"


def _hash_bytes(data: bytes, original_size) -> ImageHash | None:
    try:
        return image_hash(strip_padding(Image.open(io.BytesIO(data)), original_size))
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        Metrics.counter("release", "undecodable_image").inc()
        log.warning("cannot decode an image for pHash: %s", exc)
        return None


def extract_probes(
    sid: str, sample, *, phash: bool = True, frames: bool = False, texts: bool = False
) -> list[Probe]:
    """The probes of one sample: what a release stage may judge about it."""
    whole = probe_id(sid, WHOLE)
    if isinstance(sample, PairSample):
        hashes = tuple(sample_image_hashes(sample)) if phash else ()
        return [Probe(whole, "image", hashlib.sha256(sample.image.data).hexdigest(), hashes)]
    if isinstance(sample, VideoSample):
        hashes = tuple(sample_image_hashes(sample)) if frames else ()
        # content plus requested segment, as the builds' own dedup: captioned segments of one file stay apart
        return [Probe(whole, "video", sample.identity, hashes)]
    doc = sample.document
    probes = [Probe(whole, "text", text=doc.text())] if texts else []
    for pos, media in sample.fetched_images():
        ref = doc.images[pos]
        size = (
            (ref.original_width, ref.original_height) if ref.original_width and ref.original_height else None
        )
        value = _hash_bytes(media.data, size) if phash else None
        probes.append(
            Probe(
                probe_id(sid, pos),
                "image",
                hashlib.sha256(media.data).hexdigest(),
                (value,) if value is not None else (),
            )
        )
    return probes


class ApplyVerdicts(beam.DoFn):
    """(sid, {"sample": [(index, sample)], "verdicts": [Verdict]}) -> (index, sample) or, tagged
    REJECTS, (index, RejectRecord)."""

    def __init__(self):
        self._count_filter = image_count_filter()

    def _reject(self, index: int, record: RejectRecord):
        return beam.pvalue.TaggedOutput(REJECTS, (index, count(record)))

    def process(self, element):
        _, groups = element
        verdicts = sorted(
            groups["verdicts"], key=lambda v: (v.slot, v.reason.value, v.kept_key or "", v.detail)
        )
        samples = list(groups["sample"])
        for index, dup in samples[1:]:  # a build that holds one key twice (made before keys were unique)
            yield self._reject(
                index,
                RejectRecord(
                    dup.key,
                    dup.source,
                    Stage.READ,
                    RejectReason.DUPLICATE_EXACT,
                    f"build {index} holds key {dup.key} more than once",
                    dup.key,
                ),
            )
        for index, sample in samples[:1]:
            whole = [v for v in verdicts if v.slot == WHOLE]
            if whole:
                v = whole[0]  # one sample, one reject, whichever stages flagged it
                yield self._reject(
                    index, RejectRecord(sample.key, sample.source, v.stage, v.reason, v.detail, v.kept_key)
                )
                continue
            by_slot = {}
            for v in verdicts:
                by_slot.setdefault(v.slot, v)
            if by_slot and isinstance(sample, M3WSample):
                drops = {
                    pos: SlotDrop(v.reason, f"{v.detail} (page {sample.key}, {v.stage.value})", v.kept_key)
                    for pos, v in by_slot.items()
                }
                stage = by_slot[min(by_slot)].stage
                sample, rejects = remove_image_slots(
                    sample, drops, stage=stage, count_filter=self._count_filter
                )
                for record in rejects:
                    yield self._reject(index, record)
                if sample is None:
                    continue
            Metrics.counter("release", "kept").inc()
            yield index, sample
