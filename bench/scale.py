"""Scale behaviour: docs/s, CPU seconds and peak RSS of the m3w and pairs jobs as the input grows,
in-process and with two worker processes; then the capacity model (docs/scale.md) from them.

    python -m bench.scale                                  # m3w 250/1k/4k pages, pairs 500/2k/8k images
    python -m bench.scale --full                           # m3w 1k/5k/20k, pairs 2k/10k/40k (hours here)
    python -m bench.scale --m3w-sizes 250,1000 --pairs-sizes 500,2000 --modes in_process
    python -m bench.scale --jobs control --m3w-sizes 250,1000   # Beam alone over the same WARC bytes
    python -m bench.scale --model-only                     # docs/scale.md from docs/scale.json again

Each build runs as its own process (`python -m pipeline.jobs.JOB ... --runner FnApiRunner`, and
for `multi_processing` also `--direct_running_mode=multi_processing --direct_num_workers=2`;
`in_process` is the jobs' default local profile: FnApiRunner in `multi_threading` mode with one
worker thread per core, all in the job's process):
- peak RSS: the whole process tree's resident memory (the job and every worker it starts),
  summed from /proc every 0.2 s; the maximum of those sums;
- CPU seconds: user + system of the tree (getrusage of the waited child and its waited
  descendants, or the /proc samples where they saw more);
- docs/s: inputs over the build's wall clock, start-up included;
- per-step processing seconds and the bounding step: the manifest's `throughput` record.

Inputs (bench/scale_inputs.py): m3w reads WARC files of realistic pages with their images
(`--fetch-images warc`: no network, so the number is the CPU cost of a page); pairs fetches
distinct JPEGs from a loopback server in its own process (16 threads; the per-host limit raised
to the thread count, as the one loopback host stands for many). Results are merged into
docs/scale.json by (job, size, mode), so sizes can be measured in several sittings; the table
and the capacity model (bench/capacity.py) are written to docs/scale.md from all of them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import os
import platform
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time

from bench import capacity
from bench.scale_inputs import ImageServer, image_cpu_seconds, write_pairs_csv, write_warcs

MODES = {
    "in_process": [],
    "multi_processing": ["--direct_running_mode=multi_processing", "--direct_num_workers=2"],
}
RESULTS = os.path.join("docs", "scale.json")
DOC = os.path.join("docs", "scale.md")
README = "README.md"
_PAGE = os.sysconf("SC_PAGE_SIZE")
_TICK = os.sysconf("SC_CLK_TCK")


# -- the process tree -----------------------------------------------------------------------------
def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) from /proc/PID/stat; None when the process is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / _TICK


def _rss(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/statm") as f:
            return int(f.read().split()[1]) * _PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return 0


def tree_pids(root: int) -> list[int]:
    """`root` and every descendant alive now."""
    parents = {}
    for name in os.listdir("/proc"):
        if name.isdigit():
            st = _stat(int(name))
            if st is not None:
                parents[int(name)] = st[0]
    tree, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, ppid in parents.items() if ppid in frontier]
        tree.extend(frontier)
    return tree


class TreeSampler(threading.Thread):
    """Samples a process tree's summed RSS (peak kept) and each process's CPU seconds (last seen)."""

    def __init__(self, root: int, interval: float = 0.2):
        super().__init__(daemon=True)
        self.root, self.interval = root, interval
        self.peak_rss = 0
        self.peak_root_rss = 0  # the job's own process: with workers, the runner that holds the data
        self.peak_worker_rss = 0  # its descendants together: SDK workers, ffmpeg
        self.cpu: dict[int, float] = {}
        self.max_processes = 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            pids = tree_pids(self.root)
            self.max_processes = max(self.max_processes, len(pids))
            rss = [_rss(p) for p in pids]
            self.peak_rss = max(self.peak_rss, sum(rss))
            self.peak_root_rss = max(self.peak_root_rss, rss[0])
            self.peak_worker_rss = max(self.peak_worker_rss, sum(rss[1:]))
            for pid in pids:
                st = _stat(pid)
                if st is not None:
                    self.cpu[pid] = st[1]
            self._done.wait(self.interval)

    def stop(self) -> None:
        self._done.set()
        self.join()


class BuildFailed(RuntimeError):
    @property
    def last_line(self) -> str:
        lines = [line for line in str(self).splitlines() if line.strip()]
        return lines[-1] if lines else ""


def measure(cmd: list[str], output: str) -> dict:
    """Run one build command; its wall, CPU and peak RSS, and what its manifest says."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    sampler = TreeSampler(proc.pid)
    sampler.start()
    _, err = proc.communicate()
    wall = time.perf_counter() - start
    sampler.stop()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise BuildFailed(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    waited = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    with open(os.path.join(output, "manifest.json")) as f:
        manifest = json.load(f)
    manifest.setdefault("rejected_by_reason", {})
    out_bytes = sum(
        os.path.getsize(os.path.join(d, n))
        for d, _, names in os.walk(output)
        for n in names
        if n.endswith((".tar", ".parquet"))
    )
    tp = manifest.get("throughput") or {}
    return {
        "inputs": manifest["inputs"],
        "written": manifest["written"],
        "rejected_by_reason": manifest.get("rejected_by_reason", {}),
        "wall_s": round(wall, 2),
        "docs_per_s": round(manifest["inputs"] / wall, 2),
        "cpu_s": round(max(waited, sum(sampler.cpu.values())), 2),
        "peak_rss_mb": round(sampler.peak_rss / 2**20, 1),
        "peak_root_rss_mb": round(sampler.peak_root_rss / 2**20, 1),
        "peak_worker_rss_mb": round(sampler.peak_worker_rss / 2**20, 1),
        "processes": sampler.max_processes,
        "output_bytes": out_bytes,
        "steps": {s["step"]: s["seconds"] for s in tp.get("steps", [])},
        "bounded_by": (tp.get("bounded_by") or {}).get("step") or (tp.get("bounded_by") or {}).get("stage"),
    }


# -- the two jobs ---------------------------------------------------------------------------------
def _warcs(size: int, tmp: str) -> tuple[str, dict]:
    """The WARC files of `size` pages (written once per sitting) and their counts."""
    warcs = os.path.join(tmp, f"warcs-{size}")
    if not os.path.isdir(warcs):
        inputs = write_warcs(warcs, size)
        with open(os.path.join(warcs, "counts.json"), "w") as f:
            json.dump(inputs, f)
    with open(os.path.join(warcs, "counts.json")) as f:
        return warcs, json.load(f)


def run_m3w(size: int, mode: str, tmp: str) -> dict:
    warcs, inputs = _warcs(size, tmp)
    out = os.path.join(tmp, f"m3w-{size}-{mode}")
    cmd = [sys.executable, "-m", "pipeline.jobs.m3w", "--input", os.path.join(warcs, "*.warc.gz")]
    cmd += ["--output", out, "--fetch-images", "warc", "--no-progress", "--runner", "FnApiRunner"]
    rec = measure(cmd + MODES[mode], out)
    shutil.rmtree(out, ignore_errors=True)
    rec["input_bytes"] = inputs["html_bytes"] + inputs["image_bytes"]
    rec["input_images"] = inputs["images"]
    return rec


def run_control(size: int, mode: str, tmp: str) -> dict:
    """Beam alone over the m3w run's WARC files (bench/scale_control.py): the runner's share."""
    warcs, inputs = _warcs(size, tmp)
    out = os.path.join(tmp, f"control-{size}-{mode}")
    cmd = [sys.executable, "-m", "bench.scale_control", "--input", os.path.join(warcs, "*.warc.gz")]
    rec = measure([*cmd, "--output", out, "--runner", "FnApiRunner", *MODES[mode]], out)
    shutil.rmtree(out, ignore_errors=True)
    rec["input_bytes"] = inputs["html_bytes"] + inputs["image_bytes"]
    rec["input_images"] = inputs["images"]
    return rec


def run_pairs(size: int, mode: str, tmp: str, threads: int) -> dict:
    out = os.path.join(tmp, f"pairs-{size}-{mode}")
    csv_path = os.path.join(tmp, f"pairs-{size}.csv")
    with ImageServer(size) as base:
        write_pairs_csv(csv_path, base, size)
        cmd = [sys.executable, "-m", "pipeline.jobs.pairs", "--input", csv_path, "--output", out]
        cmd += ["--allow-private", "--no-progress", "--runner", "FnApiRunner"]
        cmd += ["--thread-count", str(threads), "--per-host-concurrency", str(threads)]
        rec = measure(cmd + MODES[mode], out)
    shutil.rmtree(out, ignore_errors=True)
    rec["input_images"] = size
    return rec


def run_one(job: str, size: int, mode: str, tmp: str, threads: int) -> dict:
    if job == "m3w":
        rec = run_m3w(size, mode, tmp)
    elif job == "control":  # the m3w size's WARC files, Beam alone
        rec = run_control(size, mode, tmp)
    else:
        rec = run_pairs(size, mode, tmp, threads)
    rec.update(job=job, size=size, mode=mode, machine=machine(), measured=dt.date.today().isoformat())
    return rec


# -- results --------------------------------------------------------------------------------------
def load_all(path: str = RESULTS) -> dict:
    """The results file: {"runs": [...], "image_cpu_s": {...} where measured}."""
    if not os.path.exists(path):
        return {"runs": []}
    with open(path) as f:
        return json.load(f)


def load_results(path: str = RESULTS) -> list[dict]:
    return load_all(path)["runs"]


def merge(old: list[dict], new: list[dict]) -> list[dict]:
    """New runs replace old ones of the same (job, size, mode); sorted for a stable file."""
    by_key = {(r["job"], r["size"], r["mode"]): r for r in old}
    by_key.update({(r["job"], r["size"], r["mode"]): r for r in new})
    return [by_key[k] for k in sorted(by_key)]


def save(results_path: str, doc_path: str, runs: list[dict], image_cpu: dict | None = None) -> list[dict]:
    """Merge `runs` (and the image probe) into the results file; write the capacity page and the
    README's table from all of them."""
    data = load_all(results_path)
    data["runs"] = results = merge(data["runs"], runs)
    if image_cpu:
        data["image_cpu_s"] = image_cpu
    os.makedirs(os.path.dirname(results_path) or ".", exist_ok=True)
    with open(results_path, "w") as f:
        json.dump(data, f, indent=1, sort_keys=True)
        f.write("\n")
    probe = data.get("image_cpu_s")
    with open(doc_path, "w") as f:
        f.write(capacity.render(results, image_cpu=probe))
    if doc_path == DOC and os.path.exists(README):  # the README's section follows the page it cites
        with open(README, encoding="utf-8") as f:
            text = f.read()
        with open(README, "w", encoding="utf-8") as f:
            f.write(capacity.update_readme(text, capacity.readme_block(results, image_cpu=probe)))
    return results


def machine() -> str:
    cores = os.cpu_count()
    return f"{platform.machine()}, {cores} cores (shared with other work), Python {platform.python_version()}"


def _sizes(value: str) -> list[int]:
    return [int(x) for x in value.split(",") if x.strip()] if value else []


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # the default sizes are what `make bench` can run in well under an hour on 2 cores
    p.add_argument("--m3w-sizes", type=_sizes, default=[250, 1000, 4000], help="pages, comma-separated")
    p.add_argument("--pairs-sizes", type=_sizes, default=[500, 2000, 8000], help="images")
    p.add_argument("--full", action="store_true", help="m3w 1k/5k/20k pages and pairs 2k/10k/40k images")
    p.add_argument("--modes", default=",".join(MODES), help=f"comma-separated of {', '.join(MODES)}")
    p.add_argument("--threads", type=int, default=16)
    p.add_argument(
        "--jobs",
        default="m3w,pairs",
        help="comma-separated of m3w, control (Beam alone over the m3w sizes' WARC bytes), pairs",
    )
    p.add_argument("--results", default=RESULTS, help="JSON the runs are merged into")
    p.add_argument("--doc", default=DOC, help="the capacity model page written from the results")
    p.add_argument("--model-only", action="store_true", help="write --doc from --results; run nothing")
    args = p.parse_args(argv)
    if args.full:
        args.m3w_sizes, args.pairs_sizes = [1000, 5000, 20000], [2000, 10000, 40000]
    logging.basicConfig(level=logging.WARNING)
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        p.error(f"unknown modes {sorted(unknown)}; valid: {', '.join(MODES)}")
    if not args.model_only:
        probe = {k: round(v, 5) for k, v in image_cpu_seconds().items()}
        probe.update(machine=machine(), measured=dt.date.today().isoformat())
        print(f"image decode + resize + encode, CPU s per image: {probe}", flush=True)
        save(args.results, args.doc, [], image_cpu=probe)
        tmp = tempfile.mkdtemp(prefix="bench-scale-")
        try:
            jobs = set(args.jobs.split(","))
            plan = (("m3w", args.m3w_sizes), ("control", args.m3w_sizes), ("pairs", args.pairs_sizes))
            for job, sizes in ((j, sizes) for j, sizes in plan if j in jobs):
                for size in sizes:
                    for mode in modes:
                        try:
                            rec = run_one(job, size, mode, tmp, args.threads)
                        except BuildFailed as exc:  # said and skipped: the other sizes still run
                            print(f"{job} {size} {mode}: FAILED, not recorded: {exc.last_line}", flush=True)
                            continue
                        print(capacity.run_line(rec), flush=True)
                        save(args.results, args.doc, [rec])  # as each run ends: a long sitting keeps its part
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    results = save(args.results, args.doc, [])
    print(capacity.runs_table(results))
    print(f"wrote {args.results} and {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
