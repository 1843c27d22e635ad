"""The capacity model: what building the paper's datasets on Dataflow costs, from bench/scale.py's runs.

    python -m bench.capacity            # docs/scale.md from docs/scale.json (what --model-only does)

Measured inputs (docs/scale.json, written by `python -m bench.scale`): per job, the CPU seconds
of the whole process tree per input, output bytes per written sample, the written fraction and the
step that took the most processing time. The largest measured size of each job is used, in
the `multi_processing` mode where it was measured (the shape of a worker: separate SDK processes).

Stated assumptions (ASSUMPTIONS below; each is a knob, not a measurement):
- one Dataflow vCPU does the work of one core of the bench machine (a shared 2-core box; cloud
  vCPUs are hyperthreads, so this is optimistic by up to ~1.5x where the box had its core to itself);
- M3W pages: the measured m3w CPU per page covers its page and the images it carried in the WARC;
  the pages are the bench's generated ones (bench/realistic_pages.py), not real ones: on real
  pages the HTML -> text step alone took 4.8 ms a page (206.8 pages/s, 102 pages of
  ../shared/data/article-extraction-dev, mean 174 KB, `python -m bench.extract --corpus real
  --rounds 3`, 2026-12-07), a tenth of the per-page figure below, so page size moves it little;
  the paper's 185M images are 4.3 per page, so the images beyond the bench's per-page count are
  charged at the pairs job's CPU per image (fetch, decode, resize, encode);
- fetching: an image or clip waits `fetch_latency_s` on the network; a worker keeps
  `fetch_threads_per_vcpu` requests in flight per vCPU, so fetch bounds a worker at
  threads / latency items per second per vCPU;
- politeness: `per_host_interval_s` between requests to one host bounds the wall time of the
  build by its largest host (`largest_host_share` of the images), never its worker-hours;
- the paper's counts are what its filters kept; the model charges each as one input, so it is a
  floor: a crawl that keeps a fraction f of its pages costs about 1/f times the CPU and fetches
  (the bench's generated pages keep about half: their prose trips the repetition filter);
- VTP: the videos job is not in the scale bench; a clip is charged `vtp_cpu_s_per_clip`
  (from bench/videos.py's job mode, see ASSUMPTIONS) and `vtp_output_bytes_per_clip`.
"""

from __future__ import annotations

import json
import os
import sys

ASSUMPTIONS = {
    "vcpus_per_worker": 4,  # an n1-standard-4 worker (choose with --machine_type)
    "fetch_latency_s": 0.5,  # median time to fetch one web image (connect + TLS + body); web, not loopback
    "fetch_threads_per_vcpu": 16,  # the jobs' default --thread-count per SDK process
    "per_host_interval_s": 1.0,  # the m3w job's default politeness (FetchConfig.per_host_interval)
    "largest_host_share": 0.001,  # share of all images on the busiest host (an assumption; CDNs are larger)
    "vtp_fetch_latency_s": 2.0,  # one clip: a few MB over the web
    # probe + seek + decode 8 frames at 1 fps + crop + encode, one 20 s 640x360 clip: 0.77 s wall in
    # `python -m bench.videos --num-videos 4 --repeats 3` (job mode, 1.30 videos/s, 2-core box,
    # 2026-12-07); ffmpeg may keep both cores busy, so charged as 2 x 0.77 CPU seconds
    "vtp_cpu_s_per_clip": 1.54,
    "vtp_output_bytes_per_clip": 8 * 12_000,  # 8 JPEG frames at 224 px, ~12 KB each
}
PAPER = {  # the Flamingo paper (appendix A.3): what each job would build
    "m3w": {"name": "M3W", "items": 43_000_000, "images": 185_000_000, "unit": "pages"},
    "pairs": {"name": "LTIP", "items": 312_000_000, "images": 312_000_000, "unit": "pairs"},
    "videos": {"name": "VTP", "items": 27_000_000, "images": 0, "unit": "clips"},
}
COMMAND = "python -m bench.scale"
IMAGE_NOTE = "320 x 240 JPEGs (bench/scale_inputs.py)"


