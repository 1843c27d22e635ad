"""Decode + resize + encode per image: our ImageProcessor vs img2dataset's own Resizer, one process.

    python -m bench.resize [--repeats 5] [--image-size 224] [--mode border]

Inputs are real photos: matplotlib's sample photo (grace_hopper.jpg, 512 x 600) and its variants
from tests/crawlers/media/real_images.py (PNG, WebP, greyscale, crops, 57 x 67, 1999 x 2343), plus
the two RGBA PNGs matplotlib ships. Each round times every image through img2dataset's Resizer
(bytes in, as its downloader calls it) and through ours (reduced JPEG decode on, the default, and
off), interleaved, after one warm-up round; prints the median ms per image set and the ratios, and
the max abs pixel difference to img2dataset's output per setting (0 = identical pixels).
Single thread: this is CPU per image; the pairs job runs many fetch threads (bench/pairs.py).
"""

from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import time

import cv2
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))  # `python bench/resize.py`

from crawlers.media.images import ImageProcessor  # noqa: E402
from crawlers.media.resizer import ResizeConfig  # noqa: E402
from tests.crawlers.media.real_images import real_images  # noqa: E402
from tests.crawlers.media.test_resizer_parity import img2dataset_resizer_class  # noqa: E402


def _pixels(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED).astype(np.int16)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--image-size", type=int, default=224)
    ap.add_argument("--mode", default="border")
    args = ap.parse_args(argv)
    images = real_images()
    peer = img2dataset_resizer_class()(
        image_size=args.image_size, resize_mode=args.mode, resize_only_if_bigger=False
    )
    ours = {
        "ours (reduced decode)": ImageProcessor(
            ResizeConfig(image_size=args.image_size, resize_mode=args.mode, extract_exif=False)
        ),
        "ours (full decode)": ImageProcessor(
            ResizeConfig(
                image_size=args.image_size, resize_mode=args.mode, extract_exif=False, reduced_decode=False
            )
        ),
    }
    tools = {"img2dataset Resizer": lambda raw: peer(io.BytesIO(raw))[0]}
    tools.update({name: (lambda raw, p=p: p.process(raw).data) for name, p in ours.items()})
    times: dict[str, list[float]] = {name: [] for name in tools}
    for round_no in range(args.repeats + 1):  # round 0 warms up
        for name, run in tools.items():
            start = time.perf_counter()
            for raw in images.values():
                run(raw)
            if round_no:
                times[name].append(time.perf_counter() - start)
    reference = {k: _pixels(tools["img2dataset Resizer"](raw)) for k, raw in images.items()}
    base = statistics.median(times["img2dataset Resizer"])
    print(f"{len(images)} real images, {args.mode} {args.image_size} px, median of {args.repeats}:")
    for name, ts in times.items():
        med = statistics.median(ts)
        diffs = []
        for k, raw in images.items():
            got = _pixels(tools[name](raw))
            if got.shape == reference[k].shape:
                diffs.append(int(np.abs(got - reference[k]).max()))
        worst = max(diffs) if diffs else "n/a"
        print(
            f"  {name:<24} {1000 * med:8.1f} ms/set  speed vs img2dataset {base / med:5.2f}x  "
            f"max abs pixel diff {worst} ({len(diffs)}/{len(images)} same size)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
