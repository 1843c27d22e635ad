"""kill -9 anywhere is safe (issue 16): each job is killed at a random moment and at its shard
renames, then run again into the same folder. The final shards, sidecars and rejects tables equal
a clean build's byte for byte, no half shard is ever visible to a reader listing the folder, and
no temporary file survives.

The killed run is a subprocess (SIGKILL to its whole process group, ffmpeg included); the clean
build and the re-run run here. FLAMINGO_KILL_AT=NAME:N makes the writer kill itself the N-th time
it reaches the fault point NAME (pipeline/io/shard_files.py), so a rename is hit exactly.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import pytest
from PIL import Image

from demo.sample import write_sample_web
from pipeline.jobs import m3w, pairs, videos
from tests.crawlers.media.video_media import make_testsrc
from tests.http_fixture import HttpFixture

RUN = ["--runner", "FnApiRunner", "--no-progress"]
JOBS = {"m3w": m3w, "pairs": pairs, "videos": videos}


def _digest(folder: Path) -> dict[str, str]:
    """sha256 of every shard, sidecar and rejects table (the manifest's time stamps aside)."""
    names = [p for p in folder.iterdir() if p.suffix in (".tar", ".parquet")]
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(names)}


def _visible_shards_are_whole(folder: Path) -> None:
    """What a reader listing the folder sees: every NAME.tar complete, its sidecar beside it."""
    for tar in folder.glob("*.tar"):
        with tarfile.open(tar) as t:
            assert t.getmembers(), f"{tar.name} is visible but empty"
        assert tar.with_suffix(".parquet").exists(), f"{tar.name} is visible before its sidecar"


def _killed_run(job: str, argv: list[str], *, after: float | None = None, fault: str | None = None) -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    if fault:
        env["FLAMINGO_KILL_AT"] = fault
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "build", job, *argv],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        proc.wait(timeout=after if after is not None else 120)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _jpeg(i: int) -> bytes:
    buf = io.BytesIO()
    Image.effect_mandelbrot((96, 72), (-2 + i / 15, -1.2, 0.8 + i / 30, 1.3), 40).convert("RGB").save(
        buf, "JPEG"
    )
    return buf.getvalue()


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """Small inputs of each job, and a loopback server for the pairs list."""
    root = tmp_path_factory.mktemp("faults")
    web = write_sample_web(root / "web", seed=3, num_pages=10)
    server = HttpFixture().start()
    with open(root / "pairs.csv", "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["url", "caption"])
        w.writerows([server.add(f"/img/{i}.jpg", _jpeg(i)), f"picture {i}"] for i in range(24))
        w.writerow([server.url("/missing.jpg"), "a 404"])
    (root / "v").mkdir()
    for i in range(3):
        make_testsrc(root / "v" / f"{i}.mp4", duration=1.5 + i, size="64x48")
    (root / "nofilters.yaml").write_text("video: []\n")  # the point here is the kill, not the rules
    with open(root / "videos.csv", "w", newline="") as f:
        csv.writer(f).writerows([("url", "caption"), *((f"v/{i}.mp4", f"clip {i}") for i in range(3))])
    argv = {
        "m3w": ["--input", web["paths"]["warc"], "--samples-per-shard", "3"],
        "pairs": [
            "--input",
            str(root / "pairs.csv"),
            "--allow-private",
            "--image-size",
            "32",
            "--samples-per-shard",
            "6",
        ],
        "videos": [
            "--input",
            str(root / "videos.csv"),
            "--allow-local",
            str(root / "v"),
            "--num-frames",
            "2",
            "--image-size",
            "32",
            "--samples-per-shard",
            "1",
            "--short-policy",
            "pad",
            "--filters",
            str(root / "nofilters.yaml"),
        ],
    }
    yield root, argv
    server.stop()


@pytest.mark.parametrize("job", list(JOBS))
def test_killed_anywhere_then_rerun_equals_a_clean_build(inputs, job, tmp_path):
    root, argv = inputs
    start = time.monotonic()
    clean = JOBS[job].run([*argv[job], "--output", str(tmp_path / "clean"), *RUN])
    took = time.monotonic() - start
    assert clean["conservation_ok"] and clean["num_shards"] >= 2
    reference = _digest(tmp_path / "clean")
    rng = random.Random(f"kill:{job}")
    kills = [
        {"fault": "shard_rename:2"},
        {"fault": "atomic_rename:1"},
        {"after": rng.uniform(1.5, 2.0 + took)},
    ]
    for i, kill in enumerate(kills):
        out = tmp_path / f"run{i}"
        _killed_run(job, [*argv[job], "--output", str(out), *RUN], **kill)
        if out.exists():
            _visible_shards_are_whole(out)
        again = JOBS[job].run([*argv[job], "--output", str(out), *RUN])
        assert again["conservation_ok"], kill
        assert _digest(out) == reference, kill
        assert not list(out.glob("*.tmp-*")), kill
