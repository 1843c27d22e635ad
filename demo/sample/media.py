"""Pictures and clips for the sample web: coloured shapes on plain backgrounds.

The scenes are deliberately simple so that a tiny model can learn the mapping from
pixels to the caption grammar "a {colour} {shape} on a {colour} background" (videos:
"a {colour} {shape} moving {direction} on a {colour} background"). Colours all start
with a consonant so the article "a" is always right.

Everything here is a pure function of its arguments (no clocks, no global RNG), so the
bytes written are identical for identical scenes.
"""

from __future__ import annotations

import io
import logging
import os
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from random import Random

from PIL import Image, ImageDraw

from crawlers.media.ffmpeg_bin import ffmpeg_exe  # the one lookup every video step uses

logger = logging.getLogger(__name__)

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "green": (30, 160, 60),
    "blue": (30, 70, 210),
    "yellow": (240, 220, 40),
    "purple": (130, 50, 170),
    "pink": (245, 150, 190),
    "black": (20, 20, 20),
    "white": (245, 245, 245),
}
SHAPES = ("circle", "square", "triangle", "star", "cross")
DIRECTIONS = ("left", "right", "up", "down")
# Supersampling factor: shapes are drawn this many times larger and box-reduced, for antialiased edges.
_SUPERSAMPLE = 2


@dataclass(frozen=True, kw_only=True)
class Scene:
    """One shape on one background; position and size are fractions of the frame."""

    shape: str
    colour: str
    background: str
    cx: float = 0.5
    cy: float = 0.5
    scale: float = 0.5  # shape's bounding box side as a fraction of min(width, height)

    @property
    def caption(self) -> str:
        return f"a {self.colour} {self.shape} on a {self.background} background"


def random_scene(rng: Random) -> Scene:
    colour, background = rng.sample(sorted(COLOURS), 2)
    scale = rng.uniform(0.35, 0.65)
    margin = scale / 2 + 0.02
    return Scene(
        shape=rng.choice(SHAPES),
        colour=colour,
        background=background,
        cx=rng.uniform(margin, 1 - margin),
        cy=rng.uniform(margin, 1 - margin),
        scale=scale,
    )


def placed_scene(rng: Random, shape: str, colour: str, background: str) -> Scene:
    """The given shape and colours at a random size (0.4-0.65 of the side) and place in the frame."""
    scale = rng.uniform(0.4, 0.65)
    margin = scale / 2 + 0.02
    return Scene(
        shape=shape,
        colour=colour,
        background=background,
        cx=rng.uniform(margin, 1 - margin),
        cy=rng.uniform(margin, 1 - margin),
        scale=scale,
    )


def _shape_polygon(shape: str, cx: float, cy: float, r: float) -> list[tuple[float, float]]:
    if shape == "square":
        return [(cx - r, cy - r), (cx + r, cy - r), (cx + r, cy + r), (cx - r, cy + r)]
    if shape == "triangle":
        return [(cx, cy - r), (cx + r, cy + r * 0.9), (cx - r, cy + r * 0.9)]
    if shape == "star":
        # Five outer points at radius r and five inner points at 0.45 r, starting at the top.
        points = [
            (0.0, -1.0),
            (0.26, -0.36),
            (0.95, -0.31),
            (0.43, 0.14),
            (0.59, 0.81),
            (0.0, 0.44),
            (-0.59, 0.81),
            (-0.43, 0.14),
            (-0.95, -0.31),
            (-0.26, -0.36),
        ]
        return [(cx + x * r, cy + y * r) for x, y in points]
    if shape == "cross":
        t = r * 0.35  # half the bar thickness
        return [
            (cx - t, cy - r),
            (cx + t, cy - r),
            (cx + t, cy - t),
            (cx + r, cy - t),
            (cx + r, cy + t),
            (cx + t, cy + t),
            (cx + t, cy + r),
            (cx - t, cy + r),
            (cx - t, cy + t),
            (cx - r, cy + t),
            (cx - r, cy - t),
            (cx - t, cy - t),
        ]
    raise ValueError(f"unknown shape {shape!r}; expected one of {SHAPES}")


def draw_scene(scene: Scene, width: int, height: int) -> Image.Image:
    """Render a scene as an RGB image of exactly width x height."""
    w, h = width * _SUPERSAMPLE, height * _SUPERSAMPLE
    img = Image.new("RGB", (w, h), COLOURS[scene.background])
    draw = ImageDraw.Draw(img)
    r = scene.scale * min(w, h) / 2
    cx, cy = scene.cx * w, scene.cy * h
    fill = COLOURS[scene.colour]
    if scene.shape == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    else:
        draw.polygon(_shape_polygon(scene.shape, cx, cy, r), fill=fill)
    return img.reduce(_SUPERSAMPLE)  # box-filter average: exact antialiasing, and fast


