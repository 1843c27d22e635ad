"""The demo tests share two fixtures: one small demo run (a small sample web, all three build
jobs and a job that does not exist, a few training steps, the evaluation and every report) and the
sample web written once."""

from __future__ import annotations

import pytest
import torch

from demo.run import run
from demo.sample import write_sample_web


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
            icl_seeds=(0, 1),
            max_episodes=6,
            progress=False,
        )
    finally:
        torch.set_num_threads(threads)
    return out, report


@pytest.fixture(scope="session")
def sample(tmp_path_factory):
    """The sample web written once (seed 0): its folder and what write_sample_web returned."""
    out = tmp_path_factory.mktemp("sample")
    return out, write_sample_web(out, seed=0)
