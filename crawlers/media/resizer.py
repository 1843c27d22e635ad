"""Resize and re-encode one decoded image the way img2dataset's `Resizer` does, without img2dataset.

    resizer = Resizer(ResizeConfig(image_size=224, resize_mode="border"))
    out = resizer(pixels)  # pixels: a uint8 BGR [H, W, 3] or greyscale [H, W] array (OpenCV's layout)
    out.data, out.width, out.height, out.original_width, out.original_height, out.error

Same modes, checks, interpolations and encoder settings as img2dataset 1.47 (`resizer.py`), so a
shard built here has the pixels img2dataset would write (tests/crawlers/media/test_resizer_parity.py
compares them on real images: byte-identical with `reduced_decode=False`):

- checks on the decoded size, in img2dataset's order: `min(h, w) < min_image_size` ("image too small"),
  `h * w > max_image_area` ("image area too large"), `max / min > max_aspect_ratio`;
- keep_ratio / center_crop: the shorter side scaled to `image_size` (albumentations' SmallestMaxSize:
  `round(side * image_size / shorter)`), then for center_crop the centred square (top/left floored);
- border / keep_ratio_largest: the longer side scaled to `image_size` (LongestMaxSize), then for
  border white padding to a square (top/left get the floor of the padding);
- `resize_only_if_bigger`: no resize (and so no crop or pad) unless the side scaled is larger;
- INTER_AREA when shrinking, Lanczos-4 when enlarging (img2dataset's defaults), then OpenCV's
  encoder with JPEG/WebP quality or PNG compression level.

Decoding is not done here: crawlers/media/images.py decodes (Pillow for odd modes and EXIF
orientation, OpenCV for plain files, libjpeg's reduced-size decode for large JPEGs) and hands over
the pixel array, so no image is encoded to BMP and decoded again between the two.
"""

from __future__ import annotations

import dataclasses
import math

import cv2
import numpy as np

RESIZE_MODES = ("no", "keep_ratio", "center_crop", "border", "keep_ratio_largest")
ENCODE_FORMATS = ("jpg", "png", "webp")
INTERPOLATIONS = {
    "nearest": cv2.INTER_NEAREST,
    "linear": cv2.INTER_LINEAR,
    "bilinear": cv2.INTER_LINEAR,
    "cubic": cv2.INTER_CUBIC,
    "bicubic": cv2.INTER_CUBIC,
    "area": cv2.INTER_AREA,
    "lanczos": cv2.INTER_LANCZOS4,
    "lanczos4": cv2.INTER_LANCZOS4,
}
_QUALITY_FLAG = {
    "jpg": cv2.IMWRITE_JPEG_QUALITY,
    "png": cv2.IMWRITE_PNG_COMPRESSION,
    "webp": cv2.IMWRITE_WEBP_QUALITY,
}
WHITE = (255, 255, 255)

# img2dataset's error strings: the pairs job maps them to reject reasons (crawlers/media/images.py)
TOO_SMALL = "image too small"
TOO_LARGE = "image area too large"
BAD_ASPECT = "aspect ratio too large"


@dataclasses.dataclass(kw_only=True)
class ResizeConfig:
    image_size: int = 224
    resize_mode: str = "border"  # no, keep_ratio, center_crop, border, keep_ratio_largest
    resize_only_if_bigger: bool = False
    upscale_interpolation: str = "lanczos"
    downscale_interpolation: str = "area"
    encode_format: str = "jpg"  # jpg, png, webp
    encode_quality: int = 95  # png: compression level 0-9
    min_image_size: int = 0
    max_aspect_ratio: float = math.inf
    max_image_area: float = math.inf
    max_decode_pixels: int = 89_478_485  # Pillow's default decompression-bomb limit
    # pixels decoding at once in one worker process, over all its threads (crawlers/media/decode_budget.py)
    decode_budget_pixels: int = 2 * 89_478_485
    extract_exif: bool = True
    reduced_decode: bool = True  # large JPEGs decoded at 1/2-1/8 scale (crawlers/media/reduced_decode.py)

    def __post_init__(self) -> None:
        if self.resize_mode not in RESIZE_MODES:
            raise ValueError(
                f"resize_mode must be one of {', '.join(RESIZE_MODES)}, got {self.resize_mode!r}"
            )
        if self.encode_format not in ENCODE_FORMATS:
            raise ValueError(
                f"encode_format must be one of {', '.join(ENCODE_FORMATS)}, got {self.encode_format!r}"
            )
        if self.encode_format == "png" and not 0 <= self.encode_quality <= 9:
            raise ValueError(
                f"for png, encode_quality is the compression level 0-9, got {self.encode_quality}"
            )
        for name in ("upscale_interpolation", "downscale_interpolation"):
            if getattr(self, name).lower() not in INTERPOLATIONS:
                raise ValueError(
                    f"{name} must be one of {', '.join(INTERPOLATIONS)}, got {getattr(self, name)!r}"
                )
        if self.image_size < 1:
            raise ValueError(f"image_size must be positive, got {self.image_size}")


