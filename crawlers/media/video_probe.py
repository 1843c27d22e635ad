"""What a video file holds: duration, frame rate, frame size, codec — or why it is no video.

Method: the stream header `ffmpeg -i FILE` prints on stderr. imageio-ffmpeg ships no ffprobe,
and this header is what ffprobe itself reads (the demuxer's probe, no decoding), so it costs
milliseconds whatever the file's length. Its numbers are rounded (duration to 10 ms, fps to two
decimals), which is enough to choose a clip window: frame times themselves come from the
decoder's timestamps in crawlers/media/video_frames.py. Only when the container states no duration
(some streamed WebM/MPEG-TS/raw streams) does `measure_duration` run a stream-copy pass to the
framecrc muxer: packets are read, nothing is decoded, so it costs one read of the file.
"""

from __future__ import annotations

import dataclasses
import os
import re

from crawlers.media.ffmpeg_bin import guarded_input, run_ffmpeg
from schemas.reasons import RejectReason

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_START = re.compile(r"Duration: [^\n]*?start: (-?\d+(?:\.\d+)?)")
_FORMAT = re.compile(r"Input #0, ([^ ]+), from ")
_VIDEO = re.compile(r"^\s*Stream #0:\d+[^:]*: Video: ([^\s,]+)([^\n]*)$", re.M)
_AUDIO = re.compile(r"^\s*Stream #0:\d+[^:]*: Audio: ", re.M)
# "64x48 [SAR..." or "64x48," — the lookahead skips codec tags such as "(avc1 / 0x31637661)"
_SIZE = re.compile(r"[ ,](\d+)x(\d+)(?=[ ,\[]|$)")
_FPS = re.compile(r"(\d+(?:\.\d+)?)(k?) fps")
_TBR = re.compile(r"(\d+(?:\.\d+)?)(k?) tbr")
_ROTATION = re.compile(r"rotation of (-?\d+(?:\.\d+)?) degrees", re.I)
_CRC_TB = re.compile(r"^#tb 0: (\d+)/(\d+)$", re.M)
_CRC_PACKET = re.compile(r"^0,\s*-?\d+,\s*(-?\d+),\s*(\d+),", re.M)  # stream, dts, pts, duration,


class ProbeError(Exception):
    """The file is not a usable video; `reason` says which way, `detail` what ffmpeg said."""

    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason, self.detail = reason, detail


@dataclasses.dataclass
class VideoProbe:
    format_name: str
    codec: str
    duration: float  # seconds, from the container start (what `-copyts -start_at_zero` counts from)
    start_time: float  # the container's first timestamp (non-zero in MPEG-PS/TS)
    width: int  # displayed frame size: swapped when the display matrix rotates by 90/270 degrees
    height: int
    fps: float | None  # the stream's average rate ("fps", else "tbr"); None when ffmpeg does not know
    rotation: int  # degrees, as ffmpeg's autorotation will apply it
    has_audio: bool


def _rate(match: re.Match | None) -> float | None:
    if match is None:
        return None
    value = float(match.group(1)) * (1000 if match.group(2) else 1)
    return value if value > 0 else None


def _open_error(stderr: str, path: str) -> ProbeError:
    tail = stderr.strip()[-600:]
    if "moov atom not found" in stderr and _looks_like_mp4(path):
        return ProbeError(RejectReason.UNDECODABLE, f"corrupt or truncated MP4 (moov atom not found): {tail}")
    if "not on whitelist" in stderr:  # crawlers/media/ffmpeg_bin.py INPUT_GUARD
        return ProbeError(
            RejectReason.NOT_A_VIDEO, f"not a video container (an image, text, a playlist?): {tail}"
        )
    return ProbeError(RejectReason.NOT_A_VIDEO, f"ffmpeg cannot open it as media: {tail}")


def _looks_like_mp4(path: str) -> bool:
    with open(path, "rb") as f:
        head = f.read(12)
    return head[4:8] in (b"ftyp", b"mdat", b"moov", b"free", b"wide")


