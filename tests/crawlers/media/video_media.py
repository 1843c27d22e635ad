"""Tiny test videos made with ffmpeg, and an oracle for which frame is on screen when.

Content encodes the frame number: every pixel of frame N is grey level 4*N (lavfi `geq`), so a
sampled frame tells which source frame it is (valid for N < 64). Encoders run lossless or near
it, so the grey level survives within +-2.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np

from crawlers.media.ffmpeg_bin import ffmpeg_exe

LEVEL_STEP = 4

CODECS = {
    "h264": ["-c:v", "libx264", "-qp", "0", "-pix_fmt", "yuv420p"],
    "vp9": ["-c:v", "libvpx-vp9", "-lossless", "1", "-deadline", "realtime", "-cpu-used", "8"],
    "mpeg2": ["-c:v", "mpeg2video", "-q:v", "2"],
}


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-nostdin", "-v", "error", "-y", *args], check=True, timeout=120)


def make_video(
    path: Path,
    *,
    codec: str = "h264",
    size: str = "64x48",
    rate: int = 5,
    duration: float = 10.0,
    audio: bool = False,
    vfr: bool = False,
    extra: tuple[str, ...] = (),
) -> Path:
    """A video whose frame N is grey 4*N; vfr: the first 30 frames at `rate`, the rest at rate/2."""
    chain = f"color=c=black:s={size}:r={rate}:d={duration},format=rgb24,geq=r='4*N':g='4*N':b='4*N'"
    if vfr:
        chain += f",setpts='if(lt(N,30),N/{rate},30/{rate}+(N-30)*2/{rate})/TB'"
    args = ["-f", "lavfi", "-i", chain]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=frequency=440:duration={duration}", "-c:a", "aac", "-shortest"]
    if vfr:
        args += ["-fps_mode", "vfr"]
    ffmpeg(*args, *CODECS[codec], *extra, str(path))
    return path


def make_testsrc(
    path: Path, *, size: str = "128x96", rate: int = 25, duration: float = 10.0, audio: bool = False
) -> Path:
    """The standard lavfi test pattern (moving), h264 in MP4."""
    args = ["-f", "lavfi", "-i", f"testsrc=size={size}:rate={rate}:duration={duration}"]
    if audio:
        args += ["-f", "lavfi", "-i", f"sine=duration={duration}", "-c:a", "aac", "-shortest"]
    ffmpeg(*args, "-c:v", "libx264", "-preset", "ultrafast", "-pix_fmt", "yuv420p", str(path))
    return path


def frame_times(path: Path) -> list[float]:
    """Presentation time of every decoded frame, counted from the container start (as we sample)."""
    out = subprocess.run(
        [
            ffmpeg_exe(),
            "-nostdin",
            "-hide_banner",
            "-copyts",
            "-start_at_zero",
            "-i",
            str(path),
            "-map",
            "0:v:0",
            "-vf",
            "showinfo",
            "-f",
            "null",
            "-",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stderr
    return [float(t) for t in re.findall(r"pts_time:\s*(-?[\d.]+)", out)]


def on_screen(times: list[float], t: float) -> int:
    """Index of the frame on screen at time t: the last one presented at or before t."""
    return max(i for i, pts in enumerate(times) if pts <= t + 1e-6)


def frame_numbers(frames: np.ndarray) -> list[int]:
    """The source frame number of each sampled frame, read back from its grey level."""
    return [int(round(float(f.mean()) / LEVEL_STEP)) for f in frames]
