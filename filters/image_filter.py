"""Shared behaviour of image filters: one rule per image, applied to whatever holds images.

A pair, a ShardSample or a bare ImageSample is rejected when its image fails. A Document keeps
going with the failing image slots removed (the paper drops images, not pages, for size and
aspect ratio); each removed slot is reported as a `Dropped` part so the Beam layer can write an
image-level reject. Whether a Document has enough images left is `image_count`'s decision.
A rule that needs information the sample lacks (pixels before fetching, a size before decoding)
keeps the image: it cannot judge it.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from filters.base import KEEP, Dropped, Filter, Keep, Reject
from filters.samples import ImageSample, UndecodableImage, images_of
from schemas import Document, RejectReason


@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageFilter(Filter):
    kinds = frozenset({"document", "pair", "image"})

    def check_image(self, image: ImageSample) -> Reject | None:
        raise NotImplementedError(f"{type(self).__name__}.check_image")

    def _check(self, image: ImageSample) -> Reject | None:
        try:
            return self.check_image(image)
        except UndecodableImage as exc:
            return Reject(RejectReason.UNDECODABLE, str(exc))

    def filter(self, sample: Any) -> Keep | Reject:
        images = images_of(sample)
        if isinstance(sample, Document):
            dropped = []
            for pos, image in images:
                verdict = self._check(image)
                if verdict is not None:
                    dropped.append(Dropped("image", pos, verdict.reason, verdict.detail, image.url))
            if not dropped:
                return KEEP
            return Keep(sample.without_positions({d.position for d in dropped}), tuple(dropped))
        for _, image in images:
            verdict = self._check(image)
            if verdict is not None:
                return verdict
        return KEEP
