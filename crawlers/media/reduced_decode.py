"""Reduced-size JPEG decoding: let libjpeg scale by 1/2, 1/4 or 1/8 while it decodes.

A JPEG can be decoded straight to a fraction of its size (the IDCT runs on fewer
coefficients), which is several times cheaper than decoding every pixel and then throwing
most of them away in the resize. Web photos are mostly 500-2000 px and training wants
224-320 px, so decoding is the bulk of an image's CPU time in the pairs job; img2dataset's
Resizer always decodes at full size with OpenCV.

Quality rule (Pillow's `Image.thumbnail` default, `reducing_gap=2.0`): the reduced image keeps
at least twice the target size along the side the resize mode scales by, so the final area
resize still averages at least 2x2 source pixels per output pixel, as it would from the full
image. Outputs are not bit-identical to a full decode: pixels differ by the DCT-domain
averaging, and keep_ratio/center_crop/keep_ratio_largest output sides can differ by one pixel
from rounding (border pads to the same square).

The resizer's checks (min_image_size, max_image_area, max_aspect_ratio; crawlers/media/resizer.py)
would see the reduced size, so a reduction is only chosen when every check gives the same verdict on the
reduced size as on the full one, and the caller reports the full size as the original.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from crawlers.media.resizer import size_error

REDUCING_GAP = 2.0  # Pillow's thumbnail() default
SCALES = (8, 4, 2)  # what libjpeg's scaled IDCT offers (OpenCV's IMREAD_REDUCED_* flags)
# OpenCV's reduced reads; they would apply EXIF orientation, so callers only pass orientation 1
_FLAGS = {
    ("RGB", 2): cv2.IMREAD_REDUCED_COLOR_2,
    ("RGB", 4): cv2.IMREAD_REDUCED_COLOR_4,
    ("RGB", 8): cv2.IMREAD_REDUCED_COLOR_8,
    ("L", 2): cv2.IMREAD_REDUCED_GRAYSCALE_2,
    ("L", 4): cv2.IMREAD_REDUCED_GRAYSCALE_4,
    ("L", 8): cv2.IMREAD_REDUCED_GRAYSCALE_8,
}


def _verdict(w: int, h: int, config) -> str | None:
    """The resizer's size checks on a w x h decode (None: all pass)."""
    return size_error(h, w, config)


def reduction(width: int, height: int, config) -> int:
    """The largest libjpeg scale (8, 4, 2) that keeps the quality rule and the checks' verdicts; 1 if none."""
    if config.resize_mode == "no" or min(width, height) < 1:
        return 1
    # the side the Resizer scales to image_size: the longer one for border/keep_ratio_largest
    scaled_side = max if config.resize_mode in ("border", "keep_ratio_largest") else min
    full = _verdict(width, height, config)
    for k in SCALES:
        w, h = math.ceil(width / k), math.ceil(height / k)  # libjpeg rounds reduced sizes up
        if scaled_side(w, h) >= REDUCING_GAP * config.image_size and _verdict(w, h, config) == full:
            return k
    return 1


def decode_reduced(raw: bytes, mode: str, k: int) -> np.ndarray | None:
    """A complete RGB ("RGB") or greyscale ("L") JPEG decoded at 1/k size: BGR or grey pixels.

    OpenCV rather than Pillow: both run libjpeg-turbo, but OpenCV releases the GIL for the
    whole decode, where Pillow's chunked load loop holds it between chunks (16 fetch threads got
    1.6 cores through Pillow, 1.9 through OpenCV). None if OpenCV cannot decode it (the caller
    then takes the full-size path and its error handling).
    """
    return cv2.imdecode(np.frombuffer(raw, np.uint8), _FLAGS[mode, k])
