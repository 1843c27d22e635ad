"""One small demo run shared by the demo tests: a small sample web, all three build jobs (and a
job that does not exist), a few training steps, the evaluation and every report."""

from __future__ import annotations

import pytest
import torch

from demo.run import run


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo") / "demo"
    threads = torch.get_num_threads()
    try:
        report = run(
            str(out),
            num_steps=3,
            jobs=("pairs", "m3w", "videos", "nonexistent"),
            num_pages=8,
            lm_steps=5,
            max_queries=4,
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)
    return out, report
