"""Progress bars: a counted total before the shuffle, so the bar ends at its total (and has an ETA)."""

from __future__ import annotations

import apache_beam as beam

from pipeline.runner import progress
from pipeline.runner.local_runner import LocalRunner
from pipeline.runner.options import make_pipeline_options

STATES: list = []  # what the bar showed as each element passed it (the runner is in-process)


def remember(element):
    STATES.append(progress.bar_state("items"))
    return element


def test_bar_total_is_the_counted_inputs_and_ends_full():
    STATES.clear()
    try:
        with beam.Pipeline(runner=LocalRunner(), options=make_pipeline_options([])) as p:
            rows = p | beam.Create(range(7))
            _ = rows | progress.CountTotal("items")
            _ = rows | beam.Reshuffle() | progress.ShowProgress("items") | beam.Map(remember)
        assert progress.bar_state("items") == (7, 7)
        assert STATES == [(n, 7) for n in range(1, 8)]  # the total was complete from the first tick
    finally:
        progress.close_bars()
    assert progress.bar_state("items") is None


def test_disabled_bar_passes_elements_and_opens_nothing():
    with beam.Pipeline(runner=LocalRunner(), options=make_pipeline_options([])) as p:
        out = p | beam.Create([1, 2]) | progress.ShowProgress("off", enabled=False)
        _ = out | progress.CountTotal("off")
    assert progress.bar_state("off") is None
    progress.close_bars()
