"""The pixels a worker decodes at once are bounded, whatever its thread count (issue 16, item 12)."""

from __future__ import annotations

import concurrent.futures
import io
import threading
import time

from PIL import Image

from crawlers.media.decode_budget import DecodeBudget
from crawlers.media.images import ImageProcessor, ResizeConfig


def test_holds_never_exceed_the_budget_and_an_oversize_image_runs_alone():
    budget = DecodeBudget(1000)
    live, seen = [0], []
    lock = threading.Lock()

    def decode(pixels: int) -> None:
        with budget.hold(pixels):
            with lock:
                live[0] += 1
                seen.append((budget.in_flight, live[0], pixels))
            time.sleep(0.01)
            with lock:
                live[0] -= 1

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        list(pool.map(decode, [300] * 40 + [5000] * 3))
    assert budget.peak <= 1000 and budget.in_flight == 0
    assert all(alone == 1 for _, alone, pixels in seen if pixels == 5000)  # bigger than the budget: alone


def test_sixteen_threads_of_large_pngs_stay_within_the_budget():
    buf = io.BytesIO()
    Image.effect_noise((700, 700), 60).convert("RGB").save(buf, "PNG")
    processor = ImageProcessor(ResizeConfig(image_size=64))
    processor._budget = DecodeBudget(1_000_000)  # two 490k-pixel images at a time
    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        results = list(pool.map(processor.process, [buf.getvalue()] * 32))
    assert all(r.ok for r in results)
    assert processor._budget.peak <= 1_000_000 and processor._budget.in_flight == 0