def run_line(r: dict) -> str:
    return (
        f"{r['job']:>5} {r['size']:>6} {r['mode']:<16} {r['docs_per_s']:>8.1f} docs/s  "
        f"cpu {r['cpu_s']:>8.1f} s  peak RSS {r['peak_rss_mb']:>7.1f} MB  "
        f"written {r['written']}/{r['inputs']}  "
        f"bounded by {r['bounded_by']}"
    )


def runs_table(runs: list[dict]) -> str:
    rows = [
        "| job | inputs | mode | docs/s | CPU s | CPU ms / input | peak RSS MB (job process / workers) "
        "| written | output MB | most processing time |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        rows.append(
            f"| {r['job']} | {r['size']:,} | {r['mode']} | {r['docs_per_s']:.1f} | {r['cpu_s']:.0f} | "
            f"{1000 * r['cpu_s'] / max(r['inputs'], 1):.1f} | {r['peak_rss_mb']:.0f} ({_split_rss(r)}) "
            f"| {r['written']:,} | "
            f"{r['output_bytes'] / 1e6:.1f} | {r['bounded_by'] or '-'} |"
        )
    return "\n".join(rows)


def _split_rss(r: dict) -> str:
    return f"{r.get('peak_root_rss_mb', 0):.0f} / {r.get('peak_worker_rss_mb', 0):.0f}"


def _per_input_mb(rs: list[dict]) -> float | None:
    grown = rs[-1].get("input_bytes", 0) - rs[0].get("input_bytes", 0)
    return (rs[-1]["peak_rss_mb"] - rs[0]["peak_rss_mb"]) * 2**20 / grown if grown > 0 else None


def runner_share(runs: list[dict]) -> list[str]:
    """m3w's memory growth per input MB beside Beam alone's over the same bytes, per mode."""
    lines = []
    for mode in sorted({r["mode"] for r in runs}):
        per = {}
        for job in ("m3w", "control"):
            rs = sorted((r for r in runs if r["job"] == job and r["mode"] == mode), key=lambda r: r["size"])
            per[job] = _per_input_mb(rs) if len(rs) >= 2 else None
        if per["m3w"] is not None and per["control"] is not None:
            verdict = "no more than" if per["m3w"] <= per["control"] else "more than"
            lines.append(
                f"- {mode}: m3w grows {per['m3w']:.1f} MB per MB of input, {verdict} Beam alone over "
                f"the same WARC bytes ({per['control']:.1f} MB per MB)"
            )
    return lines


def memory_growth(runs: list[dict]) -> list[str]:
    """Per (job, mode): peak RSS at the largest size over the smallest, the flatness check."""
    lines = []
    for job in sorted({r["job"] for r in runs}):
        for mode in sorted({r["mode"] for r in runs if r["job"] == job}):
            rs = sorted((r for r in runs if r["job"] == job and r["mode"] == mode), key=lambda r: r["size"])
            if len(rs) < 2:
                continue
            ratio = rs[-1]["peak_rss_mb"] / rs[0]["peak_rss_mb"]
            verdict = "flat (within 20%)" if ratio <= 1.2 else "grows"
            line = (
                f"- {job}, {mode}: {rs[0]['peak_rss_mb']:.0f} MB at {rs[0]['size']:,} -> "
                f"{rs[-1]['peak_rss_mb']:.0f} MB at {rs[-1]['size']:,} ({ratio:.2f}x): {verdict}"
            )
            per = _per_input_mb(rs)
            if per is not None:
                line += f"; {per:.1f} MB more per MB of input"
            if rs[-1].get("peak_worker_rss_mb") and rs[0].get("peak_worker_rss_mb"):
                w = rs[-1]["peak_worker_rss_mb"] / rs[0]["peak_worker_rss_mb"]
                line += (
                    f"; the SDK workers alone {rs[0]['peak_worker_rss_mb']:.0f} -> "
                    f"{rs[-1]['peak_worker_rss_mb']:.0f} MB ({w:.2f}x)"
                )
            lines.append(line)
    return lines


