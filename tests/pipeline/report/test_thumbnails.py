"""Thumbnails: small JPEGs, never enlarged, None for bytes that are not an image."""

from __future__ import annotations

import base64
import io

from PIL import Image

from pipeline.report.thumbnails import THUMB_SIDE, data_uri, thumbnail


def _encode(im: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt)
    return out.getvalue()


def test_a_photo_sized_jpeg_becomes_a_few_kilobytes():
    noise = Image.effect_noise((640, 480), 60).convert("RGB")  # detail, as photos have
    thumb = thumbnail(_encode(noise, "JPEG"))
    im = Image.open(io.BytesIO(thumb))
    assert im.format == "JPEG" and im.size == (THUMB_SIDE, 72)
    assert len(thumb) < 8000


def test_png_with_alpha_and_small_images():
    rgba = Image.new("RGBA", (50, 200), (10, 200, 10, 128))
    im = Image.open(io.BytesIO(thumbnail(_encode(rgba, "PNG"))))
    assert im.mode == "RGB" and im.size == (24, THUMB_SIDE)
    small = Image.open(io.BytesIO(thumbnail(_encode(Image.new("RGB", (32, 20)), "JPEG"))))
    assert small.size == (32, 20)  # never enlarged


def test_not_an_image_gives_none_and_uris_are_inline():
    assert thumbnail(b"<html>not an image</html>") is None
    assert thumbnail(b"") is None
    uri = data_uri(b"\xff\xd8abc")
    assert (
        uri.startswith("data:image/jpeg;base64,") and base64.b64decode(uri.split(",", 1)[1]) == b"\xff\xd8abc"
    )
