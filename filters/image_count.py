"""Images per document: ImageCountFilter.

M3W documents are interleaved: a page without images teaches nothing about images, so
`min_images=1`. The upper bound follows OBELICS (at most 30 images per document); the paper
samples up to 5 images per training sequence, so longer documents only add crops of the same page.
Run it after the image filters, which remove failing slots first. Bounds are inclusive.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from filters.base import KEEP, Filter, Keep, Reject, register
from schemas import Document, RejectReason


@register("image_count")
@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageCountFilter(Filter):
    kinds = frozenset({"document"})

    min_images: int = 1
    max_images: int | None = 30

    def filter(self, sample: Any) -> Keep | Reject:
        if not isinstance(sample, Document):
            return KEEP
        n = sample.num_images
        if n < self.min_images:
            return Reject(RejectReason.TOO_FEW_IMAGES, f"{n} images < {self.min_images}")
        if self.max_images is not None and n > self.max_images:
            return Reject(RejectReason.TOO_MANY_IMAGES, f"{n} images > {self.max_images}")
        return KEEP
