"""Decode, normalise, resize and re-encode one image, with a reason for every failure.

Resizing and encoding are img2dataset's `Resizer`, so `resize_mode` and the size checks mean
exactly what they mean there. In front of it, Pillow does what the Resizer (OpenCV) does not:
EXIF orientation, CMYK / palette / 16-bit modes, alpha onto white, the first frame of
animations, and the decompression-bomb guard, all before any pixel is decoded.
Fast path: a plain RGB/greyscale JPEG/PNG/WebP without orientation goes to the Resizer as is
(no double decode); everything else is normalised by Pillow and handed over as BMP. A plain
JPEG at least 4x the target size is decoded by libjpeg at 1/2-1/8 scale first
(crawlers/media/reduced_decode.py: same modes and checks, not bit-identical; `reduced_decode=False`
turns it off).

SVG is rejected (UNSUPPORTED_FORMAT), not rasterised: it has no intrinsic pixel size, and a
rasteriser parses untrusted XML with external references.

Reported width/height are after resizing; original_width/height are as displayed (after
EXIF rotation), where img2dataset reports the stored orientation.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import io
import json
import logging
import math
import os
import sys
import threading

import exifread
from PIL import Image, ImageOps, UnidentifiedImageError

from crawlers.media.decode_budget import process_budget
from crawlers.media.reduced_decode import decode_reduced, reduction
from schemas.reasons import RejectReason

log = logging.getLogger(__name__)


def _load_resizer_module():
    """img2dataset's resizer.py, loaded on its own.

    `import img2dataset.resizer` runs the package's __init__, which imports its writer, then
    webdataset, then torch: 10 s and a torch import in a data job that must not have one. The
    resizer module itself needs only OpenCV, albumentations and numpy.
    """
    # albumentations asks PyPI for a newer version at import time: a stall on offline workers
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")
    name = "img2dataset_resizer"
    if name in sys.modules:
        return sys.modules[name]
    package = importlib.util.find_spec("img2dataset")
    if package is None or not package.submodule_search_locations:
        raise ImportError("img2dataset is not installed (pip install img2dataset)")
    path = os.path.join(list(package.submodule_search_locations)[0], "resizer.py")
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    # Resizer.__call__ wraps every call in SuppressStdoutStderr, which os.dup2()s fds 1 and 2 to
    # /dev/null: process-wide state, so overlapping calls from threads can leave stdout pointing at
    # /dev/null, and it forces one resize at a time. It only hides libjpeg's "corrupt data"
    # warnings; in this private copy of the module it is a no-op, and resizes run in parallel.
    module.SuppressStdoutStderr = contextlib.nullcontext
    module.A = ReusedTransforms(module.A)
    return module


class ReusedTransforms:
    """albumentations as our copy of the Resizer sees it: each transform built once per thread.

    The Resizer builds its LongestMaxSize / PadIfNeeded / SmallestMaxSize / CenterCrop for every
    image; construction validates its arguments (pydantic) and seeds two random generators,
    ~0.1-0.25 ms each, all of it holding the GIL (about a tenth of the job's GIL time on the
    pairs bench). With p=1.0 these transforms are deterministic; a transform object keeps the
    last call's params on itself, so instances are per thread, never shared. Outputs are
    byte-identical (tests/crawlers/media/test_images.py).
    """

    def __init__(self, module):
        self._module = module
        self._local = threading.local()

    def __getattr__(self, name: str):
        factory = getattr(self._module, name)
        if not isinstance(factory, type):
            return factory

        def build(*args, **kwargs):
            cache = self._local.__dict__.setdefault("transforms", {})
            key = (name, repr(args), repr(sorted(kwargs.items())))
            if key not in cache:
                cache[key] = factory(*args, **kwargs)
            return cache[key]

        return build


Resizer = _load_resizer_module().Resizer
logging.getLogger("exifread").setLevel(logging.ERROR)  # it warns on every PNG/GIF without EXIF

Image.init()  # register every plugin now: open(formats=...) fails on names not yet loaded
DECODABLE_FORMATS = ("JPEG", "PNG", "WEBP", "GIF", "BMP", "TIFF")  # MPO opens as JPEG
_FAST_FORMATS = frozenset({"JPEG", "PNG", "WEBP"})
_ORIENTATION = 0x0112

_RESIZER_ERRORS = {
    "image too small": RejectReason.IMAGE_TOO_SMALL,
    "image area too large": RejectReason.IMAGE_TOO_LARGE,
    "aspect ratio too large": RejectReason.ASPECT_RATIO,
}


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
    max_decode_pixels: int = Image.MAX_IMAGE_PIXELS or 89_478_485  # Pillow's default bomb limit
    # pixels decoding at once in one worker process, over all its threads (crawlers/media/decode_budget.py)
    decode_budget_pixels: int = 2 * (Image.MAX_IMAGE_PIXELS or 89_478_485)
    extract_exif: bool = True
    reduced_decode: bool = True  # large JPEGs decoded at 1/2-1/8 scale (crawlers/media/reduced_decode.py)


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


class ImageProcessor:
    def __init__(self, config: ResizeConfig | None = None):
        self.config = c = config or ResizeConfig()
        self._resizer = Resizer(
            image_size=c.image_size,
            resize_mode=c.resize_mode,
            resize_only_if_bigger=c.resize_only_if_bigger,
            upscale_interpolation=c.upscale_interpolation,
            downscale_interpolation=c.downscale_interpolation,
            encode_quality=c.encode_quality,
            encode_format=c.encode_format,
            min_image_size=c.min_image_size,
            max_image_area=c.max_image_area,
            max_aspect_ratio=c.max_aspect_ratio,
        )
        self._budget = process_budget(c.decode_budget_pixels)

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
                    stream, scale = self._stream_for_resizer(im, raw)
                except Image.DecompressionBombError as exc:
                    return self._fail(out, RejectReason.DECOMPRESSION_BOMB, str(exc))
                except (OSError, ValueError, SyntaxError, EOFError) as exc:
                    reason = RejectReason.TRUNCATED if "truncated" in str(exc) else RejectReason.UNDECODABLE
                    return self._fail(out, reason, f"{type(exc).__name__}: {exc}")
                data, width, height, ow, oh, err = self._resizer(stream)
        if err is not None:
            return self._fail(out, _RESIZER_ERRORS.get(err, RejectReason.UNDECODABLE), err)
        if scale > 1:  # the Resizer saw the reduced decode; the source is w x h (orientation 1)
            ow, oh = w, h
        out.ok, out.data, out.ext = True, data, self.config.encode_format
        out.width, out.height, out.original_width, out.original_height = width, height, ow, oh
        if self.config.extract_exif:
            out.exif = _exif_json(raw)
        return out

    def _stream_for_resizer(self, im: Image.Image, raw: bytes) -> tuple[io.BytesIO, int]:
        """The bytes the Resizer decodes, and the scale they were reduced by (1: full size)."""
        orientation = (
            im.getexif().get(_ORIENTATION, 1) if im.format in ("JPEG", "MPO", "WEBP", "PNG", "TIFF") else 1
        )
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
            stream = decode_reduced(raw, im.mode, scale) if scale > 1 else None
            if stream is not None:
                return stream, scale
        if plain and complete:
            return io.BytesIO(raw), 1
        im.seek(0)  # animations: the first frame
        im.load()
        rgb = _to_rgb(ImageOps.exif_transpose(im))
        buf = io.BytesIO()
        rgb.save(buf, "BMP")  # uncompressed: the cheapest lossless hand-over to OpenCV
        return buf, 1

    @staticmethod
    def _fail(out: ProcessedImage, reason: RejectReason, detail: str) -> ProcessedImage:
        out.reason, out.detail = reason, detail[:500]
        return out
