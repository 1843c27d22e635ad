"""ImageProcessor: modes, orientation, colour handling and one reason per failure."""

import hashlib
import io
import zlib

import pytest
from PIL import Image

from crawlers.http.fetch import FetchConfig, Fetcher
from crawlers.media.images import ImageProcessor, ResizeConfig
from schemas.reasons import RejectReason
from tests.http_fixture import DEFAULT_ROUTES, animated_gif, exif_rotated_jpeg, image_bytes, png_bomb


def decode(data: bytes) -> Image.Image:
    return Image.open(io.BytesIO(data)).convert("RGB")


def near(a, b, tol=12):
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def test_default_routes_fetch_and_process_to_their_exact_outcomes(http_server):
    fetcher = Fetcher(
        FetchConfig(
            allow_private=True,
            read_timeout=0.5,
            total_timeout=0.5,
            max_bytes=2**20,
            retries=1,
            backoff_base=0.01,
            max_retry_wait=1.0,
            concurrency=8,
        )
    )
    proc = ImageProcessor(ResizeConfig(image_size=32))
    paths = list(DEFAULT_ROUTES)
    got = {}
    for path, r in zip(paths, fetcher.fetch_many([http_server.url(p) for p in paths]), strict=True):
        if not r.ok:
            got[path] = r.reason.value
            continue
        out = proc.process(r.content)
        got[path] = "ok" if out.ok else out.reason.value
    assert got == DEFAULT_ROUTES


@pytest.mark.parametrize(
    "mode,size,expected",
    [
        ("border", (64, 32), (64, 64)),
        ("keep_ratio", (64, 32), (128, 64)),
        ("center_crop", (64, 32), (64, 64)),
        ("keep_ratio_largest", (64, 32), (64, 32)),
        ("no", (64, 32), (100, 50)),
    ],
)
def test_resize_modes_match_img2dataset(mode, size, expected):
    out = ImageProcessor(ResizeConfig(image_size=64, resize_mode=mode)).process(image_bytes((100, 50)))
    assert out.ok and (out.width, out.height) == expected
    assert (out.original_width, out.original_height) == (100, 50)
    assert decode(out.data).size == expected


def test_sha256_is_of_the_original_bytes_and_exif_recorded():
    raw = exif_rotated_jpeg((64, 32))
    out = ImageProcessor(ResizeConfig(image_size=16, resize_mode="keep_ratio")).process(raw)
    assert out.sha256 == hashlib.sha256(raw).hexdigest()
    assert (out.original_width, out.original_height) == (32, 64)  # displayed portrait after orientation 6
    assert '"Image Orientation": "Rotated 90 CW"' in out.exif


def test_alpha_composited_onto_white_and_cmyk_converted():
    proc = ImageProcessor(ResizeConfig(image_size=16, encode_format="png", encode_quality=1))
    transparent = proc.process(image_bytes((16, 16), "RGBA", "PNG", (0, 0, 0, 0)))
    assert near(decode(transparent.data).getpixel((8, 8)), (255, 255, 255), 0)
    red = proc.process(image_bytes((16, 16), "CMYK", colour=(0, 255, 255, 0)))
    assert near(decode(red.data).getpixel((8, 8)), (255, 0, 0), 40)


def test_animation_takes_the_first_frame():
    frames = [Image.new("RGB", (16, 16), c) for c in ((0, 0, 255), (0, 255, 0))]
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:])
    out = ImageProcessor(ResizeConfig(image_size=16, encode_format="png", encode_quality=1)).process(
        buf.getvalue()
    )
    assert near(decode(out.data).getpixel((8, 8)), (0, 0, 255), 0)
    assert ImageProcessor().process(animated_gif()).ok


