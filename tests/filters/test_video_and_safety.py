"""Video rules and the optional safety hook."""

import numpy as np
import pytest

from filters import (
    KEEP,
    DecodedVideo,
    Reject,
    SafetyFilter,
    VideoDurationFilter,
    VideoResolutionFilter,
    VideoStaticFilter,
    build_filter,
)
from schemas import ImageTextPair, RejectReason, VideoTextPair


def video(duration=10.0, w=224, h=224, **extra):
    return VideoTextPair(
        key="v", url="http://x.test/v.mp4", caption="c", duration=duration, width=w, height=h, extra=extra
    )


@pytest.mark.parametrize(
    "duration,expected",
    [
        (1.0, KEEP),
        (0.999, Reject(RejectReason.VIDEO_TOO_SHORT, "duration 0.999 s < 1.0")),
        (600.0, KEEP),
        (600.5, Reject(RejectReason.VIDEO_TOO_LONG, "duration 600.500 s > 600.0")),
        (None, KEEP),
    ],
)
def test_duration(duration, expected):
    assert VideoDurationFilter().filter(video(duration)) == expected


def test_resolution_reads_the_source_size():
    f = VideoResolutionFilter()
    assert f.filter(video(w=64, h=64)) == KEEP
    assert f.filter(video(w=63, h=64)) == Reject(RejectReason.VIDEO_TOO_SMALL, "63x64: side 63 < 64")
    assert f.filter(video(original_width=320, original_height=40)) == Reject(
        RejectReason.VIDEO_TOO_SMALL, "320x40: side 40 < 64"
    )


def test_static_video():
    rng = np.random.default_rng(0)
    still = rng.integers(0, 255, size=(64, 64, 3), dtype=np.uint8)
    f = VideoStaticFilter()
    assert f.filter(DecodedVideo(video(), [still] * 4)) == Reject(
        RejectReason.VIDEO_STATIC, "max frame difference 0.000 < 1.0"
    )
    moving = [np.roll(still, 8 * i, axis=1) for i in range(4)]
    assert f.filter(DecodedVideo(video(), moving)) == KEEP
    assert f.filter(DecodedVideo(video(), [still])) == KEEP  # one frame: nothing to compare
    assert f.filter(video()) == KEEP  # no frames decoded


def make_scorer():
    return lambda sample: 0.9 if "bad" in sample.caption else 0.1


def test_safety_is_off_by_default_and_pluggable():
    pair = ImageTextPair(key="a", url="http://x.test/a.jpg", caption="bad")
    assert SafetyFilter().filter(pair) == KEEP
    f = build_filter("safety", {"classifier": "tests.filters.test_video_and_safety:make_scorer"})
    assert f.filter(pair) == Reject(RejectReason.UNSAFE, "unsafe score 0.900 > 0.5")
    assert f.filter(ImageTextPair(key="b", url="http://x.test/b.jpg", caption="good")) == KEEP
    with pytest.raises(ValueError, match="must be 'module:factory'"):
        SafetyFilter(classifier="nocolon").filter(pair)
