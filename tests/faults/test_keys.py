"""Key uniqueness and per-key conservation (issue 16, items 1, 3, 4): no key written twice, none
lost behind balanced counts, and no shard paired with stats that describe another."""

from __future__ import annotations

import csv
import io
import json
import tarfile
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
import webdataset as wds
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline
from PIL import Image
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.io.manifest import build_manifest
from pipeline.io.shard_files import write_shard
from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.jobs import m3w, pairs, videos
from schemas import ShardSample, keys_digest, url_key
from tests.crawlers.media.video_media import make_testsrc

RUNNER = ["--runner", "FnApiRunner", "--no-progress"]


def _keys_in(folder: Path) -> list[str]:
    return [
        s["__key__"]
        for tar in sorted(folder.glob("*.tar"))
        for s in wds.WebDataset(str(tar), shardshuffle=False)
    ]


def _rejects(folder: Path) -> list[dict]:
    return [r for f in sorted(folder.glob("rejects-*.parquet")) for r in pq.read_table(f).to_pylist()]


def _jpeg(seed: int) -> bytes:
    buf = io.BytesIO()
    Image.effect_mandelbrot((80, 80), (-2 + seed / 10, -1.5, 1, 1.5), 50).convert("RGB").save(buf, "JPEG")
    return buf.getvalue()


def test_an_img2dataset_folder_that_repeats_urls_writes_each_key_once(tmp_path):
    src = tmp_path / "i2d"
    src.mkdir()
    urls = ["http://x.test/a.jpg", "http://x.test/b.jpg", "http://x.test/a.jpg", "http://x.test/c.jpg"]
    with tarfile.open(src / "00000.tar", "w") as tar:
        for i, url in enumerate(urls):
            for ext, data in (("jpg", _jpeg(i)), ("json", json.dumps({"url": url}).encode())):
                info = tarfile.TarInfo(f"{i:09d}.{ext}")
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    out = tmp_path / "out"
    manifest = pairs.run(
        ["--input", str(src), "--input-format", "img2dataset", "--output", str(out), "--no-dedup", *RUNNER]
    )
    keys = _keys_in(out)  # webdataset raised "duplicate file name" on the shard before
    assert sorted(keys) == sorted({url_key(u) for u in urls})
    [dup] = _rejects(out)
    assert (dup["reason"], dup["key"], dup["kept_key"]) == (
        "duplicate_exact",
        url_key(urls[0]),
        url_key(urls[0]),
    )
    assert dup["source"].endswith(":000000002") and manifest["conservation_ok"]


def test_one_video_with_two_captions_is_two_samples(tmp_path):
    make_testsrc(tmp_path / "v.mp4", duration=3.0)
    with open(tmp_path / "list.csv", "w", newline="") as f:
        csv.writer(f).writerows(
            [("url", "caption"), ("v.mp4", "a test pattern"), ("v.mp4", "colour bars moving")]
        )
    argv = [
        "--input",
        str(tmp_path / "list.csv"),
        "--allow-local",
        str(tmp_path),
        "--num-frames",
        "2",
        "--image-size",
        "32",
        *RUNNER,
    ]
    kept_both = videos.run([*argv, "--output", str(tmp_path / "a"), "--no-dedup"])
    assert kept_both["written"] == 2 and len(set(_keys_in(tmp_path / "a"))) == 2
    deduped = videos.run([*argv, "--output", str(tmp_path / "b")])  # same frames: a content duplicate
    [dup] = _rejects(tmp_path / "b")
    assert deduped["written"] == 1 and dup["reason"] == "duplicate_exact"
    assert dup["kept_key"] == _keys_in(tmp_path / "b")[0] != dup["key"]


