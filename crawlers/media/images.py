"""Decode, normalise, resize and re-encode one image, with a reason for every failure.

Resizing and encoding are our own `Resizer` (crawlers/media/resizer.py), which gives the pixels,
sizes and checks of img2dataset's, so `resize_mode` and the size checks mean exactly what they
mean there. In front of it, Pillow does what OpenCV's decoder does not: EXIF orientation, CMYK /
palette / 16-bit modes, alpha onto white, the first frame of animations, and the
decompression-bomb guard, all before any pixel is decoded. Fast path: a plain RGB/greyscale
JPEG/PNG/WebP without orientation is decoded by OpenCV straight to the array the Resizer takes
(as img2dataset decodes it); everything else is decoded by Pillow and handed over as an array. A
plain JPEG at least 4x the target size is decoded by libjpeg at 1/2-1/8 scale
(crawlers/media/reduced_decode.py: same modes and checks, not bit-identical; `reduced_decode=False`
turns it off).

SVG is rejected (UNSUPPORTED_FORMAT), not rasterised: it has no intrinsic pixel size, and a
rasteriser parses untrusted XML with external references.

Reported width/height are after resizing; original_width/height are as displayed (after
EXIF rotation), where img2dataset reports the stored orientation.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import logging

import cv2
import exifread
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from crawlers.media.decode_budget import process_budget
from crawlers.media.reduced_decode import decode_reduced, reduction
from crawlers.media.resizer import BAD_ASPECT, TOO_LARGE, TOO_SMALL, ResizeConfig, Resizer
from schemas.reasons import RejectReason

log = logging.getLogger(__name__)


logging.getLogger("exifread").setLevel(logging.ERROR)  # it warns on every PNG/GIF without EXIF

Image.init()  # register every plugin now: open(formats=...) fails on names not yet loaded
DECODABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # MPO opens as JPEG
_FAST_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
_ORIENTATION = 0x0112
_EXIF_FORMATS = frozenset({"JPEG", "MPO", "WEBP", "PNG", "TIFF"})

_RESIZER_ERRORS = {
    TOO_SMALL: RejectReason.IMAGE_TOO_SMALL,
    TOO_LARGE: RejectReason.IMAGE_TOO_LARGE,
    BAD_ASPECT: RejectReason.ASPECT_RATIO,
}


@dataclasses.dataclass
class ProcessedImage:
    ok: bool
    reason: RejectReason | None = None
    detail: str = ""
    data: bytes | None = None
    ext: str = ""
    width: int | None = None
    height: int | None = None
    original_width: int | None = None
    original_height: int | None = None
    sha256: str | None = None
    exif: str | None = None


def _sniff_text(raw: bytes) -> RejectReason | None:
    head = raw[:512].lstrip().lower()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in raw[:4096].lower()):
        return RejectReason.UNSUPPORTED_FORMAT
    if head.startswith((b"<!doctype", b"<html", b"<?xml", b"{", b"<")):
        return RejectReason.NOT_AN_IMAGE
    return None


def _exif_json(raw: bytes) -> str | None:
    """EXIF as img2dataset stores it: exifread tags, values as stripped strings, JSON."""
    try:
        tags = exifread.process_file(io.BytesIO(raw), details=False)
    except Exception as exc:  # noqa: BLE001 - exifread raises many kinds on odd files; EXIF is optional metadata
        log.debug("no EXIF: %s", exc)
        return None
    return json.dumps({k: str(v).strip() for k, v in tags.items() if v is not None})


def _to_rgb(im: Image.Image) -> Image.Image:
    """An RGB image: transparency composited onto white, CMYK and 16-bit modes converted."""
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        im = im.point(lambda v: v / 256).convert("L")  # 16-bit greyscale: keep the top 8 bits
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(white, rgba).convert("RGB")
    return im if im.mode == "RGB" else im.convert("RGB")


def _png_metadata_after_pixels(raw: bytes) -> bool:
    """Whether a PNG has a chunk other than IDAT/IEND after its first IDAT (or cannot be walked to
    its IEND). Pillow reads the chunks before the pixels at open; the ones after (eXIf, tEXt, iTXt:
    where EXIF and XMP orientation may sit) only by decoding every pixel."""
    pos, seen_pixels = 8, False
    while pos + 8 <= len(raw):
        length, kind = int.from_bytes(raw[pos : pos + 4], "big"), raw[pos + 4 : pos + 8]
        if kind == b"IEND":
            return False
        if kind == b"IDAT":
            seen_pixels = True
        elif seen_pixels:
            return True
        pos += 12 + length  # length, type, data, CRC
    return True  # truncated: Pillow's getexif decodes it and reports what is wrong


def _exif_of(im: Image.Image, raw: bytes) -> Image.Exif:
    """`im.getexif()`, without its full decode of a PNG whose metadata all precede the pixels.

    Pillow's PNG getexif loads (decodes) the image whenever no eXIf chunk came before IDAT, to
    look for one after it; OpenCV then decoded the same pixels again (measured: a 512 x 512 PNG
    took ~2x the decode time of the resize+encode path). When the chunk walk shows nothing after
    the pixels, what the load would add to `im.info` is nothing, so the base class's getexif,
    which reads `im.info` only, gives the same tags."""
    if im.format == "PNG" and "exif" not in im.info and not _png_metadata_after_pixels(raw):
        return Image.Image.getexif(im)
    return im.getexif()


class ImageProcessor:
    """Raw bytes -> `ProcessedImage`; one instance serves many threads (no per-image state)."""

    def __init__(self, config: ResizeConfig | None = None):
        self.config = config or ResizeConfig()
        self._resizer = Resizer(self.config)
        self._budget = process_budget(self.config.decode_budget_pixels)
        # OpenCV's own thread pool would split each resize across cores that the job's fetch threads
        # already fill; img2dataset sets the same before every image. Process-wide, so set here once.
        cv2.setNumThreads(1)

    def process(self, raw: bytes) -> ProcessedImage:
        out = ProcessedImage(ok=False, sha256=hashlib.sha256(raw).hexdigest())
        if not raw:
            return self._fail(out, RejectReason.NOT_AN_IMAGE, "empty body")
        sniffed = _sniff_text(raw)
        if sniffed is not None:
            return self._fail(out, sniffed, f"body starts with {raw[:20]!r}")
        try:
            im = Image.open(io.BytesIO(raw), formats=DECODABLE_FORMATS)
        except Image.DecompressionBombError as exc:
            return self._fail(out, RejectReason.DECOMPRESSION_BOMB, str(exc))
        except UnidentifiedImageError:
            return self._fail(out, RejectReason.NOT_AN_IMAGE, f"unrecognised image data {raw[:12]!r}")
        except (OSError, ValueError, SyntaxError) as exc:  # malformed headers
            return self._fail(out, RejectReason.UNDECODABLE, f"{type(exc).__name__}: {exc}")
        with im:
            w, h = im.size
            if w * h > self.config.max_decode_pixels:
                return self._fail(
                    out, RejectReason.DECOMPRESSION_BOMB, f"{w}x{h} pixels > {self.config.max_decode_pixels}"
                )
            with self._budget.hold(w * h):  # decode to encode: the pixels this image holds
                try:
                    pixels, scale = self.decode(im, raw)
                except Image.DecompressionBombError as exc:
                    return self._fail(out, RejectReason.DECOMPRESSION_BOMB, str(exc))
                except (OSError, ValueError, SyntaxError, EOFError) as exc:
                    reason = RejectReason.TRUNCATED if "truncated" in str(exc) else RejectReason.UNDECODABLE
                    return self._fail(out, reason, f"{type(exc).__name__}: {exc}")
                resized = self._resizer(pixels)
                del pixels
        if resized.error is not None:
            reason = _RESIZER_ERRORS.get(resized.error, RejectReason.UNDECODABLE)
            return self._fail(out, reason, resized.error)
        ow, oh = (w, h) if scale > 1 else (resized.original_width, resized.original_height)
        out.ok, out.data, out.ext = True, resized.data, self.config.encode_format
        out.width, out.height, out.original_width, out.original_height = resized.width, resized.height, ow, oh
        if self.config.extract_exif:
            out.exif = _exif_json(raw)
        return out

    def decode(self, im: Image.Image, raw: bytes) -> tuple[np.ndarray, int]:
        """The pixels the Resizer takes (BGR or grey, uint8) and the scale they were reduced by
        (1: full size; >1: a reduced JPEG decode, whose source is w x h with orientation 1)."""
        orientation = _exif_of(im, raw).get(_ORIENTATION, 1) if im.format in _EXIF_FORMATS else 1
        plain = (
            im.format in _FAST_FORMATS
            and im.mode in ("RGB", "L")
            and "transparency" not in im.info
            and not getattr(im, "is_animated", False)
            and orientation == 1
        )
        # OpenCV decodes a JPEG without its end marker silently (grey bottom rows): let Pillow judge it
        complete = im.format != "JPEG" or raw.rstrip(b"\0\r\n ").endswith(b"\xff\xd9")
        if plain and complete and im.format == "JPEG" and self.config.reduced_decode:
            scale = reduction(im.width, im.height, self.config)
            pixels = decode_reduced(raw, im.mode, scale) if scale > 1 else None
            if pixels is not None:
                return pixels, scale
        if plain and complete:
            # img2dataset's own decode (IMREAD_UNCHANGED: greyscale stays one channel)
            pixels = cv2.imdecode(np.frombuffer(raw, np.uint8), cv2.IMREAD_UNCHANGED)
            if pixels is None:  # img2dataset's verdict on a file its decoder refuses
                raise ValueError("OpenCV cannot decode it")
            if pixels.dtype == np.uint8:
                return pixels, 1
            # a 16-bit PNG (Pillow opens it as 8-bit RGB): Pillow decodes it below, as img2dataset cannot
        im.seek(0)  # animations: the first frame
        im.load()
        rgb = _to_rgb(ImageOps.exif_transpose(im))
        return cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2BGR), 1

    @staticmethod
    def _fail(out: ProcessedImage, reason: RejectReason, detail: str) -> ProcessedImage:
        out.reason, out.detail = reason, detail[:500]
        return out


__all__ = ["DECODABLE_FORMATS", "ImageProcessor", "ProcessedImage", "ResizeConfig"]
