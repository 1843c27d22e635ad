"""Progress bars for local builds.

`ShowProgress("pages")` passes elements through unchanged and ticks a tqdm bar in the
process that runs it. With the in-process local runner that is the user's terminal; on a
cluster each worker's bar goes to its log, and Beam's own counters are the progress view.
"""

from __future__ import annotations

import threading

import apache_beam as beam

_BARS: dict[str, object] = {}
_LOCK = threading.Lock()


def _tick(label: str, total: int | None) -> None:
    from tqdm.auto import tqdm

    with _LOCK:
        bar = _BARS.get(label)
        if bar is None:
            bar = _BARS[label] = tqdm(desc=label, total=total, unit=" items", leave=True, mininterval=0.5)
        bar.update(1)


def close_bars() -> None:
    """Close every bar (called when a job finishes so the terminal ends on a clean line)."""
    with _LOCK:
        for bar in _BARS.values():
            bar.close()
        _BARS.clear()


class _Tick(beam.DoFn):
    def __init__(self, label: str, total: int | None):
        self.label, self.total = label, total

    def process(self, element):
        _tick(self.label, self.total)
        yield element


class ShowProgress(beam.PTransform):
    def __init__(self, label: str, total: int | None = None, enabled: bool = True):
        super().__init__(f"Progress[{label}]")
        self.label, self.total, self.enabled = label, total, enabled

    def expand(self, pcoll):
        if not self.enabled:
            return pcoll
        return pcoll | beam.ParDo(_Tick(self.label, self.total))