def basis(runs: list[dict], job: str) -> tuple[dict, dict] | None:
    """(smallest, largest) run of a job's model: multi_processing where it has two sizes or more
    (the shape of a worker: separate SDK processes), else in_process; (run, run) for one size."""
    for mode in ("multi_processing", "in_process"):
        rs = sorted((r for r in runs if r["job"] == job and r["mode"] == mode), key=lambda r: r["size"])
        if len(rs) >= 2:
            return rs[0], rs[-1]
    rs = sorted((r for r in runs if r["job"] == job), key=lambda r: r["size"])
    return (rs[-1], rs[-1]) if rs else None


def marginal(small: dict, large: dict, field: str, per: str = "inputs") -> float:
    """d field / d per between two sizes: the cost of one more input, start-up excluded (the
    average over the run where only one size was measured)."""
    if large[per] > small[per]:
        return (large[field] - small[field]) / (large[per] - small[per])
    return large[field] / max(large[per], 1)


STEP_REMEDIES = {  # what moves the busiest step (names: the jobs' top-level transforms)
    "Extract": "HTML extraction: ship the compiled passes (crawlers/html/*.pyx) in the worker image",
    "FetchImages": "image decode + resize: reduced-scale JPEG decode, one resize pass per image",
    "FetchAndProcess": "fetch + decode + resize: more threads per vCPU while fetch-bound, else decode cost",
    "Filter": "the filter chain: judge the resizer's decoded pixels instead of decoding again",
    "Dedup": "signatures + the components' rounds: fewer rounds where the residual stays empty",
    "WriteShards": "tar + parquet encoding: bigger shards, fewer parquet row groups",
}


def web_image_extra(image_cpu: dict | None) -> float:
    """CPU seconds more per image for web-size photos than for the bench's (0 without the probe)."""
    return max(image_cpu["web"] - image_cpu["bench"], 0.0) if image_cpu else 0.0


def model(runs: list[dict], a: dict = ASSUMPTIONS, image_cpu: dict | None = None) -> list[dict]:
    """One row per paper dataset: vCPU-hours, worker-hours, output bytes, the bound and why."""
    rows = []
    pairs = basis(runs, "pairs")
    extra_per_image = web_image_extra(image_cpu)
    pair_cpu = marginal(*pairs, "cpu_s") + extra_per_image if pairs else None
    for job, paper in PAPER.items():
        b = basis(runs, job)
        if job == "videos":
            cpu_per_item = a["vtp_cpu_s_per_clip"]
            out_per_item, source = a["vtp_output_bytes_per_clip"], "assumed (no scale run)"
            step = "not measured"
        elif b is None or (job == "m3w" and pair_cpu is None):
            continue
        else:
            small, large = b
            cpu_per_item = marginal(small, large, "cpu_s")
            if job == "m3w":  # images beyond the bench's per page, at the pairs job's cost each
                bench_images = large["input_images"] / large["inputs"]
                extra = max(paper["images"] / paper["items"] - bench_images, 0.0)
                cpu_per_item += extra * pair_cpu + bench_images * extra_per_image
            else:
                cpu_per_item += extra_per_image
            out_per_item = large["output_bytes"] / max(large["written"], 1)
            sizes = f"{small['size']:,}-{large['size']:,}" if small is not large else f"{large['size']:,}"
            source = f"{job} {sizes}, {large['mode']}"
            step = large["bounded_by"] or "-"
        fetched = paper["images"] or paper["items"]
        latency = a["vtp_fetch_latency_s"] if job == "videos" else a["fetch_latency_s"]
        cpu_h = paper["items"] * cpu_per_item / 3600
        fetch_vcpu_h = fetched * latency / a["fetch_threads_per_vcpu"] / 3600
        vcpu_h = max(cpu_h, fetch_vcpu_h)
        rows.append(
            {
                "dataset": paper["name"],
                "job": job,
                "items": paper["items"],
                "unit": paper["unit"],
                "basis": source,
                "cpu_s_per_item": cpu_per_item,
                "cpu_vcpu_hours": cpu_h,
                "fetch_vcpu_hours": fetch_vcpu_h,
                "vcpu_hours": vcpu_h,
                "worker_hours": vcpu_h / a["vcpus_per_worker"],
                "output_tb": paper["items"] * out_per_item / 1e12,
                "bound": "CPU" if cpu_h >= fetch_vcpu_h else "fetch wait",
                "step": step,
                "polite_days": fetched * a["largest_host_share"] * a["per_host_interval_s"] / 86400,
            }
        )
    return rows