@dataclasses.dataclass
class Resized:
    """An encoded image and its sizes, or `error` (one of img2dataset's error strings)."""

    data: bytes | None = None
    width: int | None = None
    height: int | None = None
    original_width: int | None = None
    original_height: int | None = None
    error: str | None = None


def size_error(height: int, width: int, config: ResizeConfig) -> str | None:
    """img2dataset's three checks on a decoded size, in its order; None when all pass."""
    if min(height, width) < config.min_image_size:
        return TOO_SMALL
    if height * width > config.max_image_area:
        return TOO_LARGE
    if max(height, width) / min(height, width) > config.max_aspect_ratio:
        return BAD_ASPECT
    return None


def scaled_shape(height: int, width: int, target: int, side) -> tuple[int, int]:
    """(height, width) with `side(height, width)` scaled to `target`, rounded as albumentations does."""
    scale = target / side(height, width)
    return max(1, round(height * scale)), max(1, round(width * scale))


class Resizer:
    """Callable: pixels -> `Resized`. Holds no per-image state, so one instance serves many threads."""

    def __init__(self, config: ResizeConfig | None = None):
        self.config = c = config or ResizeConfig()
        self._up = INTERPOLATIONS[c.upscale_interpolation.lower()]
        self._down = INTERPOLATIONS[c.downscale_interpolation.lower()]
        self._ext = f".{c.encode_format}"
        self._params = [int(_QUALITY_FLAG[c.encode_format]), c.encode_quality]

    def __call__(self, img: np.ndarray) -> Resized:
        if img.ndim == 3 and img.shape[2] == 4:
            img = matte_on_white(img)
        oh, ow = img.shape[:2]
        error = size_error(oh, ow, self.config)
        if error is not None:
            return Resized(error=error)
        img = self.resize(img)
        ok, encoded = cv2.imencode(self._ext, img, params=self._params)
        if not ok:
            return Resized(error=f"could not encode {self.config.encode_format}")
        h, w = img.shape[:2]
        return Resized(data=encoded.tobytes(), width=w, height=h, original_width=ow, original_height=oh)

    def resize(self, img: np.ndarray) -> np.ndarray:
        """The resized (cropped, padded) pixels for the configured mode; no checks, no encoding."""
        c = self.config
        if c.resize_mode == "no":
            return img
        h, w = img.shape[:2]
        side = min if c.resize_mode in ("keep_ratio", "center_crop") else max
        downscale = side(h, w) > c.image_size
        if c.resize_only_if_bigger and not downscale:
            return img
        nh, nw = scaled_shape(h, w, c.image_size, side)
        if (nh, nw) != (h, w):
            img = cv2.resize(img, (nw, nh), interpolation=self._down if downscale else self._up)
        if c.resize_mode == "center_crop":
            top, left = (nh - c.image_size) // 2, (nw - c.image_size) // 2
            img = img[top : top + c.image_size, left : left + c.image_size]
        elif c.resize_mode == "border" and (nh < c.image_size or nw < c.image_size):
            dh, dw = max(c.image_size - nh, 0), max(c.image_size - nw, 0)
            img = cv2.copyMakeBorder(
                img, dh // 2, dh - dh // 2, dw // 2, dw - dw // 2, cv2.BORDER_CONSTANT, value=WHITE
            )
        return img


def matte_on_white(img: np.ndarray) -> np.ndarray:
    """A BGRA array composited onto white, with img2dataset's arithmetic (float, then rounded)."""
    alpha = img[:, :, 3, np.newaxis]
    out = alpha / 255 * img[..., :3] + 255 - alpha
    return np.rint(out.clip(min=0, max=255)).astype(np.uint8)
