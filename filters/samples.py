"""Typed filter inputs for media, and views of every sample kind that filters read.

`ImageSample` lets the same image rules run on an M3W image slot, a pair's image or a bare
image (decoded pixels, encoded bytes, or only the size known after fetching). `DecodedVideo`
pairs a VideoTextPair with its decoded frames for rules that need pixels (near-static videos).

`text_of` / `images_of` give text and image views of the records (Document, ImageTextPair,
VideoTextPair), the jobs' typed samples (PairSample: its encoded image; schemas/samples.py) and
the two inputs above.
"""

from __future__ import annotations

import dataclasses
import io
from typing import Any

from PIL import Image, UnidentifiedImageError

from schemas import Document, ImageRef, ImageTextPair, PairSample, VideoTextPair, url_key


class UndecodableImage(ValueError):
    """An ImageSample's bytes are not an image PIL can decode."""


@dataclasses.dataclass
class ImageSample:
    """One image as filters see it; any of pixels, bytes and size may be missing."""

    url: str = ""
    ref: ImageRef | None = None
    image: Image.Image | None = None
    data: bytes | None = None
    width: int | None = None  # the source size; wins over ref and pixels when set
    height: int | None = None

    def pixels(self) -> Image.Image | None:
        """The decoded image (decoded once from `data`), or None when neither is available."""
        if self.image is None and self.data is not None:
            try:
                img = Image.open(io.BytesIO(self.data))
                img.load()
            except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
                raise UndecodableImage(f"image {self.url or '<bytes>'}: {exc}") from None
            self.image = img
        return self.image

    def size(self) -> tuple[int, int] | None:
        """(width, height) of the source image: explicit, then the ref's original, then pixels."""
        if self.width is not None and self.height is not None:
            return self.width, self.height
        ref = self.ref
        if ref is not None:
            if ref.original_width is not None and ref.original_height is not None:
                return ref.original_width, ref.original_height
            if ref.width is not None and ref.height is not None:
                return ref.width, ref.height
        img = self.pixels()
        return img.size if img is not None else None


@dataclasses.dataclass
class DecodedVideo:
    """A video pair and its decoded frames (PIL images or HxW[xC] uint8 arrays)."""

    pair: VideoTextPair
    frames: list[Any] = dataclasses.field(default_factory=list)


def text_of(sample: Any) -> str | None:
    """The text a text filter judges; None when the sample kind has none."""
    if isinstance(sample, Document):
        return sample.text()
    if isinstance(sample, (ImageTextPair, VideoTextPair)):
        return sample.caption
    if isinstance(sample, (DecodedVideo, PairSample)):
        return sample.pair.caption
    if isinstance(sample, str):
        return sample
    return None


def _pair_image(pair: ImageTextPair, data: bytes | None = None) -> ImageSample:
    w = pair.original_width if pair.original_width is not None else pair.width
    h = pair.original_height if pair.original_height is not None else pair.height
    return ImageSample(url=pair.url, data=data, width=w, height=h)


def images_of(sample: Any) -> list[tuple[int | None, ImageSample]]:
    """(Document position or None, image) for every image an image filter should judge."""
    if isinstance(sample, ImageSample):
        return [(None, sample)]
    if isinstance(sample, Document):
        return [(pos, ImageSample(url=ref.url, ref=ref)) for pos, ref in sample.image_slots()]
    if isinstance(sample, ImageTextPair):
        return [(None, _pair_image(sample))]
    if isinstance(sample, ImageRef):
        return [(None, ImageSample(url=sample.url, ref=sample))]
    if isinstance(sample, PairSample):
        return [(None, _pair_image(sample.pair, sample.image.data))]
    return []


def sample_key(sample: Any) -> str:
    """The stable key of any sample kind (an ImageSample's is its URL's key)."""
    if isinstance(sample, DecodedVideo):
        return sample.pair.key
    if isinstance(sample, ImageSample):
        return url_key(sample.url)
    key = getattr(sample, "key", None)
    if not isinstance(key, str):
        raise TypeError(f"cannot find the key of a {type(sample).__name__}")
    return key


def sample_source(sample: Any) -> str:
    """The input identity written to the rejects table: the sample's source (typed samples), or its URL."""
    if isinstance(sample, DecodedVideo):
        return sample.pair.url
    source = getattr(sample, "source", None) or getattr(sample, "url", None)
    return str(source or "")
