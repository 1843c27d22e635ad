"""Real photos for resize tests: matplotlib's sample data (installed with the demo extra), and
variants of its one photo (other formats, greyscale, crops to odd aspect ratios, an enlargement
that takes the reduced JPEG decode). Skips the caller when matplotlib is not installed."""

from __future__ import annotations

import functools
import io
import os

import pytest
from PIL import Image


def sample_data_dir() -> str:
    matplotlib = pytest.importorskip("matplotlib")
    return os.path.join(matplotlib.get_data_path(), "sample_data")


def _encode(im: Image.Image, fmt: str, **kw) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **kw)
    return buf.getvalue()


@functools.cache
def real_images() -> dict[str, bytes]:
    """name -> encoded bytes; the originals as shipped, then variants of grace_hopper.jpg."""
    d = sample_data_dir()
    out = {}
    for name in ("grace_hopper.jpg", "Minduka_Present_Blue_Pack.png", "logo2.png"):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    photo = Image.open(io.BytesIO(out["grace_hopper.jpg"])).convert("RGB")  # 512 x 600
    out["hopper.png"] = _encode(photo, "PNG")
    out["hopper.webp"] = _encode(photo, "WEBP", quality=90)
    out["hopper-grey.jpg"] = _encode(photo.convert("L"), "JPEG", quality=90)
    out["hopper-wide.jpg"] = _encode(photo.crop((0, 100, 512, 301)), "JPEG", quality=90)  # 512 x 201
    out["hopper-tall.jpg"] = _encode(photo.crop((101, 0, 200, 600)), "JPEG", quality=90)  # 99 x 600
    out["hopper-small.jpg"] = _encode(photo.resize((57, 67), Image.LANCZOS), "JPEG", quality=90)
    out["hopper-large.jpg"] = _encode(photo.resize((1999, 2343), Image.LANCZOS), "JPEG", quality=90)
    return out
