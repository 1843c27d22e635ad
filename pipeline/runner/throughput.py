"""Stage throughput of a finished run, from the pipeline's own metrics, for the manifest and report.

Two sources, both read from the PipelineResult on the driver once the run is over:

- stage clocks (pipeline/steps/clock.py): per stage, how many elements left it for the next stage
  (the read stage: every input) and when the first and the last did. Every runner that reports
  distributions has them. A stage's rate is its elements over its active span (first to last
  element), so a stage that waited for an earlier one is not charged for the wait before its
  first element.
- processing time per step: FnApiRunner's execution-time metric
  (`beam:metric:ptransform_execution_time:total_msecs:v1`, sampled by the SDK harness) summed per
  top-level transform of the graph ("FetchAndProcess", "WriteShards", ...), over every worker
  thread. Time a DoFn spends waiting on the network counts: it is what the run waited on.

Counters of dedup's graph work (namespace "components": hot LSH buckets split, edges and nodes
the connected components' rounds left to the exact residual step) go to `counters`, so what a
build did at scale is in its manifest, not only in the log.

The stage that bounded the run is the step with the most processing time where the runner
reports it; elsewhere (Dataflow's metrics API does not carry these counters) it is the stage with
the longest active span, and the record says which rule named it. Stages that run side by side
(fused) share their span, which is why processing time decides when it is there.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from apache_beam.metrics.metric import MetricsFilter

from pipeline.steps.clock import NAMESPACE as CLOCK_NAMESPACE

log = logging.getLogger(__name__)

EXECUTION_TIME = "metric:ptransform_execution_time:total_msecs:v1"  # namespace "beam"
# Stages in graph order (an unknown stage goes last): how the table and the timeline read.
STAGE_ORDER = ("read", "fetch", "extract", "images", "assemble", "filter", "dedup", "write")
SOURCE = (
    "stage clocks: Beam distributions (namespace 'stage_clock') updated by every element leaving a "
    "stage, aggregated by the runner; processing time: the runner's execution-time metric "
    f"(beam:{EXECUTION_TIME}), summed per top-level transform over all worker threads; wall time: "
    "the driver's clock around the run"
)


def _value(result) -> Any:
    return result.committed if result.committed is not None else result.attempted


def read_clocks(metrics_results) -> dict[str, tuple[int, int, int]]:
    """{stage: (count, first ms, last ms)} from the stage-clock distributions (merged by name)."""
    out: dict[str, tuple[int, int, int]] = {}
    for r in metrics_results.query(MetricsFilter().with_namespace(CLOCK_NAMESPACE))["distributions"]:
        d = _value(r)
        if d is None or not d.count:
            continue
        name = r.key.metric.name
        if name in out:
            n, lo, hi = out[name]
            out[name] = (n + d.count, min(lo, d.min), max(hi, d.max))
        else:
            out[name] = (d.count, d.min, d.max)
    return out


COUNTER_NAMESPACES = ("components",)  # dedup's graph work: hot LSH buckets, the components' residual


def read_counters(metrics_results, namespaces=COUNTER_NAMESPACES) -> dict[str, int]:
    """{"namespace/name": value} of the user counters in `namespaces`, summed over steps."""
    out: dict[str, int] = {}
    for r in metrics_results.query(MetricsFilter())["counters"]:
        if r.key.metric.namespace not in namespaces:
            continue
        name = f"{r.key.metric.namespace}/{r.key.metric.name}"
        out[name] = out.get(name, 0) + int(_value(r) or 0)
    return dict(sorted(out.items()))


def read_step_msecs(result) -> dict[str, int]:
    """{top-level transform: processing ms} where the runner reports execution time, else {}."""
    monitoring = getattr(result, "monitoring_metrics", None)  # FnApiRunner's RunnerResult
    if monitoring is None:
        return {}
    out: dict[str, int] = {}
    for r in monitoring().query()["counters"]:
        if r.key.metric.name != EXECUTION_TIME or not r.key.step:
            continue
        top = r.key.step.split("/", 1)[0]
        out[top] = out.get(top, 0) + int(_value(r) or 0)
    return out


def _order(stage: str) -> tuple[int, str]:
    return (STAGE_ORDER.index(stage) if stage in STAGE_ORDER else len(STAGE_ORDER), stage)


def summarise(
    clocks: dict[str, tuple[int, int, int]],
    step_msecs: dict[str, int],
    started_ms: int,
    finished_ms: int,
    runner: str,
) -> dict[str, Any]:
    """The manifest's `throughput` record (see the module docstring); times in seconds since the
    run started, rates in elements per second of each stage's active span (None for a span under
    a millisecond, where a rate would be noise)."""
    stages = []
    for stage in sorted(clocks, key=_order):
        count, first, last = clocks[stage]
        span_s = (last - first) / 1000
        stages.append(
            {
                "stage": stage,
                "elements": count,
                "first_s": round((first - started_ms) / 1000, 3),
                "last_s": round((last - started_ms) / 1000, 3),
                "per_second": round(count / span_s, 2) if span_s >= 0.001 else None,
            }
        )
    steps = sorted(
        ({"step": s, "seconds": round(ms / 1000, 3)} for s, ms in step_msecs.items() if ms > 0),
        key=lambda s: (-s["seconds"], s["step"]),
    )
    total_s = sum(s["seconds"] for s in steps)
    if steps:
        bounded = {
            "step": steps[0]["step"],
            "seconds": steps[0]["seconds"],
            "share": round(steps[0]["seconds"] / total_s, 3),
            "rule": "the top-level step with the most processing time (runner's execution-time metric)",
        }
    elif stages:
        longest = max(stages, key=lambda s: (s["last_s"] - s["first_s"], s["stage"]))
        bounded = {
            "stage": longest["stage"],
            "seconds": round(longest["last_s"] - longest["first_s"], 3),
            "rule": "the stage with the longest active span (this runner reports no execution time)",
        }
    else:
        bounded = None
    return {
        "source": SOURCE,
        "runner": runner,
        "started": dt.datetime.fromtimestamp(started_ms / 1000, dt.timezone.utc).isoformat(
            timespec="seconds"
        ),
        "wall_seconds": round((finished_ms - started_ms) / 1000, 3),
        "stages": stages,
        "processing_seconds": round(total_s, 3),
        "steps": steps,
        "bounded_by": bounded,
    }


def from_result(result, started_ms: int, finished_ms: int, runner: str) -> dict[str, Any]:
    """The `throughput` record of a finished run; empty parts where the runner reports nothing."""
    metrics = result.metrics()
    record = summarise(read_clocks(metrics), read_step_msecs(result), started_ms, finished_ms, runner)
    record["counters"] = read_counters(metrics)
    return record
