"""The shard writer under real Beam pipelines: counts, formats, idempotence, crashes, conservation."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
import webdataset as wds
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline.io.manifest import ConservationError
from pipeline.io.shard_files import write_shard
from pipeline.io.shard_writer import ShardConfig, WriteShards, plan_parts
from schemas import RejectReason, RejectRecord, ShardSample, url_key
from tests.pipeline.beam_collect import input_keys


def make_samples(n: int, payload: int = 10) -> list[ShardSample]:
    out = []
    for i in range(n):
        key = url_key(f"http://example.com/{i}.jpg")
        body = bytes([i % 256]) * payload
        out.append(
            ShardSample(
                key=key,
                members={"jpg": body, "txt": f"caption {i}".encode(), "json": json.dumps({"i": i}).encode()},
                row={"url": f"http://example.com/{i}.jpg", "caption": f"caption {i}", "status": "success"},
            )
        )
    return out


def make_rejects(n: int) -> list[RejectRecord]:
    return [
        RejectRecord(
            key=url_key(f"http://bad/{i}"),
            source=f"http://bad/{i}",
            stage="fetch",
            reason=RejectReason.HTTP_404,
        )
        for i in range(n)
    ]


def run_writer(out: Path, samples, rejects, num_inputs, workers: int = 1, **kw) -> dict:
    opts = PipelineOptions(["--runner=FnApiRunner", f"--direct_num_workers={workers}"])
    with TestPipeline(options=opts) as p:
        _ = {
            "samples": p | "S" >> beam.Create(samples),
            "rejects": p | "R" >> beam.Create(rejects),
            "inputs": p | "I" >> beam.Create(input_keys(samples, rejects, num_inputs)),
        } | WriteShards(str(out), job="pairs", shards=ShardConfig(**kw))
    return json.loads((out / "manifest.json").read_text())


def test_plan_parts_respects_both_bounds():
    keys = [(f"k{i:02d}", 10) for i in range(25)]
    assert [len(p) for p in plan_parts(keys, 10, 10**9)] == [10, 10, 5]
    assert [len(p) for p in plan_parts(keys, 100, 35)] == [3] * 8 + [1]
    assert plan_parts([("big", 100), ("a", 1)], 10, 50) == [["a"], ["big"]]


def test_counts_formats_and_manifest(tmp_path):
    samples, rejects = make_samples(23), make_rejects(4)
    m = run_writer(tmp_path, samples, rejects, 27, samples_per_shard=5)
    assert (m["inputs"], m["written"], m["rejected"]) == (27, 23, 4)
    assert m["rejected_by_reason"] == {"http_404": 4} and m["conservation_ok"]
    tars = sorted(tmp_path.glob("pairs-*.tar"))
    assert [t.name for t in tars] == [f"pairs-{i:05d}.tar" for i in range(len(tars))]  # contiguous
    assert all(s["count"] <= 5 for s in m["shards"]) and sum(s["count"] for s in m["shards"]) == 23
    # tarfile and webdataset both read every sample back, bytes intact
    by_key = {s.key: s for s in samples}
    seen = []
    for t in tars:
        with tarfile.open(t) as tar:
            assert (
                len(tar.getnames())
                == 3 * json.loads(t.with_name(t.stem + "_stats.json").read_text())["count"]
            )
        for sample in wds.WebDataset(str(t), shardshuffle=False):
            assert sample["jpg"] == by_key[sample["__key__"]].members["jpg"]
            seen.append(sample["__key__"])
        table = pq.read_table(t.with_suffix(".parquet"))
        assert set(table.column("key").to_pylist()) <= set(by_key)
    assert sorted(seen) == sorted(by_key)
    rejects_table = pq.read_table(tmp_path / "rejects-00000.parquet")
    assert rejects_table.num_rows == 4 and set(rejects_table.column("reason").to_pylist()) == {"http_404"}
    assert not list(tmp_path.glob("*.tmp-*"))


def test_byte_limit_bounds_shards(tmp_path):
    m = run_writer(
        tmp_path, make_samples(12, payload=1000), [], 12, samples_per_shard=100, max_shard_bytes=3500
    )
    assert all(s["bytes"] <= 3500 for s in m["shards"]) and m["written"] == 12


def test_deterministic_across_worker_counts_and_order(tmp_path):
    samples = make_samples(40)
    run_writer(tmp_path / "a", samples, [], 40, workers=1, samples_per_shard=7)
    run_writer(tmp_path / "b", list(reversed(samples)), [], 40, workers=2, samples_per_shard=7)
    a = sorted(p.name for p in (tmp_path / "a").glob("*.tar"))
    assert a == sorted(p.name for p in (tmp_path / "b").glob("*.tar"))
    for name in a:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_rerun_skips_complete_shards(tmp_path):
    samples = make_samples(15)
    run_writer(tmp_path, samples, [], 15, samples_per_shard=4)
    before = {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.tar")}
    m = run_writer(tmp_path, samples, [], 15, samples_per_shard=4)
    assert all(s["skipped"] for s in m["shards"])
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.glob("*.tar")} == before
    assert not list(tmp_path.glob("*.tmp-*"))


def test_rerun_with_other_content_under_the_same_keys_rewrites(tmp_path):
    """Same keys and count, other bytes (new code, another image size): not a complete shard."""
    samples = make_samples(4)
    write_shard(str(tmp_path), "pairs", 0, samples)
    changed = [ShardSample(s.key, {**s.members, "jpg": b"other"}, s.row) for s in samples]
    again = write_shard(str(tmp_path), "pairs", 0, changed)
    assert again["skipped"] is False
    with tarfile.open(tmp_path / "pairs-00000.tar") as tf:
        assert tf.extractfile(f"{samples[0].key}.jpg").read() == b"other"
    assert write_shard(str(tmp_path), "pairs", 0, changed)["skipped"] is True
    relabelled = [ShardSample(s.key, s.members, {**s.row, "caption": "new"}) for s in changed]
    assert write_shard(str(tmp_path), "pairs", 0, relabelled)["skipped"] is False


def test_crash_between_write_and_rename_leaves_no_visible_shard(tmp_path):
    samples = make_samples(3)
    with pytest.raises(RuntimeError, match="simulated crash"):
        write_shard(str(tmp_path), "pairs", 0, samples, crash_before_rename=True)
    assert not list(tmp_path.glob("*.tar")) and not list(tmp_path.glob("*.parquet"))
    assert list(tmp_path.glob("*.tmp-*"))  # the debris a killed worker leaves
    m = run_writer(tmp_path, samples, [], 3)  # a re-run completes the shard and clears the debris
    assert m["written"] == 3 and not list(tmp_path.glob("*.tmp-*"))


def test_conservation_failure_fails_the_build(tmp_path):
    with pytest.raises(Exception) as info:
        run_writer(tmp_path, make_samples(3), make_rejects(1), 5)
    assert isinstance(info.value, ConservationError) or "5 inputs but 3 written + 1 rejected" in str(
        info.value
    )
    assert not (tmp_path / "manifest.json").exists()


def test_empty_input_writes_an_empty_manifest(tmp_path):
    m = run_writer(tmp_path, [], [], 0)
    assert (m["inputs"], m["written"], m["num_shards"]) == (0, 0, 0)


def test_inspect_reads_shards_dirs_and_manifests(tmp_path, capsys):
    from pipeline.cli import main as cli

    run_writer(tmp_path, make_samples(9), make_rejects(2), 11, samples_per_shard=4)
    assert cli(["inspect", str(tmp_path), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["written"] == 9 and summary["rejected_by_reason"] == {"http_404": 2}
    assert sum(summary["samples_per_shard"].values()) == 9
    assert cli(["inspect", str(tmp_path / "pairs-00000.tar")]) == 0
    assert "samples" in capsys.readouterr().out
    assert cli(["inspect", str(tmp_path / "nope")]) == 2
