"""The frame sampler: exact frame choice and timestamps across containers, resize modes, failures."""

from __future__ import annotations

import subprocess
import sys

import pytest

from crawlers.media.video_frames import (
    RESIZE_MODES,
    FrameError,
    FrameSamplerConfig,
    frames_available,
    output_size,
    sample_frames,
)
from crawlers.media.video_probe import probe_video
from schemas import RejectReason
from tests.crawlers.media.video_media import frame_numbers, frame_times, make_testsrc, make_video, on_screen

NO_RESIZE = FrameSamplerConfig(resize_mode="no", num_frames=8, fps=1.0)


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    d = tmp_path_factory.mktemp("videos")
    return {
        "h264_audio": make_video(d / "a.mp4", audio=True),
        "h264": make_video(d / "b.mp4"),
        "vp9": make_video(d / "c.webm", codec="vp9"),
        "mpeg2_ts": make_video(d / "d.ts", codec="mpeg2"),  # container start 1.4 s
        "mpeg2_ps": make_video(d / "e.mpg", codec="mpeg2"),
        "vfr": make_video(d / "f.mp4", vfr=True, duration=9.0),
        "short": make_video(d / "g.mp4", duration=3.0),
    }


def _check_exact(path, start: float, fps: float = 1.0, num_frames: int = 8) -> list[float]:
    probe = probe_video(str(path))
    cfg = FrameSamplerConfig(resize_mode="no", num_frames=num_frames, fps=fps)
    got = sample_frames(str(path), start, probe.width, probe.height, num_frames, cfg)
    times = frame_times(path)
    expected_ts = [round(start + k / fps, 6) for k in range(len(got.timestamps))]
    assert got.timestamps == expected_ts
    assert frame_numbers(got.frames) == [on_screen(times, t) for t in got.timestamps]
    return got.timestamps


@pytest.mark.parametrize("name", ["h264_audio", "h264", "vp9", "mpeg2_ts", "mpeg2_ps"])
@pytest.mark.parametrize("start", [0.0, 1.3, 2.0])
def test_frames_are_the_ones_on_screen_at_each_timestamp(videos, name, start):
    timestamps = _check_exact(videos[name], start)
    assert len(timestamps) == 8


def test_variable_frame_rate_follows_timestamps_not_frame_counts(videos):
    # frames 0-29 every 0.2 s, then every 0.4 s: at t=7.1 the frame on screen is 30 + (7.1-6)/0.4 -> 32
    got = _check_exact(videos["vfr"], 0.5, fps=2.0, num_frames=16)
    assert got[-1] == 8.0
    probe = probe_video(str(videos["vfr"]))
    frames = sample_frames(str(videos["vfr"]), 7.1, probe.width, probe.height, 1, NO_RESIZE).frames
    assert frame_numbers(frames) == [32]


def test_a_clip_that_runs_out_yields_the_ticks_before_its_end(videos):
    # 3.0 s video, ticks at 0.5, 1.5, 2.5 are before the end; 3.5 is not
    probe = probe_video(str(videos["short"]))
    got = sample_frames(str(videos["short"]), 0.5, probe.width, probe.height, 8, NO_RESIZE)
    assert got.timestamps == [0.5, 1.5, 2.5]
    assert frame_numbers(got.frames) == [2, 7, 12]
    assert frames_available(0.5, 3.0, 1.0) == 3
    assert frames_available(0.0, 3.0, 1.0) == 3  # the tick at 3.0 is past the end


@pytest.mark.parametrize("mode", RESIZE_MODES)
def test_resize_modes_give_img2dataset_sizes(videos, mode):
    cfg = FrameSamplerConfig(resize_mode=mode, image_size=32, num_frames=2)
    expected = {
        "no": (64, 48),
        "keep_ratio": (43, 32),  # short side 32
        "keep_ratio_largest": (32, 24),  # long side 32
        "center_crop": (32, 32),
        "border": (32, 32),
    }[mode]
    assert output_size(64, 48, cfg)[1] == expected
    got = sample_frames(str(videos["h264"]), 1.0, 64, 48, 2, cfg)
    assert got.frames.shape == (2, expected[1], expected[0], 3)
    if mode == "border":  # 32x24 centred on black: 4 black rows above and below
        assert got.frames[:, :4].max() == 0 and got.frames[:, -4:].max() == 0


