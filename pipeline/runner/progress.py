"""Progress bars for local builds, with a total (and so an ETA) where the job knows one.

`ShowProgress("pairs")` passes elements through unchanged and ticks a tqdm bar in the process
that runs it; `CountTotal("pairs")` adds each element it sees to that bar's total. A job counts
its inputs (the valid rows of a pair list, the distinct URLs of a URL list) into the total and
ticks every outcome (sample or fetch reject), so the bar ends at its total. The inputs are counted
before a shuffle that precedes the fetches, so on the local runner the total is complete before
the first tick and the ETA holds from the start. With the in-process local runner the bar is the
user's terminal; on a cluster each worker's bar goes to its log, and Beam's own counters are the
progress view.
"""

from __future__ import annotations

import threading

import apache_beam as beam

_BARS: dict[str, object] = {}
_TOTALS: dict[str, int] = {}
_LOCK = threading.Lock()


def _new_bar(label: str, total: int | None):
    from tqdm.auto import tqdm

    return tqdm(desc=label, total=total, unit=" items", leave=True, mininterval=0.5)


def _tick(label: str, total: int | None) -> None:
    with _LOCK:
        bar = _BARS.get(label)
        if bar is None:
            bar = _BARS[label] = _new_bar(label, _TOTALS.get(label) or total)
        bar.update(1)


def _count(label: str) -> None:
    with _LOCK:
        _TOTALS[label] = _TOTALS.get(label, 0) + 1
        bar = _BARS.get(label)
        if bar is not None:
            bar.total = _TOTALS[label]


def bar_state(label: str) -> tuple[int, int | None] | None:
    """(ticks, total) of an open bar, or None (for tests and the job summary)."""
    with _LOCK:
        bar = _BARS.get(label)
        return None if bar is None else (bar.n, bar.total)


def close_bars() -> None:
    """Close every bar (called when a job finishes so the terminal ends on a clean line)."""
    with _LOCK:
        for bar in _BARS.values():
            bar.close()
        _BARS.clear()
        _TOTALS.clear()


class _Tick(beam.DoFn):
    def __init__(self, label: str, total: int | None):
        self.label, self.total = label, total

    def process(self, element):
        _tick(self.label, self.total)
        yield element


class _Count(beam.DoFn):
    def __init__(self, label: str):
        self.label = label

    def process(self, element):
        _count(self.label)
        return ()


class ShowProgress(beam.PTransform):
    def __init__(self, label: str, total: int | None = None, enabled: bool = True, step: str = ""):
        super().__init__(f"Progress[{label}]{step}")  # the transform's label; `bar` names the bar
        self.bar, self.total, self.enabled = label, total, enabled

    def expand(self, pcoll):
        if not self.enabled:
            return pcoll
        return pcoll | beam.ParDo(_Tick(self.bar, self.total))


class CountTotal(beam.PTransform):
    """Adds every element to the total of bar `label`; outputs nothing. Counting is cheap and
    harmless without a bar (`--no-progress`): the totals are cleared with the bars."""

    def __init__(self, label: str):
        super().__init__(f"Total[{label}]")
        self.bar = label

    def expand(self, pcoll):
        return pcoll | beam.ParDo(_Count(self.bar))
