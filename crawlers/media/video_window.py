"""Which seconds of a video become the sample: a clip window, deterministic from the key.

A sample is T frames at F fps, so it needs a window of T/F seconds. The segment is the whole
video, or the input row's [start, end) when given (captions of a video's segments, as in
VATEX/HowTo100M lists). A segment longer than the window gets a start drawn uniformly from a
generator seeded by (seed, key): the same key gives the same window on every run and worker,
and a different --seed gives another draw. Starts are floored to milliseconds so they print,
store and compare exactly.
"""

from __future__ import annotations

import dataclasses
import math
import random

from crawlers.media.video_frames import frames_available
from schemas.keys import stable_key


class WindowError(ValueError):
    """The row's start/end cannot describe a segment of this video."""


@dataclasses.dataclass(frozen=True)
class ClipWindow:
    start: float  # seconds from the container start: the first frame's time
    end: float  # the segment end the frames must stay before
    num_frames: int  # ticks start + k/fps that fall before `end`, at most T


def choose_window(
    key: str,
    duration: float,
    *,
    fps: float,
    num_frames: int,
    seed: int = 0,
    start: float | None = None,
    end: float | None = None,
) -> ClipWindow:
    seg_start = 0.0 if start is None else float(start)
    seg_end = duration if end is None else min(float(end), duration)
    if seg_start < 0 or (end is not None and float(end) <= seg_start):
        raise WindowError(f"bad segment start={start} end={end}: need 0 <= start < end")
    if seg_start >= duration:
        raise WindowError(f"segment start {seg_start:.3f} s is past the video's end ({duration:.3f} s)")
    needed = num_frames / fps
    slack = seg_end - seg_start - needed
    if slack <= 0:
        return ClipWindow(seg_start, seg_end, min(num_frames, frames_available(seg_start, seg_end, fps)))
    draw = random.Random(stable_key("clip-window", seed, key)).random()
    clip_start = math.floor((seg_start + draw * slack) * 1000) / 1000
    return ClipWindow(clip_start, seg_end, num_frames)
