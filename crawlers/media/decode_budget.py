"""A bound on the pixels being decoded at once in one worker process.

One image is bounded by `max_decode_pixels` (a 252 KB PNG just under Pillow's bomb limit decodes
to ~850 MB), but a pairs worker decodes in up to 64 fetch threads at once, so the bound that
keeps a worker alive is on the sum: each decode holds its pixel count from this budget until its
encode is done, and waits while the budget is spent. An image larger than the whole budget runs
alone. One budget per process (every ImageProcessor shares it), sized by the first config that
asks for it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterator


class DecodeBudget:
    def __init__(self, max_pixels: int):
        if max_pixels < 1:
            raise ValueError(f"a decode budget needs at least one pixel, got {max_pixels}")
        self.max_pixels = max_pixels
        self.in_flight = 0
        self.peak = 0  # the most pixels held at once (for tests and logs)
        self._cv = threading.Condition()

    @contextlib.contextmanager
    def hold(self, pixels: int) -> Iterator[None]:
        need = min(max(pixels, 1), self.max_pixels)
        with self._cv:
            while self.in_flight and self.in_flight + need > self.max_pixels:
                self._cv.wait()
            self.in_flight += need
            self.peak = max(self.peak, self.in_flight)
        try:
            yield
        finally:
            with self._cv:
                self.in_flight -= need
                self._cv.notify_all()


_PROCESS_BUDGET: DecodeBudget | None = None
_LOCK = threading.Lock()


def process_budget(max_pixels: int) -> DecodeBudget:
    """This process's budget (created by the first caller, with its size)."""
    global _PROCESS_BUDGET
    with _LOCK:
        if _PROCESS_BUDGET is None:
            _PROCESS_BUDGET = DecodeBudget(max_pixels)
        return _PROCESS_BUDGET
