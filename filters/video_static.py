"""Near-static videos: VideoStaticFilter.

A slideshow of one picture or a black screen with audio has nothing temporal to learn from.
Frames are reduced to `analysis_side` px grayscale; the video is static when the mean absolute
difference between consecutive frames (0..255 units) stays below `min_motion` for every pair.
Needs decoded frames (a DecodedVideo); fewer than 2 frames are kept (nothing to compare).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from PIL import Image

from filters.base import KEEP, Filter, Keep, Reject, register
from filters.samples import DecodedVideo
from schemas import RejectReason


def _gray(frame: Any, side: int) -> np.ndarray:
    img = frame if isinstance(frame, Image.Image) else Image.fromarray(np.asarray(frame, dtype=np.uint8))
    return np.asarray(img.convert("L").resize((side, side), Image.Resampling.BOX), dtype=np.float32)


def max_frame_motion(frames: list[Any], side: int = 32) -> float:
    """The largest mean absolute difference between consecutive frames."""
    grays = [_gray(f, side) for f in frames]
    return max(float(np.abs(a - b).mean()) for a, b in zip(grays, grays[1:], strict=False))


@register("video_static")
@dataclasses.dataclass(frozen=True, kw_only=True)
class VideoStaticFilter(Filter):
    kinds = frozenset({"video"})

    min_motion: float = 1.0
    analysis_side: int = 32

    def filter(self, sample: Any) -> Keep | Reject:
        if not isinstance(sample, DecodedVideo) or len(sample.frames) < 2:
            return KEEP
        motion = max_frame_motion(sample.frames, self.analysis_side)
        if motion < self.min_motion:
            return Reject(RejectReason.VIDEO_STATIC, f"max frame difference {motion:.3f} < {self.min_motion}")
        return KEEP