def encode_image(img: Image.Image, fmt: str) -> bytes:
    """Encode to jpg/png/webp/gif with fixed settings (fixed settings -> fixed bytes)."""
    buf = io.BytesIO()
    if fmt == "jpg":
        img.convert("RGB").save(buf, format="JPEG", quality=90)
    elif fmt == "png":
        img.save(buf, format="PNG")
    elif fmt == "webp":
        img.save(buf, format="WEBP", quality=85)
    elif fmt == "gif":
        img.save(buf, format="GIF")
    else:
        raise ValueError(f"unsupported image format {fmt!r}; expected jpg, png, webp or gif")
    return buf.getvalue()


def solid_image(colour: str, width: int, height: int) -> Image.Image:
    return Image.new("RGB", (width, height), COLOURS[colour])


@dataclass(frozen=True, kw_only=True)
class Clip:
    """A shape crossing the frame in one direction."""

    scene: Scene
    direction: str
    size: int  # square frame side in pixels; even, as yuv420p needs
    seconds: float
    fps: int = 12

    @property
    def caption(self) -> str:
        s = self.scene
        return f"a {s.colour} {s.shape} moving {self.direction} on a {s.background} background"

    @property
    def num_frames(self) -> int:
        return round(self.seconds * self.fps)


CROSSING_SECONDS = 2.5  # not a divisor of 1 s: 1-fps samples land on different positions


def clip_frames(clip: Clip) -> list[Image.Image]:
    """Frames of the clip: the shape travels from 25% to 75% of the frame along its direction,
    every CROSSING_SECONDS, then starts over, so frames sampled 1 s apart always differ (a single
    slow crossing of a 10 s clip moves too little per second to pass the near-static filter)."""
    frames = []
    for i in range(clip.num_frames):
        t = (i / clip.fps) % CROSSING_SECONDS / CROSSING_SECONDS
        offset = 0.25 + 0.5 * t
        cx, cy = clip.scene.cx, clip.scene.cy
        if clip.direction == "right":
            cx = offset
        elif clip.direction == "left":
            cx = 1 - offset
        elif clip.direction == "down":
            cy = offset
        elif clip.direction == "up":
            cy = 1 - offset
        else:
            raise ValueError(f"unknown direction {clip.direction!r}; expected one of {DIRECTIONS}")
        scene = Scene(
            shape=clip.scene.shape,
            colour=clip.scene.colour,
            background=clip.scene.background,
            cx=cx,
            cy=cy,
            scale=clip.scene.scale,
        )
        frames.append(draw_scene(scene, clip.size, clip.size))
    return frames


@lru_cache(maxsize=4)
def video_codec(exe: str) -> str:
    """libx264 when this ffmpeg build has it (what browsers and decoders expect), else mpeg4."""
    out = subprocess.run([exe, "-hide_banner", "-encoders"], capture_output=True, text=True, check=True)
    return "libx264" if " libx264 " in out.stdout else "mpeg4"


def write_clip(clip: Clip, path: str | os.PathLike) -> str:
    """Encode the clip to an mp4 file; returns the codec used.

    Single-threaded with bitexact flags and no metadata, so the same frames give the same bytes.
    """
    exe = ffmpeg_exe()
    codec = video_codec(exe)
    raw = b"".join(frame.tobytes() for frame in clip_frames(clip))
    cmd = [
        exe,
        "-hide_banner",
        "-loglevel",
        "error",
        "-y",
        "-f",
        "rawvideo",
        "-pix_fmt",
        "rgb24",
        "-s",
        f"{clip.size}x{clip.size}",
        "-r",
        str(clip.fps),
        "-i",
        "-",
        "-c:v",
        codec,
        "-pix_fmt",
        "yuv420p",
        "-threads",
        "1",
    ]
    if codec == "libx264":
        cmd += ["-preset", "veryfast", "-crf", "23"]
    else:
        cmd += ["-q:v", "5"]
    cmd += [
        "-map_metadata",
        "-1",
        "-fflags",
        "+bitexact",
        "-flags:v",
        "+bitexact",
        "-movflags",
        "+faststart",
        os.fspath(path),
    ]
    proc = subprocess.run(cmd, input=raw, capture_output=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(
            f"ffmpeg failed writing {path} with {codec}: {proc.stderr.decode(errors='replace')[-500:]}"
        )
    logger.debug("wrote %s (%d frames, %s)", path, clip.num_frames, codec)
    return codec
