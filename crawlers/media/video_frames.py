"""Sample T frames at a fixed rate from a clip window: one ffmpeg process per video, raw RGB on a pipe.

The graph (built with ffmpeg-python, run with a timeout; no temporary frame files):

    -ss SEEK -noaccurate_seek -copyts -start_at_zero -i FILE
    [0:v:0] setpts=PTS-S/TB, fps=F:start_time=0:round=up, scale, crop|pad  -> rawvideo rgb24 pipe:1

Timing rule, exact by construction: output frame k is the source frame *on screen* at
t_k = S + k/F (the latest frame whose timestamp is <= t_k), and t_k is what we record.
- `-copyts -start_at_zero` keep the decoder's timestamps, counted from the container start
  (MPEG-PS/TS start at 0.5-1.4 s, not 0), so S means the same thing as the probe's duration.
- `-noaccurate_seek` keeps the frames decoded between the keyframe and S: ffmpeg's accurate
  seek would drop the frame on screen at S when S falls between two frames.
- `setpts` moves S to 0; `fps ... round=up` maps a frame at time p to tick ceil(p*F), so the
  frame emitted at tick k is the last one with p <= k/F (the default round=near would pick the
  frame on screen at k/F + 0.5/F instead); `start_time=0` keeps the latest frame before S for
  tick 0. At end of stream the filter emits the ticks before the last frame ends, so a clip that
  runs out yields fewer than T frames; the caller pads or rejects (crawlers/media/video_processor.py).
Resize modes follow img2dataset's (no, keep_ratio, keep_ratio_largest, center_crop, border);
scaling happens inside ffmpeg on T frames only, so a 4000x3000 source never reaches Python.
"""

from __future__ import annotations

import dataclasses
import math

import ffmpeg
import numpy as np

from crawlers.media.ffmpeg_bin import INPUT_GUARD, run_ffmpeg
from schemas.reasons import RejectReason

RESIZE_MODES = ("no", "keep_ratio", "keep_ratio_largest", "center_crop", "border")
SEEK_MARGIN_S = 1.0  # seek this far before S: demuxers without an index (MPEG-PS) may land late


class FrameError(Exception):
    def __init__(self, reason: RejectReason, detail: str):
        super().__init__(f"{reason.value}: {detail}")
        self.reason, self.detail = reason, detail


@dataclasses.dataclass(kw_only=True)
class FrameSamplerConfig:
    fps: float = 1.0  # the paper samples VTP clips at 1 frame per second
    num_frames: int = 8  # T, the paper's video length in frames
    image_size: int = 224
    resize_mode: str = "center_crop"
    timeout: float = 60.0  # seconds per ffmpeg run (decoding T/F seconds of video)
    threads: int = 0  # ffmpeg decoder threads; 0 = ffmpeg's choice. Use 1 when workers fill the cores.
    max_frame_pixels: int = 7680 * 4320  # 8K UHD; larger sources are rejected before decoding
    clip_crf: int = 23  # x264 quality of the optional kept clip (its default)

    def __post_init__(self) -> None:
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(
                f"unknown resize_mode {self.resize_mode!r}; valid modes: {', '.join(RESIZE_MODES)}"
            )
        if self.fps <= 0 or self.num_frames < 1 or self.image_size < 1:
            raise ValueError(f"fps, num_frames and image_size must be positive: {self}")


@dataclasses.dataclass
class SampledFrames:
    frames: np.ndarray  # [n, H, W, 3] uint8 RGB, n <= num_frames
    timestamps: list[float]  # seconds from the container start, one per frame
    stderr: str  # ffmpeg's warnings for a run that still produced frames


def _scaled(w: int, h: int, side: int, by_short_side: bool) -> tuple[int, int]:
    ref = min(w, h) if by_short_side else max(w, h)
    factor = side / ref
    return max(1, round(w * factor)), max(1, round(h * factor))


def output_size(
    width: int, height: int, cfg: FrameSamplerConfig
) -> tuple[tuple[int, int] | None, tuple[int, int]]:
    """(the scale size or None, the final frame size) for a source of width x height."""
    n, mode = cfg.image_size, cfg.resize_mode
    if mode == "no":
        return None, (width, height)
    if mode in ("keep_ratio", "center_crop"):
        scale = _scaled(width, height, n, by_short_side=True)
        return scale, ((n, n) if mode == "center_crop" else scale)
    scale = _scaled(width, height, n, by_short_side=False)
    return scale, ((n, n) if mode == "border" else scale)


def _resize(stream, width: int, height: int, cfg: FrameSamplerConfig):
    scale, final = output_size(width, height, cfg)
    if scale is not None and scale != (width, height):
        # img2dataset's choice: area averaging to shrink, lanczos to enlarge
        flags = "area" if scale[0] * scale[1] < width * height else "lanczos"
        stream = stream.filter("scale", scale[0], scale[1], flags=flags)
    if cfg.resize_mode == "center_crop" and scale != final:
        stream = stream.filter("crop", final[0], final[1])  # centred by default
    if cfg.resize_mode == "border" and scale != final:
        stream = stream.filter("pad", final[0], final[1], "(ow-iw)/2", "(oh-ih)/2", color="black")
    return stream


