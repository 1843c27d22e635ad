"""Allowed image formats: ImageFormatFilter.

The format is read from the decoded image, else from the bytes' signature, else from the URL's
extension; an image with none of these is kept (nothing to judge). Defaults are the formats the
shard writer stores and loaders decode (JPEG, PNG, WebP); GIF is left out because animated GIFs
are mostly ads and emoji, SVG because it is not a raster image.
"""

from __future__ import annotations

import dataclasses
from urllib.parse import urlsplit

from filters.base import Reject, register
from filters.image_filter import ImageFilter
from filters.samples import ImageSample
from schemas import RejectReason

_SIGNATURES = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"BM", "bmp"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
)
_EXTENSIONS = {
    "jpg": "jpeg",
    "jpeg": "jpeg",
    "png": "png",
    "webp": "webp",
    "gif": "gif",
    "bmp": "bmp",
    "svg": "svg",
    "ico": "ico",
    "tif": "tiff",
    "tiff": "tiff",
    "avif": "avif",
    "heic": "heic",
}


def image_format(image: ImageSample) -> str | None:
    """Lowercase format name (jpeg, png, webp, ...) or None when unknown."""
    if image.image is not None and image.image.format:
        return image.image.format.lower()
    data = image.data
    if data:
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return "webp"
        for magic, name in _SIGNATURES:
            if data.startswith(magic):
                return name
        pixels = image.pixels()
        return pixels.format.lower() if pixels is not None and pixels.format else None
    path = urlsplit(image.url).path.lower()
    ext = path.rsplit(".", 1)[-1] if "." in path.rsplit("/", 1)[-1] else ""
    return _EXTENSIONS.get(ext)


@register("image_format")
@dataclasses.dataclass(frozen=True, kw_only=True)
class ImageFormatFilter(ImageFilter):
    formats: tuple[str, ...] = ("jpeg", "png", "webp")

    def check_image(self, image: ImageSample) -> Reject | None:
        fmt = image_format(image)
        if fmt is not None and fmt not in self.formats:
            return Reject(RejectReason.UNSUPPORTED_FORMAT, f"format {fmt} not in {list(self.formats)}")
        return None
