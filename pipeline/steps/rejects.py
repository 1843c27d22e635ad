"""One way to reject: a RejectRecord tagged for a DoFn's rejects output, and counted.

    yield reject(key, source, Stage.FETCH, RejectReason.TIMEOUT, "read timed out")
    yield tag(record)                       # a RejectRecord made elsewhere (a codec, a reader)

Every job's steps emit rejects through these two, so each reject is counted once under one
name: Beam counter namespace "rejects", name "STAGE:REASON" (e.g. "fetch:http_404"), the same
pair the rejects table and the manifest group by. Kept samples are counted by the steps
themselves (namespace = the step, name "kept" or "written").
"""

from __future__ import annotations

import apache_beam as beam
from apache_beam.metrics import Metrics

from schemas import RejectReason, RejectRecord, Stage

REJECTS = "rejects"  # the tag of every step's rejects output
NAMESPACE = "rejects"


def counter_name(stage: Stage | str, reason: RejectReason | str) -> str:
    return f"{Stage.parse(stage).value}:{RejectReason.parse(reason).value}"


def count(record: RejectRecord) -> RejectRecord:
    Metrics.counter(NAMESPACE, counter_name(record.stage, record.reason)).inc()
    return record


def tag(record: RejectRecord) -> beam.pvalue.TaggedOutput:
    """`record`, counted, for the REJECTS output."""
    return beam.pvalue.TaggedOutput(REJECTS, count(record))


def reject(
    key: str, source: str, stage: Stage, reason: RejectReason, detail: str = "", kept_key: str | None = None
) -> beam.pvalue.TaggedOutput:
    """A new RejectRecord, counted, for the REJECTS output."""
    return tag(RejectRecord(key, source, stage, reason, detail, kept_key))