@pytest.mark.parametrize("w,h", [(1, 1000), (1000, 1), (640, 480), (480, 640), (224, 224), (100, 3000)])
@pytest.mark.parametrize("mode", ["keep_ratio", "keep_ratio_largest", "center_crop", "border"])
def test_output_size_properties(w, h, mode):
    cfg = FrameSamplerConfig(resize_mode=mode, image_size=224)
    scale, (ow, oh) = output_size(w, h, cfg)
    if mode in ("center_crop", "border"):
        assert (ow, oh) == (224, 224)
    if mode == "keep_ratio":
        assert min(ow, oh) == 224
    if mode == "keep_ratio_largest":
        assert max(ow, oh) == 224
    if mode in ("keep_ratio", "keep_ratio_largest"):  # aspect kept up to rounding (a side is never 0)
        factor = 224 / (min(w, h) if mode == "keep_ratio" else max(w, h))
        for side, src in ((ow, w), (oh, h)):
            assert abs(side - src * factor) <= 0.5 or side == 1


def test_huge_resolution_is_scaled_inside_ffmpeg_with_bounded_memory(tmp_path):
    path = make_testsrc(tmp_path / "huge.mp4", size="4000x3000", rate=2, duration=2.0)
    # run the sampler in a fresh interpreter so RUSAGE_CHILDREN holds only its ffmpeg runs
    code = (
        "import resource, sys; from crawlers.media.video_frames import *; "
        "from crawlers.media.video_probe import probe_video;"
        f"p = probe_video({str(path)!r}); cfg = FrameSamplerConfig(image_size=224, num_frames=2);"
        f"r = sample_frames({str(path)!r}, 0.0, p.width, p.height, 2, cfg);"
        "print(p.width, p.height, r.frames.shape, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    maxrss_kib = int(out.stdout.split()[-1])
    assert out.stdout.startswith("4000 3000 (2, 224, 224, 3)")
    assert maxrss_kib < 600 * 1024, f"ffmpeg peaked at {maxrss_kib / 1024:.0f} MiB decoding 12 MP frames"
    print(f"ffmpeg peak RSS decoding 4000x3000: {maxrss_kib / 1024:.0f} MiB")


def test_frames_over_the_area_cap_are_rejected_before_decoding(videos):
    cfg = FrameSamplerConfig(max_frame_pixels=64 * 48 - 1)
    with pytest.raises(FrameError) as err:
        sample_frames(str(videos["h264"]), 0.0, 64, 48, 8, cfg)
    assert err.value.reason is RejectReason.VIDEO_TOO_LARGE


def test_timeout_kills_ffmpeg_and_says_so(videos):
    cfg = FrameSamplerConfig(timeout=0.001)
    with pytest.raises(FrameError) as err:
        sample_frames(str(videos["h264"]), 0.0, 64, 48, 8, cfg)
    assert err.value.reason is RejectReason.TIMEOUT
    assert "exceeded" in err.value.detail


def test_undecodable_input_keeps_ffmpeg_stderr_in_the_detail(tmp_path):
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"\x00" * 5000)
    with pytest.raises(FrameError) as err:
        sample_frames(str(bad), 0.0, 64, 48, 8, NO_RESIZE)
    assert err.value.reason is RejectReason.FFMPEG_ERROR
    assert "Invalid data" in err.value.detail or "moov" in err.value.detail


def test_config_rejects_unknown_resize_mode():
    with pytest.raises(ValueError, match="valid modes: no, keep_ratio"):
        FrameSamplerConfig(resize_mode="squash")
