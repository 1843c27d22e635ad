"""Maximum aspect ratio: AspectRatioFilter.

Flamingo removes M3W images whose aspect ratio exceeds 3 (paper, appendix A.3.1): banners and
separators. The ratio is long side over short side, so portrait and landscape are treated alike;
exactly 3 is kept.
"""

from __future__ import annotations

import dataclasses

from filters.base import Reject, register
from filters.image_filter import ImageFilter
from filters.samples import ImageSample
from schemas import RejectReason


@register("aspect_ratio")
@dataclasses.dataclass(frozen=True, kw_only=True)
class AspectRatioFilter(ImageFilter):
    max_aspect_ratio: float = 3.0

    def check_image(self, image: ImageSample) -> Reject | None:
        size = image.size()
        if size is None:
            return None
        width, height = size
        if min(width, height) <= 0:
            return Reject(RejectReason.ASPECT_RATIO, f"{width}x{height}: empty side")
        ratio = max(width, height) / min(width, height)
        if ratio > self.max_aspect_ratio:
            return Reject(
                RejectReason.ASPECT_RATIO,
                f"{width}x{height}: aspect ratio {ratio:.3f} > {self.max_aspect_ratio}",
            )
        return None
