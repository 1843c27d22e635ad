"""Small JPEG thumbnails and the `data:` URIs that put them inside a self-contained HTML page.

A report shows dozens of images and must stay one file of a couple of megabytes, so every image
is shrunk to at most THUMB_SIDE pixels on its longer side and re-encoded at JPEG quality
THUMB_QUALITY. Measured: 0.5-0.9 KB each for the demo's flat synthetic images (the data URIs in
`make demo`'s reports), about 1 KB for a 640x480 noise image (tests/pipeline/report/test_thumbnails.py
bounds it at 8 KB); no real photo corpus was at hand, and the page's image budget
(pipeline/report/galleries.py) bounds the page whatever they weigh. Any image PIL can open works
(JPEG, PNG, WebP, GIF); bytes it cannot decode give None, and the caller shows the URL and reason
instead.
"""

from __future__ import annotations

import base64
import io
import logging

from PIL import Image, UnidentifiedImageError

log = logging.getLogger(__name__)

THUMB_SIDE = 96  # px, the longer side: a grid of 6-8 per row on a laptop screen
THUMB_QUALITY = 70  # JPEG quality: small files, artefacts barely visible at this size
# What a broken image raises in PIL: not an image, truncated data, a decompression bomb.
DECODE_ERRORS = (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError)


def thumbnail(data: bytes, side: int = THUMB_SIDE) -> bytes | None:
    """`data` (any image format) as a JPEG at most `side` px on its longer side; None when it does
    not decode. Images are never enlarged."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.draft("RGB", (side, side))  # JPEG: decode at a reduced scale straight away
            im = im.convert("RGB")
            im.thumbnail((side, side))
            out = io.BytesIO()
            im.save(out, "JPEG", quality=THUMB_QUALITY, optimize=True)
    except DECODE_ERRORS as exc:
        log.debug("no thumbnail: %s", exc)
        return None
    return out.getvalue()


def data_uri(jpeg: bytes) -> str:
    return "data:image/jpeg;base64," + base64.b64encode(jpeg).decode("ascii")
