"""Our resizer against img2dataset's own `Resizer`, pixel by pixel, on real photos.

img2dataset is the benchmark peer, not a dependency: `make setup` installs it (without its
dependencies: it pins webdataset<0.3) so this test runs under `make test`; where it is missing
(or cannot import, as on Python 3.13 where its resizer.py imports the removed `imghdr`), it skips.

Measured with `compare()` below (2026-12-07, img2dataset 1.47.0, albumentations 1.4.24, OpenCV
4.14; 10 real images x 5 modes x sizes 64 and 224): with `reduced_decode=False` every output is
byte-identical to img2dataset's (max abs pixel diff 0), the two RGBA PNGs (composited onto white by
Pillow, by float arithmetic in img2dataset) included. With the default reduced-size JPEG decode the
1999 x 2343 photo differs by a max of 41 levels (mean 1.6-2.1) at 224 px and 15 (mean <= 2.0) at
64 px; smaller JPEGs reduced for 64 px outputs differ by max 7-31 (mean 0.7-3.2), and where the
reduced size rounds one pixel differently the border padding moves by a row (max 244, mean 4.7).
"""

from __future__ import annotations

import importlib.util
import io
import os

import numpy as np
import pytest

from crawlers.media.images import ImageProcessor
from crawlers.media.resizer import RESIZE_MODES, ResizeConfig
from tests.crawlers.media.real_images import real_images

IMAGES = ("grace_hopper.jpg", "hopper.png", "hopper.webp", "hopper-grey.jpg", "hopper-wide.jpg")
IMAGES += ("hopper-tall.jpg", "hopper-small.jpg", "hopper-large.jpg")
IMAGES += ("Minduka_Present_Blue_Pack.png", "logo2.png")  # RGBA: composited onto white


def img2dataset_resizer_class():
    """img2dataset's Resizer class, from its resizer.py alone (its package __init__ imports torch)."""
    spec = importlib.util.find_spec("img2dataset")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("img2dataset is not installed (make setup installs it for this test)")
    os.environ.setdefault("NO_ALBUMENTATIONS_UPDATE", "1")  # else albumentations asks PyPI at import
    path = os.path.join(list(spec.submodule_search_locations)[0], "resizer.py")
    module_spec = importlib.util.spec_from_file_location("img2dataset_resizer_peer", path)
    module = importlib.util.module_from_spec(module_spec)
    try:
        module_spec.loader.exec_module(module)
    except ImportError as exc:  # imghdr on 3.13, or albumentations missing
        pytest.skip(f"img2dataset's resizer does not import here: {exc}")
    return module.Resizer


def pixels(data: bytes) -> np.ndarray:
    import cv2

    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).astype(np.int16)


def compare(name: str, mode: str, size: int, reduced: bool) -> tuple[bool, int, float]:
    """(same sizes, max abs pixel diff, mean abs diff) of our output vs img2dataset's."""
    Resizer = img2dataset_resizer_class()
    raw = real_images()[name]
    peer = Resizer(image_size=size, resize_mode=mode, resize_only_if_bigger=False)
    data, w, h, ow, oh, err = peer(io.BytesIO(raw))
    assert err is None, err
    cfg = ResizeConfig(image_size=size, resize_mode=mode, reduced_decode=reduced, extract_exif=False)
    ours = ImageProcessor(cfg).process(raw)
    assert ours.ok, ours.detail
    same = (ours.width, ours.height, ours.original_width, ours.original_height) == (w, h, ow, oh)
    if not same:
        return False, -1, -1.0
    diff = np.abs(pixels(ours.data) - pixels(data))
    return True, int(diff.max()), float(diff.mean())


@pytest.mark.parametrize("size", [64, 224])
@pytest.mark.parametrize("mode", RESIZE_MODES)
def test_full_decode_is_byte_identical_to_img2dataset(mode, size):
    Resizer = img2dataset_resizer_class()
    for name in IMAGES:
        raw = real_images()[name]
        expected = Resizer(image_size=size, resize_mode=mode, resize_only_if_bigger=False)(io.BytesIO(raw))
        cfg = ResizeConfig(image_size=size, resize_mode=mode, reduced_decode=False, extract_exif=False)
        ours = ImageProcessor(cfg).process(raw)
        got = (ours.data, ours.width, ours.height, ours.original_width, ours.original_height, None)
        assert got == expected, name


@pytest.mark.parametrize("mode", ["border", "keep_ratio", "center_crop", "keep_ratio_largest"])
def test_reduced_decode_stays_close_to_img2dataset(mode):
    for size, bound in ((224, 41), (64, 15)):
        same, max_diff, mean_diff = compare("hopper-large.jpg", mode, size, reduced=True)
        assert same and mean_diff < 2.2 and max_diff <= bound, (size, max_diff, mean_diff)


def test_resize_only_if_bigger_matches_img2dataset():
    Resizer = img2dataset_resizer_class()
    raw = real_images()["hopper-small.jpg"]
    for mode in RESIZE_MODES:
        expected = Resizer(image_size=64, resize_mode=mode, resize_only_if_bigger=True)(io.BytesIO(raw))
        cfg = ResizeConfig(image_size=64, resize_mode=mode, resize_only_if_bigger=True, extract_exif=False)
        ours = ImageProcessor(cfg).process(raw)
        assert (ours.data, ours.width, ours.height) == expected[:3], mode
