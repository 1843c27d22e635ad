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
from filters.samples import IMAGE_EXTS, sample_source
from pipeline.dedup.base import sample_document, sample_image_hashes, without_image_slots
from pipeline.dedup.deduplicate import video_identity
from pipeline.steps.filtering import IMAGE_STAGE, image_reject_key
from schemas import RejectReason, RejectRecord, ShardSample

log = logging.getLogger(__name__)

WHOLE = -1  # the slot of a verdict on the whole sample
REJECTS = "rejects"


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
    stage: str
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
    """"pairs/KEY" or "m3w/KEY slot 3" for a probe id (rejects' details name the kept copy so)."""
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


def _single_image(sample: ShardSample) -> bytes | None:
    return next((sample.members[e] for e in IMAGE_EXTS if e in sample.members), None)


def extract_probes(sid: str, sample: ShardSample, job: str, *, phash: bool = True, frames: bool = False,
                   texts: bool = False) -> list[Probe]:
    """The probes of one sample of a `job` build: what a release stage may judge about it."""
    whole = probe_id(sid, WHOLE)
    if job == "pairs":
        data = _single_image(sample)
        if data is None:
            return []
        hashes = tuple(sample_image_hashes(sample)) if phash else ()
        return [Probe(whole, "image", hashlib.sha256(data).hexdigest(), hashes)]
    if job == "videos":
        hashes = tuple(sample_image_hashes(sample)) if frames else ()
        # content plus requested segment, as the builds' own dedup: captioned segments of one file stay apart
        return [Probe(whole, "video", video_identity(sample), hashes)]
    doc = sample_document(sample)
    if doc is None:
        Metrics.counter("release", "m3w_without_document").inc()
        return []
    names = doc.metadata.get("image_members") or []
    slots = doc.image_slots()
    probes = [Probe(whole, "text", text=doc.text())] if texts else []
    for (pos, ref), name in zip(slots, names if len(names) == len(slots) else [None] * len(slots), strict=True):
        data = sample.members.get(name) if name else None
        if data is None:
            continue  # an unfetched slot: nothing to compare
        size = (ref.original_width, ref.original_height) if ref.original_width and ref.original_height else None
        value = _hash_bytes(data, size) if phash else None
        probes.append(Probe(probe_id(sid, pos), "image", hashlib.sha256(data).hexdigest(),
                            (value,) if value is not None else ()))
    return probes


class ApplyVerdicts(beam.DoFn):
    """(sid, {"sample": [(index, sample)], "verdicts": [Verdict]}) -> (index, ShardSample) or, tagged
    REJECTS, (index, RejectRecord)."""

    def __init__(self, jobs: list[str]):
        self._jobs = jobs

    def process(self, element):
        _, groups = element
        verdicts = sorted(groups["verdicts"], key=lambda v: (v.slot, v.reason.value, v.kept_key or "", v.detail))
        for index, sample in groups["sample"]:
            whole = [v for v in verdicts if v.slot == WHOLE]
            if whole:
                v = whole[0]  # one sample, one reject, whichever stages flagged it
                Metrics.counter("release", f"{v.stage}_{v.reason.value}").inc()
                yield beam.pvalue.TaggedOutput(REJECTS, (index, RejectRecord(
                    sample.key, sample_source(sample), v.stage, v.reason, v.detail, v.kept_key)))
                continue
            by_slot = {}
            for v in verdicts:
                by_slot.setdefault(v.slot, v)
            if by_slot and self._jobs[index] == "m3w":
                doc = sample_document(sample)
                for pos, v in sorted(by_slot.items()):
                    url = doc.images[pos].url
                    Metrics.counter("release", f"{IMAGE_STAGE}_{v.reason.value}").inc()
                    yield beam.pvalue.TaggedOutput(REJECTS, (index, RejectRecord(
                        image_reject_key(sample.key, url), url, IMAGE_STAGE, v.reason,
                        f"{v.detail} (page {sample.key}, {v.stage})", v.kept_key)))
                sample = without_image_slots(sample, set(by_slot))
                if sample_document(sample).num_images == 0:
                    # the build's rule holds after a release step too: a page keeps at least one image
                    stage = by_slot[min(by_slot)].stage
                    Metrics.counter("release", f"{stage}_{RejectReason.TOO_FEW_IMAGES.value}").inc()
                    yield beam.pvalue.TaggedOutput(REJECTS, (index, RejectRecord(
                        sample.key, sample_source(sample), stage, RejectReason.TOO_FEW_IMAGES,
                        f"all {len(by_slot)} image slots were removed by {stage}")))
                    continue
            Metrics.counter("release", "kept").inc()
            yield index, sample
