"""Single-colour images: SingleColourFilter.

Flamingo drops single-colour images from M3W (paper, appendix A.3.1): spacers, placeholders and
blank backgrounds. An image counts as single-colour when the standard deviation of every RGB
channel is below `min_std` (0..255 units); 3.0 tolerates JPEG noise on a flat colour while a
faint two-tone image (channels 6 apart) already passes. Images larger than `analysis_side` are
reduced first (box filter), which keeps the flat-colour statistics and bounds the cost.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from PIL import Image

from filters.base import Reject, register
from filters.image_filter import ImageFilter
from filters.phash import strip_padding
from filters.samples import ImageSample
from schemas import RejectReason

EDGE_INSET = 0.08  # of the smaller side; measured: flat pairs drop to std < 1, real pictures stay > 8


def channel_std(img: Image.Image, analysis_side: int) -> float:
    """The largest per-channel standard deviation of the RGB image."""
    rgb = img.convert("RGB")
    if max(rgb.size) > analysis_side:
        rgb = rgb.copy()
        rgb.thumbnail((analysis_side, analysis_side), Image.Resampling.BOX)
    arr = np.asarray(rgb, dtype=np.float64).reshape(-1, 3)
    return float(arr.std(axis=0).max())


@register("single_colour")
@dataclasses.dataclass(frozen=True, kw_only=True)
class SingleColourFilter(ImageFilter):
    min_std: float = 3.0
    analysis_side: int = 64

    def check_image(self, image: ImageSample) -> Reject | None:
        pixels = image.pixels()
        if pixels is None:
            return None
        # judge the picture, not the letterbox a `border` resize put around it (pairs are padded
        # to a square: a flat image plus its padding is two colours)
        picture = strip_padding(pixels, image.size())
        if picture.size != pixels.size:
            # JPEG rings along the bars' edges (std 3-4 on a flat pink): measure the inside
            w, h = picture.size
            inset = max(2, round(EDGE_INSET * min(w, h)))
            if w > 2 * inset and h > 2 * inset:
                picture = picture.crop((inset, inset, w - inset, h - inset))
        std = channel_std(picture, self.analysis_side)
        if std < self.min_std:
            return Reject(RejectReason.SINGLE_COLOUR, f"max channel std {std:.3f} < {self.min_std}")
        return None
