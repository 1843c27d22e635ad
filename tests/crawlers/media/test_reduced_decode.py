"""Reduced-size JPEG decoding: when it applies, and that outputs match a full decode closely."""

from __future__ import annotations

import io
import math

import numpy as np
import pytest
from PIL import Image

from crawlers.media.images import ImageProcessor, ResizeConfig
from crawlers.media.reduced_decode import reduction
from schemas import RejectReason


def photo(width: int, height: int, quality: int = 90) -> bytes:
    """A photo-like JPEG: a gradient with noise, so it compresses and resizes like a real one."""
    base = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    noise = Image.effect_noise((width, height), 30).convert("RGB")
    buf = io.BytesIO()
    Image.blend(base, noise, 0.3).save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def psnr(a: bytes, b: bytes) -> float:
    x = np.asarray(Image.open(io.BytesIO(a)).convert("RGB"), dtype=float)
    y = np.asarray(Image.open(io.BytesIO(b)).convert("RGB"), dtype=float)
    mse = float(np.mean((x - y) ** 2))
    return math.inf if mse == 0 else 10 * math.log10(255**2 / mse)


@pytest.mark.parametrize(
    "size,mode,kw,expected",
    [
        ((1000, 750), "border", {}, 2),  # 500 >= 2 x 224; 1/4 would give 250
        ((2000, 1500), "border", {}, 4),
        ((4000, 3000), "border", {}, 8),
        ((800, 600), "border", {}, 1),  # 400 < 448: the rule keeps a full decode
        ((1000, 300), "center_crop", {}, 1),  # scales by the short side: 150 < 448
        ((2000, 1000), "keep_ratio", {}, 2),  # short side 500 at 1/2
        ((2000, 1500), "no", {}, 1),  # no resize: the output keeps every pixel
        ((1000, 900), "border", {"min_image_size": 400}, 2),  # 450 still passes the check
        ((1000, 900), "border", {"min_image_size": 460}, 1),  # 450 would fail it: verdict must not change
        (
            (2000, 1500),
            "border",
            {"max_image_area": 2_000_000},
            1,
        ),  # rejected at full size: keep that verdict
    ],
)
def test_reduction_factor(size, mode, kw, expected):
    assert reduction(*size, ResizeConfig(image_size=224, resize_mode=mode, **kw)) == expected


def test_aspect_check_verdict_is_kept_at_the_edge():
    # 1999x1000 (ratio 1.999) reduces to 1000x500, 500x250, 250x125 (ratio 2.0): rounding up moves it
    cfg = ResizeConfig(image_size=100, resize_mode="border", max_aspect_ratio=1.999)
    assert reduction(1999, 1000, cfg) == 1  # passes at full size, would fail reduced: full decode
    cfg = ResizeConfig(image_size=100, resize_mode="border", max_aspect_ratio=2.0)
    assert reduction(1999, 1000, cfg) == 8  # passes either way


@pytest.mark.parametrize("mode", ["border", "keep_ratio", "center_crop", "keep_ratio_largest"])
def test_reduced_output_matches_full_decode(mode):
    raw = photo(1600, 1200)
    on = ImageProcessor(ResizeConfig(image_size=224, resize_mode=mode)).process(raw)
    off = ImageProcessor(ResizeConfig(image_size=224, resize_mode=mode, reduced_decode=False)).process(raw)
    assert on.ok and off.ok
    assert (
        (on.original_width, on.original_height) == (off.original_width, off.original_height) == (1600, 1200)
    )
    assert abs(on.width - off.width) <= 1 and abs(on.height - off.height) <= 1
    if (on.width, on.height) == (off.width, off.height):
        assert psnr(on.data, off.data) > 30  # measured ~40 dB: noise-level differences


def test_border_mode_output_size_is_exact():
    out = ImageProcessor(ResizeConfig(image_size=224, resize_mode="border")).process(photo(1200, 900))
    assert (out.width, out.height, out.original_width, out.original_height) == (224, 224, 1200, 900)


def test_truncated_large_jpeg_is_rejected_as_truncated():
    raw = photo(1200, 900)
    out = ImageProcessor(ResizeConfig(image_size=224)).process(raw[: len(raw) // 2])
    assert not out.ok and out.reason == RejectReason.TRUNCATED


def test_small_jpeg_and_png_take_the_full_path():
    small = ImageProcessor(ResizeConfig(image_size=224)).process(photo(400, 300))
    assert small.ok and (small.original_width, small.original_height) == (400, 300)
    buf = io.BytesIO()
    Image.new("RGB", (1600, 1200), (10, 200, 30)).save(buf, "PNG")
    png = ImageProcessor(ResizeConfig(image_size=224)).process(buf.getvalue())
    assert png.ok and (png.original_width, png.original_height) == (1600, 1200)


def test_greyscale_jpeg_stays_greyscale():
    buf = io.BytesIO()
    Image.linear_gradient("L").resize((1200, 900)).save(buf, "JPEG")
    outs = [
        ImageProcessor(ResizeConfig(image_size=224, reduced_decode=on)).process(buf.getvalue())
        for on in (True, False)
    ]
    assert [Image.open(io.BytesIO(o.data)).mode for o in outs] == ["L", "L"]
    assert psnr(outs[0].data, outs[1].data) > 30