@pytest.mark.parametrize(
    "raw,reason",
    [
        (b"", RejectReason.NOT_AN_IMAGE),
        (b"<html><body>x</body></html>", RejectReason.NOT_AN_IMAGE),
        (b"\x00\x01garbage" * 10, RejectReason.NOT_AN_IMAGE),
        (b"<svg xmlns='x'/>", RejectReason.UNSUPPORTED_FORMAT),
        (png_bomb(), RejectReason.DECOMPRESSION_BOMB),
        (image_bytes((256, 256))[:1500], RejectReason.TRUNCATED),
        (image_bytes((8, 8), fmt="PNG")[:60], RejectReason.UNDECODABLE),
    ],
)
def test_bad_inputs_have_specific_reasons(raw, reason):
    out = ImageProcessor().process(raw)
    assert (out.ok, out.reason) == (False, reason) and out.data is None


def test_decode_pixel_limit_is_configurable():
    out = ImageProcessor(ResizeConfig(max_decode_pixels=1000)).process(image_bytes((40, 40)))
    assert out.reason is RejectReason.DECOMPRESSION_BOMB


@pytest.mark.parametrize(
    "cfg,size,reason",
    [
        (dict(min_image_size=50), (40, 80), RejectReason.IMAGE_TOO_SMALL),
        (dict(max_aspect_ratio=2.0), (90, 30), RejectReason.ASPECT_RATIO),
        (dict(max_image_area=1000), (40, 40), RejectReason.IMAGE_TOO_LARGE),
    ],
)
def test_resizer_size_checks(cfg, size, reason):
    assert ImageProcessor(ResizeConfig(**cfg)).process(image_bytes(size)).reason is reason


def test_sixteen_bit_rgb_png_is_decoded_by_pillow_to_eight_bits():
    import cv2
    import numpy as np

    ok, png = cv2.imencode(".png", np.full((20, 40, 3), 0x8000, np.uint16))  # 48-bit RGB, mid-grey
    assert ok and Image.open(io.BytesIO(png.tobytes())).mode == "RGB"  # Pillow shows it as 8-bit
    out = ImageProcessor(ResizeConfig(image_size=16, encode_format="png", encode_quality=1)).process(
        png.tobytes()
    )
    assert out.ok and (out.original_width, out.original_height) == (40, 20)
    assert near(decode(out.data).getpixel((8, 8)), (128, 128, 128), 0)


def _png_with_chunk_before_iend(png: bytes, kind: bytes, data: bytes) -> bytes:
    """A PNG with one more chunk after its pixels (Pillow finds it only by decoding them)."""
    chunk = len(data).to_bytes(4, "big") + kind + data + zlib.crc32(kind + data).to_bytes(4, "big")
    end = png.rindex(b"IEND") - 4
    return png[:end] + chunk + png[end:]


def test_plain_png_is_decoded_once_by_opencv_not_first_by_pillow_for_its_exif():
    png = image_bytes((40, 20), fmt="PNG")
    proc = ImageProcessor(ResizeConfig(image_size=16))
    with Image.open(io.BytesIO(png)) as im:
        pixels, scale = proc.decode(im, png)
        assert im._im is None  # Pillow never decoded the pixels; OpenCV did, once
    assert (pixels.shape, scale) == ((20, 40, 3), 1)


def test_png_exif_orientation_after_the_pixels_is_still_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW: stored 40 x 20, shown 20 x 40
    png = _png_with_chunk_before_iend(image_bytes((40, 20), fmt="PNG"), b"eXIf", exif.tobytes())
    with Image.open(io.BytesIO(png)) as im:
        assert "exif" not in im.info  # not seen at open: only a full decode finds it
    out = ImageProcessor(ResizeConfig(image_size=16, resize_mode="no")).process(png)
    assert out.ok and (out.width, out.height) == (20, 40)
    # a text chunk after the pixels (XMP could be one) also takes Pillow's path: same size, no rotation
    png = _png_with_chunk_before_iend(image_bytes((40, 20), fmt="PNG"), b"tEXt", b"Comment\0late")
    out = ImageProcessor(ResizeConfig(image_size=16, resize_mode="no")).process(png)
    assert out.ok and (out.width, out.height) == (40, 20)
