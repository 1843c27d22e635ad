"""Counted sample errors and the loud failure for a pipeline that yields nothing.

A corrupt sample (an undecodable image, malformed JSON, a missing member) is skipped and
counted by reason; the counts travel with every batch so the trainer can report them. We
never sleep on an error (webdataset's `warn_and_continue` sleeps 0.5 s per bad sample), and
never end an epoch silently empty: that is an `EmptyPipelineError` naming the shards.
"""

from __future__ import annotations

from collections import Counter


class SampleError(ValueError):
    """One sample cannot be used; `reason` is a short stable label for the counters."""

    def __init__(self, reason: str, detail: str):
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


class EmptyPipelineError(RuntimeError):
    """A stream produced no usable sample in a whole epoch."""

    def __init__(self, urls: list[str], errors: dict[str, int] | None = None, what: str = "samples"):
        shown = ", ".join(urls[:5]) + (f", ... ({len(urls)} in all)" if len(urls) > 5 else "")
        detail = f"; sample errors by reason: {dict(errors)}" if errors else ""
        super().__init__(
            f"the data pipeline produced no {what} from shard(s) [{shown}]{detail}. "
            "Check the shard URLs, that the shards hold this dataset's members, and the decode errors."
        )
        self.urls, self.errors = list(urls), dict(errors or {})


class ErrorCounts:
    """Sample errors by reason, with the last detail of each kind for the report."""

    def __init__(self, counts: dict[str, int] | None = None):
        self.counts: Counter[str] = Counter(counts or {})
        self.examples: dict[str, str] = {}

    def add(self, error: SampleError, where: str) -> None:
        self.counts[error.reason] += 1
        self.examples[error.reason] = f"{where}: {error.detail}"[:300]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.counts.items()))
