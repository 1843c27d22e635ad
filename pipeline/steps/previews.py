"""Pictures of rejected inputs for the build report: a few per reason, chosen the same way every run.

Rejected images are not written to shards, yet a person judging a filter wants to see what it
took out. A step that rejects an image it has decoded also emits a preview on its PREVIEWS output:

    yield reject(key, url, Stage.FILTER, reason, detail)
    yield preview(key, url, Stage.FILTER, reason, detail, image_bytes)

and the job hands those outputs to `WriteRejectPreviews(output_dir)`, which keeps, per (stage,
reason), the PER_REASON previews with the smallest keys and writes them as small JPEG thumbnails
to `reject_previews.parquet` next to the shards. Keys are hashes of the source, so the smallest
keys are an unbiased sample that does not depend on bundles, workers or input order.

Bounded: `Top.PerKey` is a combiner, lifted before the shuffle, so each bundle passes on at most
PER_REASON previews per reason whatever the build's size; the rest of a rejected image's bytes go
no further than the step that rejected it. Each producing step's previews are reduced that way on
their own before the producers are flattened (a flatten of outputs from different fused stages is
materialised, and must not carry every rejected image). The file is tiny: PER_REASON x reasons.
"""

from __future__ import annotations

import dataclasses

import apache_beam as beam
import pyarrow as pa
from apache_beam.io.filesystems import FileSystems

from pipeline.io.shard_files import write_parquet_atomic
from pipeline.report.thumbnails import thumbnail
from schemas import PairSample, RejectReason, Stage, VideoSample

PREVIEWS = "previews"  # the tag of a step's preview output
PREVIEWS_NAME = "reject_previews.parquet"
PER_REASON = 4  # previews kept per (stage, reason): the report shows up to this many per reason
PREVIEW_SCHEMA = pa.schema(
    [
        ("key", pa.string()),
        ("source", pa.string()),
        ("stage", pa.string()),
        ("reason", pa.string()),
        ("detail", pa.string()),
        ("thumbnail", pa.binary()),  # JPEG, pipeline/report/thumbnails.py; null if it did not decode
    ]
)


@dataclasses.dataclass(frozen=True)
class RejectPreview:
    key: str  # the reject's key (as in the rejects table)
    source: str
    stage: str
    reason: str
    detail: str
    image: bytes  # the rejected image as the step held it (encoded)


def preview(
    key: str, source: str, stage: Stage, reason: RejectReason, detail: str, image: bytes | None
) -> list[beam.pvalue.TaggedOutput]:
    """The PREVIEWS output for one rejected image (none without image bytes): `yield from` it."""
    if not image:
        return []
    stage, reason = Stage.parse(stage).value, RejectReason.parse(reason).value
    return [
        beam.pvalue.TaggedOutput(PREVIEWS, RejectPreview(key, source, stage, reason, detail[:500], image))
    ]


def sample_image(sample) -> bytes | None:
    """The image a preview of a rejected sample shows: a pair's image, a video's first frame; None
    for a page (a page is rejected for its text or its image count, not for one picture)."""
    if isinstance(sample, PairSample):
        return sample.image.data
    if isinstance(sample, VideoSample):
        return sample.frames[0] if sample.frames else None
    return getattr(sample, "data", None)  # filters' ImageSample


def _preview_key(p: RejectPreview) -> str:
    return p.key


class SmallestPreviews(beam.PTransform):
    """Per (stage, reason), the `n` previews with the smallest keys (a lifted combiner)."""

    def __init__(self, n: int = PER_REASON, label: str | None = None):
        super().__init__(label)
        self.n = n

    def expand(self, previews):
        return (
            previews
            | "ByReason" >> beam.Map(lambda p: ((p.stage, p.reason), p))
            | "Smallest" >> beam.combiners.Top.PerKey(self.n, key=_preview_key, reverse=True)
            | "Unpack" >> beam.FlatMap(lambda kv: kv[1])
        )


def preview_row(p: RejectPreview) -> dict:
    return {
        "key": p.key,
        "source": p.source,
        "stage": p.stage,
        "reason": p.reason,
        "detail": p.detail,
        "thumbnail": thumbnail(p.image),
    }


def _write(rows: list[dict], path: str) -> str:
    rows = sorted(rows, key=lambda r: (r["stage"], r["reason"], r["key"]))
    write_parquet_atomic(path, pa.Table.from_pylist(rows, schema=PREVIEW_SCHEMA))
    return path


class WriteRejectPreviews(beam.PTransform):
    """Apply to a tuple of PREVIEWS outputs (one per producing step): writes PREVIEWS_NAME in
    `output_dir` (an empty table when no step rejected a decoded image)."""

    def __init__(self, output_dir: str, n: int = PER_REASON):
        super().__init__()
        self.path, self.n = FileSystems.join(output_dir, PREVIEWS_NAME), n

    def expand(self, producers):
        reduced = [pcoll | f"SmallestOf{i}" >> SmallestPreviews(self.n) for i, pcoll in enumerate(producers)]
        flat = reduced[0] if len(reduced) == 1 else tuple(reduced) | "AllPreviews" >> beam.Flatten()
        return (
            flat
            | "SmallestOverall" >> SmallestPreviews(self.n)
            | "Thumbnails" >> beam.Map(preview_row)
            | "Collect" >> beam.combiners.ToList()
            | "Write" >> beam.Map(_write, self.path)
        )
