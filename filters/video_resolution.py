"""Minimum video resolution: VideoResolutionFilter.

The same 64 px minimum side as images (paper, A.3.1), read from the source frame size
(`extra["original_width"/"original_height"]` when the job resized frames, else width/height).
A side exactly at `min_side` is kept; unknown sizes are kept.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from filters.base import KEEP, Filter, Keep, Reject, register
from filters.video_duration import video_pair_of
from schemas import RejectReason


@register("video_resolution")
@dataclasses.dataclass(frozen=True, kw_only=True)
class VideoResolutionFilter(Filter):
    kinds = frozenset({"video"})

    min_side: int = 64

    def filter(self, sample: Any) -> Keep | Reject:
        pair = video_pair_of(sample)
        if pair is None:
            return KEEP
        width = pair.extra.get("original_width", pair.width)
        height = pair.extra.get("original_height", pair.height)
        if width is None or height is None:
            return KEEP
        if min(width, height) < self.min_side:
            return Reject(
                RejectReason.VIDEO_TOO_SMALL, f"{width}x{height}: side {min(width, height)} < {self.min_side}"
            )
        return KEEP
