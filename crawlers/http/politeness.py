"""Per-host politeness: at most N requests in flight to one host, and a minimum gap between starts.

A URL list sorted by host would otherwise point every thread at one server at once; image
hosts answer that with 429s or bans, which is where much of img2dataset's failure rate comes
from (its issues ask for exactly this limit). The state is per process; on a cluster each
worker is polite on its own, so the effective rate is workers x this.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator


class HostPoliteness:
    def __init__(self, per_host_concurrency: int, per_host_interval: float):
        if per_host_concurrency < 1:
            raise ValueError(f"per_host_concurrency must be >= 1, got {per_host_concurrency}")
        self._concurrency = per_host_concurrency
        self._interval = max(0.0, per_host_interval)
        self._lock = threading.Lock()
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._next_start: dict[str, float] = {}

    @contextlib.contextmanager
    def slot(self, host: str) -> Iterator[None]:
        """Hold one of `host`'s request slots, starting no sooner than the interval allows."""
        with self._lock:
            sem = self._slots.get(host)
            if sem is None:
                sem = self._slots[host] = threading.BoundedSemaphore(self._concurrency)
        sem.acquire()
        try:
            if self._interval:
                with self._lock:
                    now = time.monotonic()
                    start = max(now, self._next_start.get(host, now))
                    self._next_start[host] = start + self._interval
                if start > now:
                    time.sleep(start - now)
            yield
        finally:
            sem.release()
