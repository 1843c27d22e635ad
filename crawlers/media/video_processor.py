"""A local video file in, the members of one video sample out (or the reason there is none).

probe (crawlers/media/video_probe.py) -> duration bounds -> clip window (crawlers/media/video_window.py)
-> T frames in one ffmpeg run (crawlers/media/video_frames.py) -> short-clip policy -> JPEG frames.

Short clips (fewer than T frames on screen in the segment): the default policy is "reject"
(RejectReason.VIDEO_TOO_SHORT). Padding repeats the last frame, which shows the model a video
that stops moving and spends time embeddings on duplicates; "pad" is there for lists of short
clips where losing them costs more. Padded frames repeat the last frame's timestamp, so the
timestamps always say which moment each frame shows.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import os
import tempfile
from typing import Any

from PIL import Image

from crawlers.media.video_frames import FrameError, FrameSamplerConfig, sample_frames
from crawlers.media.video_probe import ProbeError, VideoProbe, probe_video
from crawlers.media.video_window import WindowError, choose_window
from schemas.reasons import RejectReason, Stage

SHORT_POLICIES = ("reject", "pad")


@dataclasses.dataclass(kw_only=True)
class VideoProcessorConfig:
    sampler: FrameSamplerConfig = dataclasses.field(default_factory=FrameSamplerConfig)
    short_policy: str = "reject"
    seed: int = 0
    min_duration: float = 0.0  # seconds; filters/video_duration.py holds the paper's bounds
    max_duration: float = 3 * 3600.0  # seconds; decode-cost guard only, not a content rule
    probe_timeout: float = 30.0
    encode_quality: int = 95  # JPEG quality, img2dataset's default
    keep_clip: bool = False

    def __post_init__(self) -> None:
        if self.short_policy not in SHORT_POLICIES:
            raise ValueError(
                f"unknown short_policy {self.short_policy!r}; valid: {', '.join(SHORT_POLICIES)}"
            )


@dataclasses.dataclass
class VideoResult:
    ok: bool
    stage: Stage | None = None  # where a rejection was decided: probe, window, decode
    reason: RejectReason | None = None
    detail: str = ""
    frames: list[Any] = dataclasses.field(default_factory=list)  # [H, W, 3] uint8 arrays (for filters)
    jpegs: list[bytes] = dataclasses.field(default_factory=list)
    clip: bytes | None = None
    fields: dict[str, Any] = dataclasses.field(default_factory=dict)  # VideoTextPair fields
    probe_info: dict[str, Any] = dataclasses.field(default_factory=dict)

    @classmethod
    def reject(cls, stage: Stage, reason: RejectReason, detail: str) -> VideoResult:
        return cls(ok=False, stage=stage, reason=reason, detail=detail)


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _jpeg(frame, quality: int) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(frame).save(buf, format="JPEG", quality=quality)
    return buf.getvalue()


class VideoProcessor:
    def __init__(self, config: VideoProcessorConfig | None = None):
        self.config = config or VideoProcessorConfig()

    def process(
        self, path: str, key: str, start: float | None = None, end: float | None = None
    ) -> VideoResult:
        cfg, scfg = self.config, self.config.sampler
        try:
            probe = probe_video(path, timeout=cfg.probe_timeout)
        except ProbeError as exc:
            return VideoResult.reject(Stage.PROBE, exc.reason, exc.detail)
        if probe.duration < cfg.min_duration:
            return VideoResult.reject(
                Stage.PROBE, RejectReason.VIDEO_TOO_SHORT, f"duration {probe.duration:.3f} s"
            )
        if probe.duration > cfg.max_duration:
            return VideoResult.reject(
                Stage.PROBE,
                RejectReason.VIDEO_TOO_LONG,
                f"duration {probe.duration:.1f} s > {cfg.max_duration:.0f}",
            )
        try:
            window = choose_window(
                key,
                probe.duration,
                fps=scfg.fps,
                num_frames=scfg.num_frames,
                seed=cfg.seed,
                start=start,
                end=end,
            )
        except WindowError as exc:
            return VideoResult.reject(Stage.WINDOW, RejectReason.MALFORMED_ROW, str(exc))
        if window.num_frames < scfg.num_frames and cfg.short_policy == "reject":
            return VideoResult.reject(
                Stage.WINDOW, RejectReason.VIDEO_TOO_SHORT, self._short_detail(window, probe)
            )
        # the kept clip goes to a private temporary folder: never beside the source (which may be
        # read-only, or shared by several rows that caption segments of one video)
        with tempfile.TemporaryDirectory(prefix="flamingo-clip-") as tmp:
            clip_path = os.path.join(tmp, "clip.mp4") if cfg.keep_clip else None
            try:
                sampled = sample_frames(
                    path, window.start, probe.width, probe.height, max(1, window.num_frames), scfg, clip_path
                )
            except FrameError as exc:
                return VideoResult.reject(Stage.DECODE, exc.reason, exc.detail)
            clip = self._read_clip(clip_path)
        frames, timestamps = list(sampled.frames), list(sampled.timestamps)
        real = len(frames)
        if real < window.num_frames and sampled.stderr:
            # the header promised more frames and the decoder complained: a damaged file (e.g. a
            # download cut short of its own index), not a short clip
            return VideoResult.reject(
                Stage.DECODE,
                RejectReason.UNDECODABLE,
                f"{real} of {window.num_frames} frames decoded before errors: {sampled.stderr}",
            )
        if real < scfg.num_frames:
            if cfg.short_policy == "reject":
                return VideoResult.reject(
                    Stage.DECODE,
                    RejectReason.VIDEO_TOO_SHORT,
                    f"{real} of {scfg.num_frames} frames decoded: "
                    f"{self._short_detail(window, probe)} {sampled.stderr}".strip(),
                )
            frames += [frames[-1]] * (scfg.num_frames - real)
            timestamps += [timestamps[-1]] * (scfg.num_frames - real)
        height, width = frames[0].shape[:2]
        return VideoResult(
            ok=True,
            frames=frames,
            jpegs=[_jpeg(f, cfg.encode_quality) for f in frames],
            clip=clip,
            fields={
                "duration": probe.duration,
                "source_fps": probe.fps,
                "fps": scfg.fps,
                "num_frames": scfg.num_frames,
                "width": width,
                "height": height,
                "timestamps": timestamps,
                "start": window.start,
                "end": round(window.start + real / scfg.fps, 6),
                "sha256": _sha256_file(path),
            },
            probe_info={
                "codec": probe.codec,
                "container": probe.format_name,
                "original_width": probe.width,
                "original_height": probe.height,
                "rotation": probe.rotation,
                "has_audio": probe.has_audio,
                "padded_frames": scfg.num_frames - real,
            },
        )

    def _short_detail(self, window, probe: VideoProbe) -> str:
        scfg = self.config.sampler
        return (
            f"segment {window.start:.3f}-{window.end:.3f} s of a {probe.duration:.3f} s video holds "
            f"{window.num_frames} ticks at {scfg.fps:g} fps, {scfg.num_frames} needed"
        )

    @staticmethod
    def _read_clip(clip_path: str | None) -> bytes | None:
        if clip_path is None:
            return None
        with open(clip_path, "rb") as f:
            return f.read()