def remedies(rows: list[dict]) -> list[str]:
    out = []
    for r in rows:
        if r["bound"] == "fetch wait":
            why = "fetch wait: more fetch threads per vCPU (I/O, not CPU) until CPU bounds"
        else:
            why = STEP_REMEDIES.get(r["step"], "CPU: profile the busiest step")
        out.append(f"- {r['dataset']}: bound by {r['bound']}, busiest step {r['step']}; to move it: {why}.")
    return out


def model_table(rows: list[dict]) -> str:
    out = [
        "| dataset | size | measured basis | CPU s / item | vCPU-h (CPU) | vCPU-h (fetch wait) | worker-h "
        "| output TB | bound by | busiest step | busiest host alone (days) |",
        "|---|---:|---|---:|---:|---:|---:|---:|---|---|---:|",
    ]
    for r in rows:
        out.append(
            f"| {r['dataset']} | {r['items'] / 1e6:,.0f}M {r['unit']} | {r['basis']} "
            f"| {r['cpu_s_per_item']:.3f} "
            f"| {r['cpu_vcpu_hours']:,.0f} | {r['fetch_vcpu_hours']:,.0f} | {r['worker_hours']:,.0f} "
            f"| {r['output_tb']:.1f} | {r['bound']} | {r['step']} | {r['polite_days']:.1f} |"
        )
    return "\n".join(out)


README_BEGIN = "<!-- scale:begin (generated by python -m bench.scale; do not edit) -->"
README_END = "<!-- scale:end -->"


def readme_block(runs: list[dict], a: dict = ASSUMPTIONS, image_cpu: dict | None = None) -> str:
    """The README's scale section body: the capacity table and where it comes from."""
    rows = model(runs, a, image_cpu)
    lines = [
        README_BEGIN,
        "| dataset | size | vCPU-hours | worker-hours | output TB | bound by |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['dataset']} | {r['items'] / 1e6:,.0f}M {r['unit']} | {r['vcpu_hours']:,.0f} "
            f"| {r['worker_hours']:,.0f} | {r['output_tb']:.1f} | {r['bound']}; busiest step {r['step']} |"
        )
    machines = "; ".join(sorted({r.get("machine", "?") for r in runs}))
    sizes = ", ".join(
        f"{job} {', '.join(f'{n:,}' for n in sorted({r['size'] for r in runs if r['job'] == job}))}"
        for job in sorted({r["job"] for r in runs})
    )
    lines += [
        "",
        f"From `{COMMAND}` on {machines}; sizes measured: {sizes} (the modes, the assumptions and "
        "the memory table: docs/scale.md). Peak memory grows with the input on the local "
        "FnApiRunner, which holds every stage's output; per MB of input, the job's growth beside "
        "Beam alone over the same bytes:",
        "",
        *runner_share(runs),
        README_END,
    ]
    return "\n".join(lines)


def update_readme(text: str, block: str) -> str:
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    return text[:start] + block + text[end:]


