"""VideoProcessor: clip windows, the short-clip policy, damaged files, kept clips; and choose_window."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image

from crawlers.media.video_frames import FrameSamplerConfig
from crawlers.media.video_probe import probe_video
from crawlers.media.video_processor import VideoProcessor, VideoProcessorConfig
from crawlers.media.video_window import WindowError, choose_window
from schemas import RejectReason
from tests.crawlers.media.video_media import ffmpeg, frame_numbers, make_testsrc, make_video


def _processor(**kwargs) -> VideoProcessor:
    sampler = kwargs.pop("sampler", FrameSamplerConfig(resize_mode="no"))
    return VideoProcessor(VideoProcessorConfig(sampler=sampler, **kwargs))


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("proc")
    make_video(d / "long.mp4", duration=12.0)
    make_video(d / "short.mp4", duration=3.0)
    make_testsrc(d / "moving.mp4", duration=10.0, audio=True)
    ffmpeg("-i", str(d / "moving.mp4"), "-c", "copy", "-movflags", "+faststart", str(d / "faststart.mp4"))
    data = (d / "faststart.mp4").read_bytes()
    (d / "cut.mp4").write_bytes(data[: len(data) // 4])
    return d


def test_sample_fields_and_jpeg_frames(media):
    r = _processor().process(str(media / "long.mp4"), "key1")
    assert r.ok, r.detail
    start = r.fields["start"]
    assert r.fields["timestamps"] == [round(start + k, 6) for k in range(8)]
    assert (r.fields["num_frames"], r.fields["fps"], r.fields["source_fps"], r.fields["duration"]) == (
        8,
        1.0,
        5.0,
        12.0,
    )
    assert (r.fields["width"], r.fields["height"], r.fields["end"]) == (64, 48, round(start + 8, 6))
    assert 0.0 <= start <= 12.0 - 8.0
    assert len(r.jpegs) == 8 and all(Image.open(io.BytesIO(j)).size == (64, 48) for j in r.jpegs)
    assert r.probe_info["padded_frames"] == 0 and len(r.fields["sha256"]) == 64


def test_window_is_deterministic_per_key_and_seed(media):
    a = _processor().process(str(media / "long.mp4"), "key1").fields["start"]
    assert _processor().process(str(media / "long.mp4"), "key1").fields["start"] == a
    others = {_processor().process(str(media / "long.mp4"), f"key{i}").fields["start"] for i in range(2, 6)}
    assert others - {a}, "different keys should draw different windows"


def test_given_segment_bounds_the_window(media):
    r = _processor().process(str(media / "long.mp4"), "k", start=2.5, end=11.0)
    assert 2.5 <= r.fields["start"] <= 3.0 and r.fields["timestamps"][-1] < 11.0


def test_short_clip_is_rejected_by_default(media):
    r = _processor().process(str(media / "short.mp4"), "k")
    assert (r.ok, r.stage, r.reason) == (False, "window", RejectReason.VIDEO_TOO_SHORT)
    assert "holds 3 ticks at 1 fps, 8 needed" in r.detail


def test_short_clip_padded_repeats_the_last_frame_and_its_time(media):
    r = _processor(short_policy="pad").process(str(media / "short.mp4"), "k")
    assert r.ok
    assert r.fields["timestamps"] == [0.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0, 2.0]
    assert frame_numbers(r.frames) == [0, 5, 10, 10, 10, 10, 10, 10]
    assert r.probe_info["padded_frames"] == 5 and r.fields["end"] == 3.0


def test_mp4_cut_short_is_undecodable_with_ffmpeg_stderr(media):
    r = _processor(short_policy="pad").process(str(media / "cut.mp4"), "k", start=6.0)
    assert (r.ok, r.stage, r.reason) == (False, "decode", RejectReason.UNDECODABLE)
    assert "partial file" in r.detail


def test_too_long_is_rejected_at_probe(media):
    r = _processor(max_duration=5.0).process(str(media / "long.mp4"), "k")
    assert (r.stage, r.reason) == ("probe", RejectReason.VIDEO_TOO_LONG)


def test_start_past_the_end_is_a_malformed_row(media):
    r = _processor().process(str(media / "long.mp4"), "k", start=30.0)
    assert (r.stage, r.reason) == ("window", RejectReason.MALFORMED_ROW)


def test_kept_clip_is_an_mp4_of_the_window(media, tmp_path):
    sampler = FrameSamplerConfig(image_size=48, resize_mode="center_crop")
    r = _processor(sampler=sampler, keep_clip=True).process(str(media / "moving.mp4"), "k")
    assert r.ok and r.clip is not None
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(r.clip)
    probe = probe_video(str(clip))
    assert (probe.codec, probe.height, probe.duration, probe.has_audio) == ("h264", 48, 8.0, False)
    assert not list(media.glob("*clip*")), "nothing is written beside the source"


@pytest.mark.parametrize("seed", range(20))
def test_choose_window_properties(seed):
    rng = random.Random(seed)
    duration, fps, t = rng.uniform(0.5, 60), rng.choice([0.5, 1.0, 2.0]), rng.choice([1, 4, 8])
    w = choose_window(f"k{seed}", duration, fps=fps, num_frames=t, seed=3)
    assert w == choose_window(f"k{seed}", duration, fps=fps, num_frames=t, seed=3)
    assert 0 <= w.start and w.start == round(w.start, 3)
    if duration >= t / fps:
        assert w.num_frames == t and w.start + t / fps <= duration
    else:  # every tick before the end, from 0 (the last may still fit: a frame shows until the end)
        assert w.start == 0
        assert w.num_frames == min(t, sum(1 for k in range(t + 1) if k / fps < duration))


def test_choose_window_rejects_bad_segments():
    with pytest.raises(WindowError, match="past the video's end"):
        choose_window("k", 10.0, fps=1, num_frames=8, start=12.0)
    with pytest.raises(WindowError, match="need 0 <= start < end"):
        choose_window("k", 10.0, fps=1, num_frames=8, start=5.0, end=4.0)


def test_rotated_video_frames_come_out_upright(media, tmp_path):
    rotated = tmp_path / "rotated.mp4"
    ffmpeg("-display_rotation", "90", "-i", str(media / "long.mp4"), "-c", "copy", str(rotated))
    r = _processor().process(str(rotated), "k")
    assert r.ok, r.detail
    assert (r.fields["width"], r.fields["height"], r.probe_info["rotation"]) == (48, 64, 90)
    assert r.frames[0].shape == (64, 48, 3)
