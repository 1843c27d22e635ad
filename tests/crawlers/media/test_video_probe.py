"""Probing: what ffmpeg's stream header says, and the reason when a file is no usable video."""

from __future__ import annotations

import os
import subprocess

import pytest

from crawlers.media.ffmpeg_bin import ffmpeg_exe, run_ffmpeg
from crawlers.media.video_probe import ProbeError, parse_probe, probe_video
from schemas import RejectReason
from tests.crawlers.media.video_media import ffmpeg, make_testsrc, make_video


@pytest.fixture(scope="module")
def media(tmp_path_factory):
    d = tmp_path_factory.mktemp("probe")
    good = make_testsrc(d / "good.mp4", duration=3.0, audio=True)
    ffmpeg("-i", str(good), "-c", "copy", "-movflags", "+faststart", str(d / "faststart.mp4"))
    ffmpeg("-f", "lavfi", "-i", "sine=duration=1", str(d / "audio.m4a"))
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:duration=1", "-frames:v", "1", str(d / "still.png"))
    ffmpeg("-display_rotation", "90", "-i", str(good), "-c", "copy", str(d / "rotated.mp4"))
    (d / "empty.mp4").write_bytes(b"")
    (d / "notes.ans").write_text("a text file ffmpeg's tty demuxer renders as video\n" * 20)
    (d / "list.m3u8").write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile://{d / 'good.mp4'}\n")
    (d / "random.mp4").write_bytes(os.urandom(4096))
    (d / "truncated.mp4").write_bytes(good.read_bytes()[:4000])  # moov atom (at the end) cut off
    # matroska written to a pipe cannot seek back to store its duration: "Duration: N/A"
    with open(d / "streamed.mkv", "wb") as out:
        subprocess.run(
            [
                ffmpeg_exe(),
                "-v",
                "error",
                "-f",
                "lavfi",
                "-i",
                "testsrc=size=32x24:rate=10:duration=2.5",
                "-c:v",
                "libx264",
                "-f",
                "matroska",
                "pipe:1",
            ],
            stdout=out,
            check=True,
            timeout=60,
        )
    return d


def test_h264_with_audio(media):
    p = probe_video(str(media / "good.mp4"))
    assert (p.codec, p.width, p.height, p.fps, p.duration, p.start_time) == ("h264", 128, 96, 25.0, 3.0, 0.0)
    assert p.has_audio and p.rotation == 0


def test_rotation_swaps_the_displayed_size(media):
    p = probe_video(str(media / "rotated.mp4"))
    assert (p.rotation, p.width, p.height) == (90, 96, 128)


def test_mpeg_ts_start_time_is_read(tmp_path):
    p = probe_video(str(make_video(tmp_path / "x.ts", codec="mpeg2", duration=2.0)))
    assert p.codec == "mpeg2video" and p.start_time > 0 and p.format_name == "mpegts"


def test_missing_duration_is_measured_by_a_stream_copy_pass(media):
    assert "Duration: N/A" in run_ffmpeg(["-i", str(media / "streamed.mkv")], timeout=30).stderr
    assert probe_video(str(media / "streamed.mkv")).duration == 2.5


@pytest.mark.parametrize(
    "name,reason,words",
    [
        ("empty.mp4", RejectReason.NOT_A_VIDEO, "empty file (0 bytes)"),
        ("random.mp4", RejectReason.NOT_A_VIDEO, "cannot open it as media"),
        ("truncated.mp4", RejectReason.UNDECODABLE, "moov atom not found"),
        ("audio.m4a", RejectReason.NO_VIDEO_STREAM, "audio only"),
        ("still.png", RejectReason.NOT_A_VIDEO, "not a video container"),
        ("notes.ans", RejectReason.NOT_A_VIDEO, "not a video container"),  # tty would draw it as frames
        ("list.m3u8", RejectReason.NOT_A_VIDEO, "not a video container"),  # a playlist names other inputs
    ],
)
def test_unusable_files_are_rejected_with_a_reason(media, name, reason, words):
    with pytest.raises(ProbeError) as err:
        probe_video(str(media / name))
    assert err.value.reason is reason
    assert words in err.value.detail


def test_faststart_mp4_cut_short_still_probes(media):
    # the index is at the front, so the header is intact; decoding finds the damage (processor test)
    data = (media / "faststart.mp4").read_bytes()
    cut = media / "cut.mp4"
    cut.write_bytes(data[: len(data) // 3])
    assert probe_video(str(cut)).duration == 3.0


HEADER = (
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'x.mp4':\n"
    "  Duration: 00:01:02.50, start: 0.000000, bitrate: 87 kb/s\n"
    "  Stream #0:0[0x1](und): Audio: mp3 (mp4a / 0x6134706D), 44100 Hz, stereo, fltp, 128 kb/s (default)\n"
    "  Stream #0:1[0x2](und): Video: {codec} (avc1 / 0x31637661), yuv420p(progressive), "
    "1920x1080 [SAR 1:1 DAR 16:9], 29.97 fps, 1k tbr, 90k tbn{tail}\n"
    "At least one output file must be specified\n"
)


def test_parse_reads_numbers_past_codec_tags(tmp_path):
    p = parse_probe(HEADER.format(codec="h264", tail=""), str(tmp_path / "x.mp4"))
    assert (p.width, p.height, p.fps, p.duration, p.has_audio) == (1920, 1080, 29.97, 62.5, True)


def test_parse_unknown_codec_is_unsupported(tmp_path):
    with pytest.raises(ProbeError) as err:
        parse_probe(HEADER.format(codec="none", tail=""), str(tmp_path / "x.mp4"))
    assert err.value.reason is RejectReason.UNSUPPORTED_FORMAT


def test_parse_cover_art_is_not_a_video_stream(tmp_path):
    with pytest.raises(ProbeError) as err:
        parse_probe(HEADER.format(codec="mjpeg", tail=" (attached pic)"), str(tmp_path / "x.mp3"))
    assert err.value.reason is RejectReason.NO_VIDEO_STREAM


def test_ffmpeg_binary_is_found():
    out = run_ffmpeg(["-version"], timeout=30)
    assert out.returncode == 0 and out.stdout.startswith(b"ffmpeg version")
