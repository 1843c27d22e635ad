"""`StageClock`: when elements pass a point of the graph, recorded in the runner's own metrics.

    _ = fetched.samples | StageClock("fetch")                  # a branch: the data path is unchanged
    _ = (rows.good, rows[REJECTS]) | StageClock("read")      # several outputs of one stage

Each element that passes updates a Beam distribution (namespace "stage_clock", name = the stage)
with the wall-clock time in milliseconds since the epoch. The runner aggregates distributions over
every bundle and worker into count, min and max, so after the run `count` is the number of
elements that left the stage, `min` when the first one did and `max` when the last one did, on
any runner that reports distributions (FnApiRunner, Dataflow, Flink, Spark). The driver reads
them from the PipelineResult (pipeline/runner/throughput.py) for the manifest and the report.

Why a distribution and not a counter plus timestamps kept elsewhere: it is the one metric kind
that carries min and max across workers, and it costs one update per element in the worker
that already holds it (no extra shuffle, no state on the driver).
"""

from __future__ import annotations

import time

import apache_beam as beam
from apache_beam.metrics import Metrics

NAMESPACE = "stage_clock"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


class _Clock(beam.DoFn):
    def __init__(self, stage: str):
        self.stage = stage
        self.passed = Metrics.distribution(NAMESPACE, stage)

    def process(self, element):
        self.passed.update(now_ms())
        yield element


class StageClock(beam.PTransform):
    """Apply to a PCollection, or a tuple of them that together leave one stage: each element's
    passing time goes to the "stage_clock" distribution named `stage` (see the module docstring).

    A dead-end branch beside the data path (each input gets its own ParDo, fused into the stage
    that makes it; nothing is flattened, so nothing is materialised for the clock)."""

    def __init__(self, stage: str):
        super().__init__(f"Clock[{stage}]")
        self.stage = stage

    def expand(self, pcolls):
        pcolls = pcolls if isinstance(pcolls, tuple) else (pcolls,)
        for i, pcoll in enumerate(pcolls):
            _ = pcoll | f"Passed{i}" >> beam.ParDo(_Clock(self.stage))
        return beam.pvalue.PDone(pcolls[0].pipeline)
