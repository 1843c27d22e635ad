"""Minimum (and optional maximum) image side: ImageSizeFilter.

Flamingo removes images narrower or shorter than 64 pixels from M3W (paper, appendix A.3.1).
The rule reads the source size (`original_width/height` when the image was resized on fetch),
so a 40 px icon upscaled to 224 px is still rejected. A side exactly at `min_side` is kept.
"""

from __future__ import annotations

import dataclasses

from filters.base import Reject, register
from filters.image_filter import ImageFilter
from filters.samples import ImageSample
from schemas import RejectReason


@register("image_size")
@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageSizeFilter(ImageFilter):
    min_side: int = 64
    max_side: int | None = None

    def check_image(self, image: ImageSample) -> Reject | None:
        size = image.size()
        if size is None:
            return None
        width, height = size
        if min(width, height) < self.min_side:
            return Reject(
                RejectReason.IMAGE_TOO_SMALL, f"{width}x{height}: side {min(width, height)} < {self.min_side}"
            )
        if self.max_side is not None and max(width, height) > self.max_side:
            return Reject(
                RejectReason.IMAGE_TOO_LARGE, f"{width}x{height}: side {max(width, height)} > {self.max_side}"
            )
        return None
