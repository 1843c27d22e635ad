"""Our Resizer on arrays: output shapes per mode, where the crop and the padding fall, the checks."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from crawlers.media.resizer import ResizeConfig, Resizer, scaled_shape


def ramp(h: int, w: int) -> np.ndarray:
    """BGR pixels whose value says where they came from: row in channel 0, column in channel 1."""
    y, x = np.mgrid[0:h, 0:w]
    return np.dstack([y % 256, x % 256, np.full((h, w), 7)]).astype(np.uint8)


@pytest.mark.parametrize(
    "mode,expected",
    [
        ("no", (50, 100)),
        ("keep_ratio", (64, 128)),
        ("center_crop", (64, 64)),
        ("border", (64, 64)),
        ("keep_ratio_largest", (32, 64)),
    ],
)
def test_output_shape_per_mode(mode, expected):
    resizer = Resizer(ResizeConfig(image_size=64, resize_mode=mode, encode_format="png", encode_quality=1))
    out = resizer(ramp(50, 100))
    assert (out.height, out.width, out.original_height, out.original_width) == (*expected, 50, 100)
    assert cv2.imdecode(np.frombuffer(out.data, np.uint8), cv2.IMREAD_UNCHANGED).shape[:2] == expected


def test_center_crop_takes_the_middle_with_the_floor_on_top_left():
    resizer = Resizer(ResizeConfig(image_size=4, resize_mode="center_crop"))
    crop = resizer.resize(ramp(4, 7))  # no scaling (shorter side is 4): only the crop
    assert crop[0, 0, 1] == 1 and crop[0, -1, 1] == 4  # columns 1..4 of 0..6


def test_border_pads_white_with_the_floor_on_top_left():
    resizer = Resizer(ResizeConfig(image_size=10, resize_mode="border"))
    padded = resizer.resize(np.zeros((4, 10, 3), np.uint8))  # 10 wide: only the padding
    assert padded.shape == (10, 10, 3)
    rows = [int(padded[r].min()) for r in range(10)]
    assert rows == [255, 255, 255, 0, 0, 0, 0, 255, 255, 255]


def test_greyscale_stays_one_channel_and_is_padded_white():
    out = Resizer(ResizeConfig(image_size=8, resize_mode="border")).resize(np.zeros((2, 8), np.uint8))
    assert out.shape == (8, 8) and out[0, 0] == 255 and out[4, 4] == 0


@pytest.mark.parametrize("mode", ["keep_ratio", "center_crop", "border", "keep_ratio_largest"])
def test_resize_only_if_bigger_leaves_small_images_alone(mode):
    resizer = Resizer(ResizeConfig(image_size=64, resize_mode=mode, resize_only_if_bigger=True))
    small = ramp(20, 30)
    assert resizer.resize(small) is small
    assert resizer.resize(ramp(200, 300)).shape[:2] != (200, 300)


def test_rounding_follows_albumentations():
    # 600 x 512 to 64 on the longer side: 512 * 64/600 = 54.61 -> 55; halves go to even (Python's round)
    assert scaled_shape(600, 512, 64, max) == (64, 55)
    assert scaled_shape(3, 5, 2, min) == (2, 3)  # 5 * 2/3 = 3.33
    assert scaled_shape(1, 1000, 10, max) == (1, 10)  # never a zero side


def test_alpha_is_matted_onto_white():
    bgra = np.zeros((4, 4, 4), np.uint8)  # fully transparent black
    out = Resizer(ResizeConfig(image_size=4, resize_mode="no", encode_format="png", encode_quality=1))(bgra)
    assert cv2.imdecode(np.frombuffer(out.data, np.uint8), cv2.IMREAD_UNCHANGED).min() == 255


@pytest.mark.parametrize(
    "cfg,shape,error",
    [
        (dict(min_image_size=50), (80, 40), "image too small"),
        (dict(max_image_area=1000), (40, 40), "image area too large"),
        (dict(max_aspect_ratio=2.0), (30, 90), "aspect ratio too large"),
        (dict(max_aspect_ratio=3.0), (30, 90), None),
    ],
)
def test_size_checks(cfg, shape, error):
    out = Resizer(ResizeConfig(**cfg))(ramp(*shape))
    assert out.error == error and (out.data is None) == (error is not None)


@pytest.mark.parametrize(
    "kw,match",
    [
        (dict(resize_mode="stretch"), "resize_mode must be one of"),
        (dict(encode_format="gif"), "encode_format must be one of"),
        (dict(encode_format="png", encode_quality=95), "compression level 0-9"),
        (dict(downscale_interpolation="box"), "downscale_interpolation must be one of"),
        (dict(image_size=0), "image_size must be positive"),
    ],
)
def test_bad_config_is_refused_with_the_valid_values(kw, match):
    with pytest.raises(ValueError, match=match):
        ResizeConfig(**kw)


def test_defaults_are_img2dataset_s():
    c = ResizeConfig()
    assert (c.image_size, c.resize_mode, c.encode_format, c.encode_quality) == (224, "border", "jpg", 95)
    assert (c.upscale_interpolation, c.downscale_interpolation) == ("lanczos", "area")
    assert c.max_aspect_ratio == c.max_image_area == math.inf