def _clip_output(stream, cfg: FrameSamplerConfig, clip_path: str):
    """The window re-encoded as H.264 MP4, short side at image_size (even sides for yuv420p)."""
    length = cfg.num_frames / cfg.fps
    side = cfg.image_size
    clip = stream.filter("trim", start=0, end=length).filter("setpts", "PTS-STARTPTS")
    clip = clip.filter("scale", f"if(lt(iw,ih),{side},-2)", f"if(lt(iw,ih),-2,{side})")
    return clip.output(
        clip_path,
        vcodec="libx264",
        preset="veryfast",
        crf=cfg.clip_crf,
        pix_fmt="yuv420p",
        movflags="+faststart",
        an=None,
    )


def build_args(
    path: str,
    start: float,
    width: int,
    height: int,
    num_frames: int,
    cfg: FrameSamplerConfig,
    clip_path: str | None = None,
) -> list[str]:
    """ffmpeg arguments (without the binary and BASE_FLAGS) sampling `num_frames` frames from `start`."""
    seek = max(0.0, start - SEEK_MARGIN_S)
    in_kwargs = {**INPUT_GUARD, "noaccurate_seek": None, "copyts": None, "start_at_zero": None}
    if seek > 0:
        in_kwargs = {"ss": f"{seek:.6f}", **in_kwargs}
    if cfg.threads:
        in_kwargs["threads"] = cfg.threads
    video = ffmpeg.input(path, **in_kwargs)["v:0"].filter("setpts", f"PTS-{start:.6f}/TB")
    if clip_path is not None:
        split = video.split()
        video, clip_src = split[0], split[1]
    frames = video.filter("fps", fps=f"{cfg.fps:g}", start_time=0, round="up")
    frames = _resize(frames, width, height, cfg)
    out = frames.output("pipe:", format="rawvideo", pix_fmt="rgb24", vframes=num_frames)
    if clip_path is not None:
        out = ffmpeg.merge_outputs(out, _clip_output(clip_src, cfg, clip_path))
    cmd = out.compile(cmd="ffmpeg", overwrite_output=True)
    return ["-loglevel", "error", *cmd[1:]]


def sample_frames(
    path: str,
    start: float,
    width: int,
    height: int,
    num_frames: int,
    cfg: FrameSamplerConfig,
    clip_path: str | None = None,
) -> SampledFrames:
    """Up to `num_frames` frames on screen at start + k/fps; FrameError when none can be had."""
    if width * height > cfg.max_frame_pixels:
        raise FrameError(
            RejectReason.VIDEO_TOO_LARGE,
            f"{width}x{height} frames exceed max_frame_pixels={cfg.max_frame_pixels}",
        )
    _, (out_w, out_h) = output_size(width, height, cfg)
    run = run_ffmpeg(build_args(path, start, width, height, num_frames, cfg, clip_path), timeout=cfg.timeout)
    if run.timed_out:
        raise FrameError(RejectReason.TIMEOUT, f"ffmpeg exceeded {cfg.timeout:.0f} s: {run.stderr_tail()}")
    if run.returncode != 0:
        decoder_missing = "Decoder (codec" in run.stderr or "decoder not found" in run.stderr.lower()
        reason = RejectReason.UNSUPPORTED_FORMAT if decoder_missing else RejectReason.FFMPEG_ERROR
        raise FrameError(reason, f"ffmpeg exit {run.returncode}: {run.stderr_tail()}")
    frame_bytes = out_w * out_h * 3
    count, leftover = divmod(len(run.stdout), frame_bytes)
    if leftover:
        raise FrameError(
            RejectReason.FFMPEG_ERROR, f"{leftover} stray bytes after {count} frames of {out_w}x{out_h}"
        )
    if count == 0:
        if run.stderr.strip():
            raise FrameError(RejectReason.UNDECODABLE, f"no frame decoded: {run.stderr_tail()}")
        raise FrameError(RejectReason.VIDEO_TOO_SHORT, f"no frame on screen at or after {start:.3f} s")
    frames = np.frombuffer(run.stdout, dtype=np.uint8).reshape(count, out_h, out_w, 3)
    timestamps = [round(start + k / cfg.fps, 6) for k in range(count)]
    return SampledFrames(frames=frames, timestamps=timestamps, stderr=run.stderr_tail())


def frames_available(start: float, end: float, fps: float) -> int:
    """How many ticks start + k/fps fall before `end` (a tick exactly at the end is past it)."""
    return max(0, math.ceil((end - start) * fps - 1e-9))
