"""Video duration bounds: VideoDurationFilter.

The paper's VTP clips average 22 s (appendix A.3.3) and training samples 8 frames at 1 fps, so
clips under 1 s cannot fill a sample; very long videos are mostly not about their caption.
Bounds are inclusive; a video of unknown duration is kept (the fetch stage rejects undecodable ones).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from filters.base import KEEP, Filter, Keep, Reject, register
from filters.samples import DecodedVideo
from schemas import RejectReason, VideoTextPair


def video_pair_of(sample: Any) -> VideoTextPair | None:
    if isinstance(sample, DecodedVideo):
        return sample.pair
    return sample if isinstance(sample, VideoTextPair) else None


@register("video_duration")
@dataclasses.dataclass(frozen=True, kw_only=True)
class VideoDurationFilter(Filter):
    kinds = frozenset({"video"})

    min_seconds: float = 1.0
    max_seconds: float | None = 600.0

    def filter(self, sample: Any) -> Keep | Reject:
        pair = video_pair_of(sample)
        if pair is None or pair.duration is None:
            return KEEP
        if pair.duration < self.min_seconds:
            return Reject(
                RejectReason.VIDEO_TOO_SHORT, f"duration {pair.duration:.3f} s < {self.min_seconds}"
            )
        if self.max_seconds is not None and pair.duration > self.max_seconds:
            return Reject(RejectReason.VIDEO_TOO_LONG, f"duration {pair.duration:.3f} s > {self.max_seconds}")
        return KEEP
