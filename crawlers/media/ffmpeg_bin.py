"""Where the ffmpeg binary comes from, and running it with a timeout.

The binary is the first `ffmpeg` on PATH (a system build usually has more decoders and
hardware support), else the static build the imageio-ffmpeg wheel ships, so `pip install`
alone gives a working video job. `FLAMINGO_FFMPEG` overrides both (a path to a binary).

imageio-ffmpeg ships no ffprobe, so nothing here looks for one: crawlers/media/video_probe.py reads
the stream header that `ffmpeg -i FILE` prints on stderr, which every ffmpeg build has.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import shutil
import subprocess

log = logging.getLogger(__name__)

# Flags every run gets: no stdin (a worker has none, and ffmpeg would otherwise read keys
# from it), no banner (keeps the stderr we store in reject details short).
BASE_FLAGS = ("-nostdin", "-hide_banner")
STDERR_TAIL_CHARS = 1500  # what a reject detail keeps of ffmpeg's stderr (the last lines say why)

# Options before every `-i`: the input is a local file we downloaded or were allowed to read, and
# it must be read as a video container. Without them ffmpeg opens whatever the bytes or the name
# suggest: the tty demuxer renders a text file into frames, a playlist (hls, concat) names other
# files or URLs to read. Demuxer names as `ffmpeg -demuxers` lists them.
VIDEO_DEMUXERS = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,flv,mpegts,mpeg,ogg,asf,gif"
INPUT_GUARD = {"protocol_whitelist": "file", "format_whitelist": VIDEO_DEMUXERS}


def guarded_input(path: str) -> list[str]:
    """`-protocol_whitelist file -format_whitelist ... -i PATH`."""
    flags = [item for name, value in INPUT_GUARD.items() for item in (f"-{name}", value)]
    return [*flags, "-i", path]


class FfmpegNotFound(RuntimeError):
    """No ffmpeg binary: install ffmpeg, or `pip install imageio-ffmpeg`, or set FLAMINGO_FFMPEG."""


@functools.lru_cache(maxsize=1)
def ffmpeg_exe() -> str:
    """The path of the ffmpeg binary every video step uses (looked up once per process)."""
    override = os.environ.get("FLAMINGO_FFMPEG")
    if override:
        if not os.access(override, os.X_OK):
            raise FfmpegNotFound(f"FLAMINGO_FFMPEG={override!r} is not an executable file")
        return override
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    try:
        import imageio_ffmpeg
    except ImportError:
        raise FfmpegNotFound(
            "no ffmpeg on PATH and imageio-ffmpeg is not installed; install one of them "
            "(`apt-get install ffmpeg` or `pip install imageio-ffmpeg`) or set FLAMINGO_FFMPEG"
        ) from None
    exe = imageio_ffmpeg.get_ffmpeg_exe()
    log.info("using the ffmpeg shipped by imageio-ffmpeg: %s", exe)
    return exe


@dataclasses.dataclass
class FfmpegRun:
    """One finished (or killed) ffmpeg run."""

    args: list[str]
    returncode: int | None  # None: killed at the timeout
    stdout: bytes
    stderr: str

    @property
    def timed_out(self) -> bool:
        return self.returncode is None

    def stderr_tail(self, limit: int = STDERR_TAIL_CHARS) -> str:
        text = self.stderr.strip()
        return text if len(text) <= limit else "..." + text[-limit:]


def run_ffmpeg(args: list[str], timeout: float) -> FfmpegRun:
    """Run `ffmpeg ARGS` (args without the binary), collecting stdout and stderr.

    On timeout the process is killed and whatever it wrote is returned with returncode None;
    callers turn that into a TIMEOUT rejection rather than an exception.
    """
    cmd = [ffmpeg_exe(), *BASE_FLAGS, *args]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        out, err = proc.communicate(timeout=timeout)
        code: int | None = proc.returncode
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
        code = None
    return FfmpegRun(args=cmd, returncode=code, stdout=out, stderr=err.decode("utf-8", "replace"))