def render(runs: list[dict], a: dict = ASSUMPTIONS, image_cpu: dict | None = None) -> str:
    machines = sorted({r.get("machine", "?") for r in runs})
    dates = sorted({r.get("measured", "?") for r in runs})
    assumptions = "\n".join(f"- `{k}` = {v}" for k, v in a.items())
    growth = "\n".join(memory_growth(runs)) or "- one size per job and mode: nothing to compare"
    share = "\n".join(runner_share(runs)) or "- no control rows to compare with"
    rows = model(runs, a, image_cpu)
    probe = (
        f"Web-size images: the bench's images are {IMAGE_NOTE}; decode + resize + encode took "
        f"{1000 * image_cpu['bench']:.1f} ms CPU per bench image and {1000 * image_cpu['web']:.1f} ms per "
        f"web-size photo (bench/pairs.py WEB_SIZES, 400-1600 px), measured by the same command "
        f"({image_cpu.get('measured', '?')}), so the model adds "
        f"{1000 * web_image_extra(image_cpu):.1f} ms CPU to every image."
        if image_cpu
        else "Web-size images: no probe measured; the model charges images at the bench's size."
    )
    return f"""# Scale: measured behaviour and a capacity model

Generated by `{COMMAND}` (bench/scale.py, bench/capacity.py) from docs/scale.json; do not edit by
hand. Measured on: {"; ".join(machines)}, on {", ".join(dates)}. Only the sizes in the table were
measured: the defaults (m3w 1k/5k/20k pages, pairs 2k/10k/40k images) take hours on this box.

## Runs

{runs_table(runs)}

Modes: `in_process` is the jobs' default local profile (FnApiRunner, `multi_threading`, one
worker thread per core, one process); `multi_processing` adds `--direct_running_mode=
multi_processing --direct_num_workers=2` (two SDK worker processes).
docs/s: inputs over the build's wall clock, start-up included (a small build is mostly start-up).
CPU: user + system seconds of the job's whole process tree. Peak RSS: the tree's summed resident
memory, sampled every 0.2 s. Output: the shards' tar and parquet bytes. Most processing time: the
manifest's `throughput.bounded_by` (the runner's execution-time metric per top-level step).

## Memory as the input grows

{growth}

The job against the runner (`control`):

{share}

Why it grows on this machine: the local FnApiRunner keeps every PCollection between fused stages
in the runner's own buffers, and hands each stage's whole input to the workers as one bundle per
worker (apache_beam/runners/portability/fn_api_runner/fn_runner.py: `ParallelBundleManager.
process_bundle` partitions the input into `direct_num_workers` parts), so both the job process and
each SDK worker hold a share of the build that grows with it. The `control` rows, where they were
measured (`--jobs control`), are Beam alone over the same WARC bytes (bench/scale_control.py: read,
one GroupByKey into buckets, count; none of this project's code): the runner's own growth to
compare with. On Dataflow, Spark or Flink bundles are small and the shuffle is the service's;
there what matters is that no step of the jobs holds more than one group: the shard writer holds
one bucket (about `samples_per_shard` samples) and a table of part counts per bucket, the
manifest one record per shard, the report at most MAX_SIDECARS sidecars, dedup one LSH bucket
(hot buckets split, pipeline/dedup/components.py) and the components' residual (counted in the
manifest's `throughput.counters`).

## Capacity on Dataflow

{model_table(rows)}

{probe}

CPU s / item: the marginal CPU seconds of one more input between the smallest and the largest
measured size (start-up excluded), of the mode named in the basis; for M3W plus the paper's
images per page beyond the bench pages' at the pairs job's marginal CPU per image. vCPU-h (CPU):
items x that. vCPU-h (fetch wait): items fetched x latency / fetch threads per vCPU, the vCPU
time spent holding fetch threads. The larger of the two is what the build pays; worker-h = that /
vCPUs per worker. Busiest host alone: the wall-clock floor that politeness puts on the build,
however many workers run. Output TB: items x bytes per written sample measured; it stays in the
bucket's region unless the trainer reads it from elsewhere (GCS egress is priced per GB by
destination). Fetching is ingress, which Google Cloud does not bill as such, but workers without
external IPs fetch through Cloud NAT, which bills the bytes it processes: budget the fetched
bytes (not in this model) there.

Assumptions (bench/capacity.py `ASSUMPTIONS`; change them there and rerun
`python -m bench.scale --model-only`):

{assumptions}

{__doc__[__doc__.index("Stated assumptions") :].strip()}

What bounds each job, and what would change it:

{chr(10).join(remedies(rows))}
"""


def main() -> int:
    from bench.scale import DOC, RESULTS, load_all, load_results, save

    if not os.path.exists(RESULTS):
        print(f"no {RESULTS}: run python -m bench.scale first", file=sys.stderr)
        return 1
    save(RESULTS, DOC, [])
    print(json.dumps(model(load_results(RESULTS), image_cpu=load_all(RESULTS).get("image_cpu_s")), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