def parse_probe(stderr: str, path: str) -> VideoProbe:
    """The probe from `ffmpeg -i` stderr, or a ProbeError saying why this is no usable video."""
    fmt = _FORMAT.search(stderr)
    if fmt is None:
        raise _open_error(stderr, path)
    format_name = fmt.group(1).rstrip(",")
    videos = [m for m in _VIDEO.finditer(stderr) if "(attached pic)" not in m.group(2)]
    if not videos:
        kind = "audio only" if _AUDIO.search(stderr) else "no streams ffmpeg can read"
        raise ProbeError(RejectReason.NO_VIDEO_STREAM, f"{format_name}: {kind}")
    if format_name.endswith("_pipe") or format_name == "image2":
        raise ProbeError(RejectReason.NOT_A_VIDEO, f"a still image ({format_name}), not a video")
    codec, rest = videos[0].group(1), videos[0].group(2)
    if codec == "none":
        raise ProbeError(
            RejectReason.UNSUPPORTED_FORMAT, f"video codec unknown to this ffmpeg: {rest.strip()[:200]}"
        )
    size = _SIZE.search(rest)
    if size is None or int(size.group(1)) == 0 or int(size.group(2)) == 0:
        raise ProbeError(
            RejectReason.UNDECODABLE, f"no frame size in the stream header: {rest.strip()[:200]}"
        )
    width, height = int(size.group(1)), int(size.group(2))
    # The display matrix follows the stream line (before the next stream); ffmpeg autorotates.
    tail = stderr[videos[0].end() :]
    next_stream = tail.find("Stream #")
    rot = _ROTATION.search(tail if next_stream < 0 else tail[:next_stream])
    rotation = int(round(float(rot.group(1)))) % 360 if rot else 0
    if rotation in (90, 270):
        width, height = height, width
    duration = _DURATION.search(stderr)
    start = _START.search(stderr)
    return VideoProbe(
        format_name=format_name,
        codec=codec,
        duration=(
            -1.0
            if duration is None
            else int(duration.group(1)) * 3600 + int(duration.group(2)) * 60 + float(duration.group(3))
        ),
        start_time=float(start.group(1)) if start else 0.0,
        width=width,
        height=height,
        fps=_rate(_FPS.search(rest)) or _rate(_TBR.search(rest)),
        rotation=rotation,
        has_audio=_AUDIO.search(stderr) is not None,
    )


def measure_duration(path: str, timeout: float) -> float:
    """Seconds of the first video stream by a stream-copy pass (reads packets, decodes nothing).

    The framecrc muxer lists every packet's pts and duration (timestamps shifted so the container
    starts at 0), so the end is max(pts + duration): exact, where the copy pass's progress time
    lags by the B-frame reorder delay.
    """
    args = ["-loglevel", "error", *guarded_input(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    run = run_ffmpeg(args, timeout=timeout)
    if run.timed_out:
        raise ProbeError(RejectReason.TIMEOUT, f"duration pass exceeded {timeout:.0f} s")
    text = run.stdout.decode("ascii", "replace")
    tb, packets = _CRC_TB.search(text), _CRC_PACKET.findall(text)
    if run.returncode != 0 or tb is None or not packets:
        raise ProbeError(
            RejectReason.UNDECODABLE, f"no duration (exit {run.returncode}): {run.stderr_tail(600)}"
        )
    end = max(int(pts) + int(dur) for pts, dur in packets)
    return end * int(tb.group(1)) / int(tb.group(2))


def probe_video(path: str, timeout: float = 30.0) -> VideoProbe:
    """Probe a local file; raises ProbeError with the reason when it is not a usable video."""
    size = os.path.getsize(path)
    if size == 0:
        raise ProbeError(RejectReason.NOT_A_VIDEO, "empty file (0 bytes)")
    # `ffmpeg -i FILE` with no output always exits 1 ("At least one output file must be specified"),
    # so success is judged by what it printed, not by its exit code.
    run = run_ffmpeg(guarded_input(path), timeout=timeout)
    if run.timed_out:
        raise ProbeError(RejectReason.TIMEOUT, f"probe exceeded {timeout:.0f} s")
    probe = parse_probe(run.stderr, path)
    if probe.duration <= 0:
        probe.duration = measure_duration(path, timeout)
    return probe
