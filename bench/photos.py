"""Real photos for the throughput benchmarks, read where the packages that ship them installed them.

No photo corpus lives in ../shared/data/ (it holds HTML pages only), so the benchmarks take the
photographs that Python packages ship as sample data, as shipped (their own PNG or JPEG bytes,
never re-encoded): scikit-image's `skimage/data` (the bench extra installs it) and matplotlib's
`sample_data` (the demo extra). Sizes run from 371 x 370 to 1411 x 1411 (0.14-2.0 MP); the bulk are
400-1000 px sides, the range of web photos. Colour and greyscale, PNG and JPEG:

    astronaut.png 512x512 RGB 792 KB        motorcycle_left.png 741x500 RGB 645 KB
    chelsea.png 451x300 RGB 241 KB          motorcycle_right.png 741x500 RGB 640 KB
    coffee.png 600x400 RGB 467 KB           retina.jpg 1411x1411 RGB 270 KB
    color.png 371x370 RGB 86 KB             rocket.jpg 640x427 RGB 113 KB
    hubble_deep_field.jpg 1000x872 RGB 528 KB   camera.png 512x512 L 140 KB
    ihc.png 512x512 RGB 478 KB              coins.png 384x303 L 76 KB
    grace_hopper.jpg 512x600 RGB 62 KB (matplotlib)
"""

from __future__ import annotations

import functools
import os

# (package, file): photographs only (no charts, logos, synthetic test patterns or textures)
PHOTOS = (
    ("skimage", "astronaut.png"),
    ("skimage", "chelsea.png"),
    ("skimage", "coffee.png"),
    ("skimage", "color.png"),
    ("skimage", "hubble_deep_field.jpg"),
    ("skimage", "ihc.png"),
    ("skimage", "motorcycle_left.png"),
    ("skimage", "motorcycle_right.png"),
    ("skimage", "retina.jpg"),
    ("skimage", "rocket.jpg"),
    ("skimage", "camera.png"),
    ("skimage", "coins.png"),
    ("matplotlib", "grace_hopper.jpg"),
)


def _data_dir(package: str) -> str:
    if package == "matplotlib":
        import matplotlib

        return os.path.join(matplotlib.get_data_path(), "sample_data")
    import importlib.util

    spec = importlib.util.find_spec("skimage")  # not imported: skimage's import pulls in scipy
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError("scikit-image is not installed: pip install -e '.[bench]'")
    return os.path.join(spec.submodule_search_locations[0], "data")


@functools.cache
def real_photos() -> tuple[tuple[str, bytes], ...]:
    """(file name, bytes as shipped) of every photo in PHOTOS."""
    out = []
    for package, name in PHOTOS:
        with open(os.path.join(_data_dir(package), name), "rb") as f:
            out.append((name, f.read()))
    return tuple(out)
