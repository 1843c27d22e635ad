"""bench/scale.py's parts, kept from rotting: the process-tree sampler, the generated inputs, the
capacity model's arithmetic, and the README's scale table against the stored runs."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from bench import capacity
from bench.scale import RESULTS, TreeSampler, merge
from bench.scale_inputs import ImageServer, distinct_jpeg, write_warcs

ROOT = Path(__file__).resolve().parents[2]

_CHILD = "import time; x = bytearray(80 * 2**20); time.sleep(2)"  # 80 MiB held for 2 s


def test_tree_sampler_counts_a_grandchild():
    parent = f"import subprocess, sys; subprocess.run([sys.executable, '-c', {_CHILD!r}], check=True)"
    proc = subprocess.Popen([sys.executable, "-c", parent])
    sampler = TreeSampler(proc.pid, interval=0.05)
    sampler.start()
    proc.wait()
    sampler.stop()
    assert sampler.peak_worker_rss >= 80 * 2**20  # the grandchild's buffer, seen through its parent
    assert sampler.peak_rss >= sampler.peak_worker_rss + sampler.peak_root_rss * 0.5
    assert sampler.max_processes == 2 and sum(sampler.cpu.values()) > 0


def test_warcs_hold_each_page_and_its_images(tmp_path):
    counts = write_warcs(str(tmp_path), 4)
    records = []
    for path in sorted(glob.glob(str(tmp_path / "*.warc.gz"))):
        with open(path, "rb") as f:
            records += [
                (r.rec_headers.get_header("WARC-Target-URI"), r.http_headers.get_header("Content-Type"))
                for r in ArchiveIterator(f)
                if r.rec_type == "response"
            ]
    pages = [u for u, ctype in records if ctype.startswith("text/html")]
    images = [u for u, ctype in records if ctype == "image/jpeg"]
    assert pages == [
        f"https://news.example/{s}/{i}" for i, s in enumerate(["semantic", "wordpress", "hashed", "semantic"])
    ]
    assert counts["pages"] == 4 and counts["images"] == len(images) == len(set(images)) > 4
    assert distinct_jpeg(0) != distinct_jpeg(1) and distinct_jpeg(0) == distinct_jpeg(0)


def test_image_server_serves_distinct_images_and_404_beyond():
    with ImageServer(2) as base:
        first = urllib.request.urlopen(f"{base}/img/0.jpg", timeout=10).read()
        second = urllib.request.urlopen(f"{base}/img/1.jpg", timeout=10).read()
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"{base}/img/2.jpg", timeout=10)
    assert first == distinct_jpeg(0) and second == distinct_jpeg(1) and err.value.code == 404


def _run(job, size, mode, cpu, written, out_bytes, rss, **extra):
    return {
        "job": job,
        "size": size,
        "mode": mode,
        "inputs": size,
        "written": written,
        "cpu_s": cpu,
        "wall_s": cpu,
        "docs_per_s": size / cpu,
        "peak_rss_mb": rss,
        "output_bytes": out_bytes,
        "bounded_by": "Extract" if job == "m3w" else "FetchAndProcess",
        "steps": {},
        **extra,
    }


RUNS = [
    _run("m3w", 1000, "multi_processing", 110.0, 500, 500 * 40_000, 800.0, input_images=3000),
    _run("m3w", 3000, "multi_processing", 310.0, 1500, 1500 * 40_000, 900.0, input_images=9000),
    _run("pairs", 1000, "multi_processing", 40.0, 1000, 1000 * 10_000, 500.0, input_images=1000),
    _run("pairs", 5000, "multi_processing", 160.0, 5000, 5000 * 10_000, 520.0, input_images=5000),
    _run("pairs", 5000, "in_process", 150.0, 5000, 5000 * 10_000, 450.0, input_images=5000),
]


def test_capacity_model_uses_the_marginal_cost_and_names_the_bound():
    rows = {r["dataset"]: r for r in capacity.model(RUNS)}
    # pairs: (160 - 40) / (5000 - 1000) = 0.03 CPU s per image, multi_processing preferred
    assert rows["LTIP"]["cpu_s_per_item"] == pytest.approx(0.03)
    assert rows["LTIP"]["cpu_vcpu_hours"] == pytest.approx(312e6 * 0.03 / 3600)
    a = capacity.ASSUMPTIONS
    fetch = 312e6 * a["fetch_latency_s"] / a["fetch_threads_per_vcpu"] / 3600
    assert rows["LTIP"]["fetch_vcpu_hours"] == pytest.approx(fetch)
    assert rows["LTIP"]["vcpu_hours"] == pytest.approx(max(fetch, 312e6 * 0.03 / 3600))
    assert rows["LTIP"]["output_tb"] == pytest.approx(312e6 * 10_000 / 1e12)
    # m3w: 0.1 s per page with 3 images; the paper's 185/43 per page adds the rest at 0.03 each
    assert rows["M3W"]["cpu_s_per_item"] == pytest.approx(0.1 + (185 / 43 - 3) * 0.03)
    assert rows["M3W"]["output_tb"] == pytest.approx(
        43e6 * 40_000 / 1e12
    )  # the paper's count is what was kept
    assert rows["VTP"]["basis"].startswith("assumed")
    # web-size photos cost 3 ms more CPU each than the bench's: every image is charged that too
    probe = {"bench": 0.002, "web": 0.005}
    heavier = {r["dataset"]: r for r in capacity.model(RUNS, image_cpu=probe)}
    assert heavier["LTIP"]["cpu_s_per_item"] == pytest.approx(0.033)
    assert heavier["M3W"]["cpu_s_per_item"] == pytest.approx(0.1 + (185 / 43 - 3) * 0.033 + 3 * 0.003)
    page = capacity.render(RUNS)
    assert "m3w, multi_processing: 800 MB at 1,000 -> 900 MB at 3,000 (1.12x): flat (within 20%)" in page
    assert "pairs, in_process" not in page.split("## Memory")[1].split("##")[0]  # one size: no ratio


def test_merge_replaces_a_rerun_of_the_same_size_and_mode():
    old = [RUNS[0], RUNS[2]]
    new = [{**RUNS[0], "cpu_s": 1.0}]
    merged = merge(old, new)
    assert [r["cpu_s"] for r in merged] == [1.0, 40.0]


def test_readme_scale_table_is_the_one_the_stored_runs_give():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    path = ROOT / RESULTS
    if not path.exists():
        pytest.fail(f"{RESULTS} is missing: run python -m bench.scale (or --model-only)")
    data = json.loads(path.read_text())
    runs, probe = data["runs"], data.get("image_cpu_s")
    block = readme[
        readme.index(capacity.README_BEGIN) : readme.index(capacity.README_END) + len(capacity.README_END)
    ]
    assert block == capacity.readme_block(runs, image_cpu=probe)
    assert (ROOT / "docs" / "scale.md").read_text() == capacity.render(runs, image_cpu=probe)
    assert os.path.basename(RESULTS) == "scale.json"
