"""The report's throughput section, drawn from the manifest's `throughput` record.

The record is written by the driver after the run (pipeline/runner/throughput.py, from the
pipeline's own metrics); this module only presents it: a sentence naming what bounded the run, a
table of stages (elements, when the first and the last left, rate while active), a timeline of the
stages' active spans, and the processing time per step. The record's `source` is printed under
it, so a reader knows where every number came from.
"""

from __future__ import annotations

from typing import Any

from pipeline.report import charts
from pipeline.report.page import chart, esc

# Below this share of the wall time, the steps' processing time does not explain the run: the
# runner's own start-up and scheduling between stages does (a small local build).
BUSY_SHARE = 0.5


def _rate(stage: dict[str, Any]) -> str:
    rate = stage.get("per_second")
    return f"{rate:,.1f}" if rate is not None else "— (one instant)"


def bound_sentence(record: dict[str, Any]) -> str:
    """What bounded the run, in one sentence (plain text)."""
    wall, bounded = record.get("wall_seconds", 0), record.get("bounded_by")
    head = f"{wall:.1f} s from start to end on {record.get('runner', '?')}"
    if not bounded:
        return head + "; the runner reported no stage metrics."
    if "step" in bounded:
        total = record.get("processing_seconds") or 0
        text = (
            f"{head}; the step with the most processing time, {bounded['step']}, took "
            f"{bounded['seconds']:.2f} s of {total:.2f} s ({bounded['share']:.0%}) summed over worker threads"
        )
        if wall and total < BUSY_SHARE * wall:
            text += (
                ". All steps together were busy for less than half the wall time: at this size the "
                "runner starting stages and moving data between them bounds the run more than any step"
            )
        return text + "."
    return f"{head}; the stage active longest was {bounded['stage']} ({bounded['seconds']:.2f} s)."


def throughput_section(record: dict[str, Any] | None) -> str:
    if not record:
        return (
            '<p class="note">This manifest has no throughput record: the build ran before stage metrics '
            "were recorded, or on a runner whose result reports no metrics.</p>"
        )
    parts = [f"<p>{esc(bound_sentence(record))}</p>"]
    if record.get("builds_in_run"):
        parts.append(
            f'<p class="note">One pipeline wrote {len(record["builds_in_run"])} builds '
            f"({esc(', '.join(record['builds_in_run']))}): its numbers below cover all of them.</p>"
        )
    stages = record.get("stages") or []
    if stages:
        rows = "".join(
            f"<tr><td>{esc(s['stage'])}</td><td class='num'>{s['elements']:,}</td>"
            f"<td class='num'>{s['first_s']:.2f}</td><td class='num'>{s['last_s']:.2f}</td>"
            f"<td class='num'>{esc(_rate(s))}</td></tr>"
            for s in stages
        )
        parts.append(
            "<table class='stages'><tr><th>stage</th><th class='num'>elements out</th>"
            "<th class='num'>first at (s)</th><th class='num'>last at (s)</th>"
            f"<th class='num'>per second while active</th></tr>{rows}</table>"
            '<p class="note">Each stage counts the elements that left it for the next one (read: every '
            "input); times are seconds since the run started; the rate is elements over the span from "
            "the first to the last.</p>"
        )
        spans = [
            (
                s["stage"],
                s["first_s"],
                s["last_s"],
                f"{s['elements']:,} in {s['last_s'] - s['first_s']:.2f} s",
            )
            for s in stages
        ]
        parts.append(
            chart(
                "Stage activity over the run",
                charts.span_chart(
                    "when each stage's first and last element left it",
                    spans,
                    "seconds since the run started",
                    record.get("wall_seconds", 0),
                ),
            )
        )
    steps = record.get("steps") or []
    if steps:
        shown = {s["step"]: s["seconds"] for s in steps[:12]}
        parts.append(
            chart(
                "Processing time per step",
                charts.bar_chart(
                    "time in each top-level transform, summed over worker threads",
                    shown,
                    "seconds of processing",
                ),
            )
        )
    parts.append(f'<p class="note">Source: {esc(record.get("source", "?"))}.</p>')
    return "".join(parts)