def _warc(path: Path, pages: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for i, text in enumerate(pages):
            html = f"<html><body><article><p>{text}</p></article></body></html>".encode()
            http = StatusAndHeaders(
                "200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"
            )
            writer.write_record(
                writer.create_warc_record(
                    f"http://x.test/{i}", "response", payload=io.BytesIO(html), http_headers=http
                )
            )


def test_one_warc_name_in_two_folders_is_two_archives(tmp_path):
    """a/part-00000.warc.gz and b/part-00000.warc.gz hold different pages at the same offsets; their
    keys collided (the base name), one page was lost and the build failed after writing shards."""
    words = "the river town grew slowly over the last century and the old houses still stand near the water"
    _warc(tmp_path / "a" / "part-00000.warc.gz", [f"{words} first archive"])
    _warc(tmp_path / "b" / "part-00000.warc.gz", [f"{words} second archive"])
    filters = tmp_path / "filters.yaml"
    filters.write_text("document: []\n")
    manifest = m3w.run(
        [
            "--input",
            f"{tmp_path}/*/part-00000.warc.gz",
            "--output",
            str(tmp_path / "out"),
            "--fetch-images",
            "none",
            "--languages",
            "all",
            "--filters",
            str(filters),
            "--no-dedup",
            *RUNNER,
        ]
    )
    assert (manifest["inputs"], manifest["written"], manifest["conservation_ok"]) == (2, 2, True)
    assert len(set(_keys_in(tmp_path / "out"))) == 2


def _write(out: Path, samples, rejects, inputs):
    with TestPipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        _ = {
            "samples": p | "S" >> beam.Create(samples),
            "rejects": p | "R" >> beam.Create(rejects),
            "inputs": p | "I" >> beam.Create(inputs),
        } | WriteShards(str(out), job="pairs", shards=ShardConfig(samples_per_shard=10))


def sample(key: str) -> ShardSample:
    return ShardSample(key, {"txt": key.encode()}, {"url": f"http://x.test/{key}"})


def test_the_writer_refuses_a_repeated_key(tmp_path):
    with pytest.raises(Exception, match="reached the shard writer more than once, e.g. aa01"):
        _write(tmp_path, [sample("aa01"), sample("aa01"), sample("bb02")], [], ["aa01", "aa01", "bb02"])


def test_a_lost_key_balanced_by_a_doubled_one_fails_the_build(tmp_path):
    """Counts add up (3 inputs, 3 written) but one input key came twice and another never."""
    with pytest.raises(Exception, match="the key digests differ"):
        _write(tmp_path, [sample("aa01"), sample("bb02"), sample("cc03")], [], ["aa01", "aa01", "bb02"])
    assert not (tmp_path / "manifest.json").exists() and not list(tmp_path.glob("*.tar"))
    assert (
        list(tmp_path.glob("*.tar.failed")) and "key digests differ" in (tmp_path / "FAILED.json").read_text()
    )
    stats = {
        "index": 0,
        "tar": "p-00000.tar",
        "count": 2,
        "bytes": 2,
        "keys_digest": f"{keys_digest(['a', 'c']):032x}",
    }
    m = build_manifest(
        job="pairs",
        name="p",
        config={},
        input_keys=(2, keys_digest(["a", "b"])),
        rejected_keys=(0, 0),
        shard_stats=[stats],
        reject_counts=[],
        rejects_files=[],
    )
    assert (m["inputs"], m["written"], m["conservation_ok"]) == (2, 2, False)


def test_new_stats_beside_an_old_tar_are_not_trusted(tmp_path):
    """A process killed between renames could leave new stats beside the old tar, and every re-run
    skipped the shard; the stats now record the tar's size and sha256, and the stats go last."""
    old = [sample("aa01"), sample("bb02")]
    new = [sample("aa01"), ShardSample("bb02", {"txt": b"changed"}, {"url": "http://x.test/k2"})]
    write_shard(str(tmp_path), "p", 0, old)
    old_tar = (tmp_path / "p-00000.tar").read_bytes()
    write_shard(str(tmp_path), "p", 0, new)
    (tmp_path / "p-00000.tar").write_bytes(old_tar)  # the crash: new stats, old tar
    again = write_shard(str(tmp_path), "p", 0, new)
    assert again["skipped"] is False
    assert [s["txt"] for s in wds.WebDataset(str(tmp_path / "p-00000.tar"), shardshuffle=False)] == [
        b"aa01",
        b"changed",
    ]
    assert write_shard(str(tmp_path), "p", 0, new)["skipped"] is True
