"""Every job across process boundaries gives the bytes of the in-process build.

Two ways out of the test process, each against the same in-process baseline build (made once per
job, module-scoped, with the same inputs and the same loopback site, whose port is in the keys):
- FnApiRunner with `--direct_running_mode=multi_processing --direct_num_workers=2`: two SDK worker
  processes that get every DoFn by pickling;
- PortableRunner against a job-server process and an EXTERNAL worker pool (tests/pipeline/portable.py),
  the shape of a Flink, Spark or Dataflow Runner v2 run: the driver submits a pipeline proto, the
  job server runs it, and SDK worker processes started by the pool execute the DoFns.
Each build has at least two shards, so the shard writer's bucket offsets cross a process too. The
comparison is tests/pipeline/build_snapshot.py: everything but the run's timings.
"""

from __future__ import annotations

import pytest

from demo.sample import serve_site, write_lists, write_sample_web
from pipeline.jobs import m3w, pairs, videos
from tests.pipeline.build_snapshot import differences, snapshot
from tests.pipeline.portable import portable_services

JOBS = {"m3w": m3w, "pairs": pairs, "videos": videos}
MULTI_PROCESSING = [
    "--runner=FnApiRunner",
    "--direct_running_mode=multi_processing",
    "--direct_num_workers=2",
]


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    """{job: its flags}: the sample web's WARC, and its pair and video lists on a loopback server."""
    web = tmp_path_factory.mktemp("web")
    write_sample_web(web, seed=0, num_pages=12)
    with serve_site(web / "site") as base:
        lists = write_lists(web, base, web / "lists")
        yield {
            "m3w": ["--input", str(web / "sample.warc.gz"), "--samples-per-shard", "3"],
            "pairs": [
                "--input",
                str(lists["pairs"]),
                "--allow-private",
                "--image-size",
                "48",
                "--samples-per-shard",
                "10",
            ],
            "videos": [
                "--input",
                str(lists["videos"]),
                "--allow-private",
                "--image-size",
                "32",
                "--num-frames",
                "2",
                "--samples-per-shard",
                "2",
            ],
        }


@pytest.fixture(scope="module")
def baselines(inputs, tmp_path_factory):
    """{job: (its in-process build folder, manifest)}, each built the first time a test asks."""
    built = {}

    def get(job: str):
        if job not in built:
            out = tmp_path_factory.mktemp(f"{job}-in-process") / "out"
            manifest = JOBS[job].run(
                [
                    *inputs[job],
                    "--output",
                    str(out),
                    "--no-progress",
                    "--runner=FnApiRunner",
                    "--direct_running_mode=in_memory",
                    "--direct_num_workers=1",
                ]
            )
            assert manifest["conservation_ok"] and manifest["written"] > 0
            assert manifest["num_shards"] >= 2, "the comparison needs a multi-shard build"
            built[job] = (out, manifest)
        return built[job]

    return get


@pytest.fixture(scope="module")
def portable(tmp_path_factory):
    """(the Beam flags of a job server + EXTERNAL worker pool, their log folder)."""
    work = tmp_path_factory.mktemp("portable")
    with portable_services(work) as flags:
        yield flags, work


@pytest.mark.timeout(600)
@pytest.mark.parametrize("job", sorted(JOBS))
@pytest.mark.parametrize("runner", ["multi_processing", "portable"])
def test_job_output_is_the_in_process_bytes(job, runner, inputs, baselines, request, tmp_path):
    base_dir, base_manifest = baselines(job)
    if runner == "portable":
        flags, logs = request.getfixturevalue("portable")
    else:
        flags, logs = MULTI_PROCESSING, None
    out = tmp_path / "out"
    manifest = JOBS[job].run([*inputs[job], "--output", str(out), "--no-progress", *flags])
    assert differences(snapshot(base_dir), snapshot(out)) == []
    assert {k: manifest[k] for k in ("inputs", "written", "rejected_by_reason")} == {
        k: base_manifest[k] for k in ("inputs", "written", "rejected_by_reason")
    }
    if logs is not None:  # the DoFns ran in a worker process the pool started, not in the job server
        assert "Starting worker with command" in (logs / "worker_pool.log").read_text()
