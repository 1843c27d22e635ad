"""Stage throughput from the pipeline's own metrics: stage clocks and the runner's execution time."""

from __future__ import annotations

import json
import time

import apache_beam as beam

from pipeline.runner.launch import record_throughput, run_pipeline
from pipeline.runner.throughput import summarise
from pipeline.steps.clock import StageClock


def test_summarise_orders_stages_rates_them_and_names_the_busiest_step():
    clocks = {  # stage: (elements, first ms, last ms)
        "write": (10, 5000, 5000),
        "read": (12, 1000, 1100),
        "fetch": (10, 1200, 4200),
        "custom": (3, 4300, 4400),
    }
    steps = {"FetchAndProcess": 2500, "WriteShards": 400, "ReadRows": 100, "Idle": 0}
    record = summarise(clocks, steps, started_ms=500, finished_ms=6500, runner="FnApiRunner")
    assert [
        (s["stage"], s["elements"], s["first_s"], s["last_s"], s["per_second"]) for s in record["stages"]
    ] == [
        ("read", 12, 0.5, 0.6, 120.0),
        ("fetch", 10, 0.7, 3.7, 3.33),
        ("write", 10, 4.5, 4.5, None),  # one instant: no rate
        ("custom", 3, 3.8, 3.9, 30.0),  # a stage outside STAGE_ORDER goes last
    ]
    assert record["steps"] == [
        {"step": "FetchAndProcess", "seconds": 2.5},
        {"step": "WriteShards", "seconds": 0.4},
        {"step": "ReadRows", "seconds": 0.1},
    ]
    assert record["bounded_by"] == {
        "step": "FetchAndProcess",
        "seconds": 2.5,
        "share": 0.833,
        "rule": "the top-level step with the most processing time (runner's execution-time metric)",
    }
    assert (record["wall_seconds"], record["processing_seconds"], record["runner"]) == (
        6.0,
        3.0,
        "FnApiRunner",
    )
    assert "stage_clock" in record["source"] and "ptransform_execution_time" in record["source"]


def test_without_execution_time_the_longest_active_stage_bounds_the_run():
    record = summarise({"read": (5, 0, 100), "fetch": (5, 50, 2050)}, {}, 0, 3000, "DataflowRunner")
    assert record["steps"] == [] and record["processing_seconds"] == 0
    assert record["bounded_by"] == {
        "stage": "fetch",
        "seconds": 2.0,
        "rule": "the stage with the longest active span (this runner reports no execution time)",
    }
    assert summarise({}, {}, 0, 10, "X")["bounded_by"] is None


def _slow(x: int) -> int:
    time.sleep(0.02)
    return x


def test_a_real_run_records_stage_counts_and_the_step_that_took_the_time(tmp_path):
    def build(p):
        rows = p | "Rows" >> beam.Create(list(range(20)))
        _ = rows | "ClockRead" >> StageClock("read")
        slow = rows | "Slow" >> beam.Map(_slow)
        kept = slow | "Even" >> beam.Filter(lambda x: x % 2 == 0)
        _ = (kept, slow | "Odd" >> beam.Filter(lambda x: x % 2)) | StageClock(
            "fetch"
        )  # two outputs, one stage

    run = run_pipeline("local", str(tmp_path), ["--runner=FnApiRunner"], build)
    record = run.throughput()
    assert {s["stage"]: s["elements"] for s in record["stages"]} == {"read": 20, "fetch": 20}
    fetch = record["stages"][1]
    assert 0 <= fetch["first_s"] <= fetch["last_s"] <= record["wall_seconds"]
    # 20 sleeps of 20 ms in "Slow" (the sampler reads ~0.4 s): more processing time than any other step
    assert record["bounded_by"]["step"] == "Slow" and record["bounded_by"]["seconds"] >= 0.2
    assert record["runner"] == "FnApiRunner"

    # the driver adds the record to a finished build's manifest, rewriting it in place
    (tmp_path / "manifest.json").write_text(json.dumps({"job": "pairs", "written": 3}))
    manifest = record_throughput(str(tmp_path), run)
    on_disk = json.loads((tmp_path / "manifest.json").read_text())
    assert on_disk == manifest and on_disk["written"] == 3
    assert [s["elements"] for s in on_disk["throughput"]["stages"]] == [20, 20]
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]  # no temporary left behind
