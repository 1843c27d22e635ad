"""report.html: built from sidecars of every job's shape, written after each build, never fails a build."""

from __future__ import annotations

import json
import re
import shutil
import tarfile
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.testing.test_pipeline import TestPipeline

from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.report import build_report as report
from schemas import DOCUMENT_SCHEMA, RejectReason, RejectRecord, ShardSample, url_key
from tests.pipeline.beam_collect import input_keys


def _pair_samples(n: int) -> list[ShardSample]:
    out = []
    for i in range(n):
        url = f"http://example.com/{i}.jpg"
        out.append(
            ShardSample(
                key=url_key(url),
                members={"jpg": b"\xff" * 10, "txt": b"x"},
                row={
                    "url": url,
                    "caption": "c" * (10 + i),
                    "width": 224,
                    "height": 224,
                    "original_width": 100 * (i + 1),
                    "original_height": 50 * (i + 1),
                    "extra": json.dumps({"language": "en" if i % 2 else "de"}),
                    "status": "success",
                },
            )
        )
    return out


def _build(out: Path, samples, rejects, num_inputs) -> dict:
    opts = PipelineOptions(["--runner=FnApiRunner"])
    with TestPipeline(options=opts) as p:
        _ = {
            "samples": p | "S" >> beam.Create(samples),
            "rejects": p | "R" >> beam.Create(rejects),
            "inputs": p | "I" >> beam.Create(input_keys(samples, rejects, num_inputs)),
        } | WriteShards(str(out), job="pairs", shards=ShardConfig(samples_per_shard=2))
    manifest = json.loads((out / "manifest.json").read_text())
    report.write_report(str(out), manifest)  # what run_job does once the pipeline is done
    return manifest


SVG = "{http://www.w3.org/2000/svg}"


def _charts(page: str) -> dict[str, ET.Element]:
    """heading -> parsed inline <svg> of the figure right under it (parsing fails on anything that
    is not well-formed XML); every chart has its heading first."""
    found = re.findall(
        r'<h3 class="chart-heading" id="[^"]*">([^<]+)</h3><figure class="chart">(<svg .*?</svg>)', page
    )
    assert len(found) == page.count('<figure class="chart">')
    return {heading: ET.fromstring(svg) for heading, svg in found}


def _marks(chart: ET.Element, cls: str) -> list[ET.Element]:
    return [r for r in chart.iter(f"{SVG}rect") if r.get("class") == cls]


def _labels(chart: ET.Element, cls: str) -> list[str]:
    return [t.text for t in chart.iter(f"{SVG}text") if t.get("class") == cls]


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> tuple[Path, dict]:
    """One real build for the whole module (a Beam run is the slow part of these tests)."""
    out = tmp_path_factory.mktemp("build")
    rejects = [
        RejectRecord(
            key=url_key("http://bad/1"), source="http://bad/1", stage="fetch", reason=RejectReason.HTTP_404
        ),
        RejectRecord(
            key=url_key("http://bad/2"),
            source="http://bad/2",
            stage="filter",
            reason=RejectReason.ASPECT_RATIO,
        ),
    ]
    return out, _build(out, _pair_samples(4), rejects, 6)


def test_report_next_to_manifest(built):
    out, manifest = built
    assert manifest["written"] == 4
    page = (out / report.REPORT_NAME).read_text()
    charts = _charts(page)
    assert set(charts) == {
        "Counts per stage",
        "Rejects by reason",
        "Image sizes",
        "Aspect ratios",
        "Text lengths",
        "Languages",
    }
    assert page.count("<svg ") == len(charts) and "<script" not in page
    # the summary first: kept, dropped, top reasons
    assert "Kept 4 of 6 inputs (66.7%); dropped 2. Top reasons: aspect_ratio 1, http_404 1." in page
    # a build run outside run_job has no throughput record, and the page says so
    assert "This manifest has no throughput record" in page
    # the test's shards hold ten 0xff bytes, not images: the gallery says so for each of the four
    assert page.count("image does not decode") == 4 and "<img" not in page
    stages = charts["Counts per stage"]
    assert _labels(stages, "label") == ["inputs", "written", "rejected: fetch", "rejected: filter"]
    assert [b.get("data-value") for b in _marks(stages, "bar")] == ["6", "4", "1", "1"]
    assert _labels(charts["Rejects by reason"], "label") == ["aspect_ratio", "http_404"]
    assert [b.get("data-value") for b in _marks(charts["Languages"], "bar")] == ["2", "2"]
    # widths 100..400 and heights 50..200 on shared geometric bins; every value counted once
    sizes = charts["Image sizes"]
    for series in ("width", "height"):
        assert (
            sum(int(b.get("data-count")) for b in _marks(sizes, "bin") if b.get("data-series") == series) == 4
        )
    assert len(_marks(sizes, "legend")) == 2
    assert _labels(sizes, "xtick") == ["50", "100", "200"]
    # every aspect ratio is 2.0 (hi == lo): one linear bin holding all four
    assert [b.get("data-count") for b in _marks(charts["Aspect ratios"], "bin")] == ["4"]
    assert sum(int(b.get("data-count")) for b in _marks(charts["Text lengths"], "bin")) == 4
    assert "<td>fetch</td><td>http_404</td><td>1</td>" in page
    assert "<td>filter</td><td>aspect_ratio</td><td>1</td>" in page
    assert not (out / report.ERROR_NAME).exists()


def test_collect_reads_pair_columns(built):
    out, manifest = built
    data = report.collect(str(out), manifest)
    assert sorted(data.image_sizes) == [(100, 50), (200, 100), (300, 150), (400, 200)]  # source sizes
    assert sorted(data.text_lengths) == [10, 11, 12, 13]
    assert data.languages == {"en": 2, "de": 2}
    assert data.rejects_by_stage_reason == {("fetch", "http_404"): 1, ("filter", "aspect_ratio"): 1}


def test_collect_reads_documents_and_tolerates_missing_columns(tmp_path):
    docs = pa.Table.from_pylist(
        [
            {
                "key": "a",
                "url": "http://x/a",
                "texts": ["hello", None, "world!"],
                "images": [
                    None,
                    {
                        "url": "http://x/i.jpg",
                        "width": 224,
                        "height": 224,
                        "original_width": 640,
                        "original_height": 480,
                    },
                    None,
                ],
                "metadata": json.dumps({"language": "fr"}),
            }
        ],
        schema=DOCUMENT_SCHEMA,
    )
    pq.write_table(docs, tmp_path / "m3w-00000.parquet")
    pq.write_table(pa.table({"key": ["b"], "something_else": [1]}), tmp_path / "m3w-00001.parquet")
    shards = [{"tar": f"m3w-0000{i}.tar", "count": 1} for i in range(2)]
    data = report.collect(str(tmp_path), {"job": "m3w", "name": "m3w", "shards": shards})
    assert data.image_sizes == [(640, 480)]
    assert data.text_lengths == [11]
    assert data.languages == {"fr": 1}
    page = report.render_html({"job": "m3w", "name": "m3w", "inputs": 2, "written": 2}, data)
    assert set(_charts(page)) == {
        "Counts per stage",
        "Image sizes",
        "Aspect ratios",
        "Text lengths",
        "Languages",
    }


def test_report_follows_the_manifest_not_the_folder(built, tmp_path):
    """Stale files of an earlier run in a reused folder are not part of the build (issue 16, item 5)."""
    import shutil

    out, manifest = built
    copy = tmp_path / "reused"
    shutil.copytree(out, copy)
    for i in range(5, 60):  # an earlier, larger run's leftovers
        shutil.copy(copy / "pairs-00000.parquet", copy / f"pairs-{i:05d}.parquet")
        shutil.copy(copy / "rejects-00000.parquet", copy / f"rejects-{i:05d}.parquet")
    data = report.collect(str(copy), manifest)
    assert data.sidecars_total == manifest["num_shards"] and len(data.text_lengths) == manifest["written"]
    assert sum(data.rejects_by_stage_reason.values()) == manifest["rejected"]
    bad = {**manifest, "shards": [{"tar": "pipe:rm -rf x.tar", "count": 1}]}
    with pytest.raises(ValueError, match="not a plain NAME-SSSSS.tar file"):
        report.collect(str(copy), bad)


def test_collect_samples_sidecars_of_a_large_build_and_says_so(tmp_path, monkeypatch):
    """Distributions from at most MAX_SIDECARS evenly spaced sidecars, only the columns drawn;
    reject counts from every rejects table."""
    for i in range(7):
        pq.write_table(
            pa.table(
                {
                    "key": [f"k{i}"],
                    "caption": ["c" * (i + 1)],
                    "width": [10],
                    "height": [10],
                    "unused_blob": [b"x" * 100],
                }
            ),
            tmp_path / f"pairs-{i:05d}.parquet",
        )
        pq.write_table(
            pa.table({"stage": ["fetch", "fetch"], "reason": ["http_404", "timeout"]}),
            tmp_path / f"rejects-{i:05d}.parquet",
        )
    monkeypatch.setattr(report, "MAX_SIDECARS", 3)
    read = []
    real_read = report.read_parquet
    monkeypatch.setattr(
        report, "read_parquet", lambda path, columns=None: read.append(columns) or real_read(path, columns)
    )
    manifest = {
        "job": "pairs",
        "name": "pairs",
        "shards": [{"tar": f"pairs-{i:05d}.tar", "count": 1} for i in range(7)],
        "rejects_files": [f"rejects-{i:05d}.parquet" for i in range(7)],
    }
    data = report.collect(str(tmp_path), manifest)
    assert sorted(data.text_lengths) == [1, 4, 7]  # shards 0, 3 and 6
    assert (data.sidecars_read, data.sidecars_total) == (3, 7)
    assert data.rejects_by_stage_reason == {("fetch", "http_404"): 7, ("fetch", "timeout"): 7}
    assert all(cols is not None and "unused_blob" not in cols for cols in read)
    page = report.render_html({"job": "pairs", "name": "pairs"}, data)
    assert "drawn from 3 of the 7 shards" in page
    assert report.evenly_spaced(list(range(5)), 9) == [0, 1, 2, 3, 4]
    assert report.evenly_spaced(list(range(10)), 1) == [0]


def test_render_html_log_ticks_odd_values_and_escaping():
    data = report.ReportData(
        image_sizes=[(1, 1)],  # a single value: hi == lo
        text_lengths=[0, 5, 50, 500, 5000],  # 0 is drawn as 1 character
        languages=Counter({"<script>&": 3}),
    )
    manifest = {"job": "pairs", "name": "p<1>", "inputs": 5, "written": 5, "rejected_by_reason": {}}
    page = report.render_html(manifest, data)
    charts = _charts(page)
    assert set(charts) == {
        "Counts per stage",
        "Image sizes",
        "Aspect ratios",
        "Text lengths",
        "Languages",
    }
    assert _labels(charts["Text lengths"], "xtick") == ["1", "10", "100", "1k"]
    assert sum(int(b.get("data-count")) for b in _marks(charts["Text lengths"], "bin")) == 5
    assert [b.get("data-count") for b in _marks(charts["Image sizes"], "bin")] == ["1", "1"]
    assert _labels(charts["Languages"], "label") == ["<script>&"]
    assert "<script>" not in page and "&lt;script&gt;&amp;" in page


def test_report_failure_is_recorded_not_raised(tmp_path, caplog):
    (tmp_path / "pairs-00000.parquet").write_bytes(b"not parquet at all")
    listed = {"job": "pairs", "name": "pairs", "shards": [{"tar": "pairs-00000.tar", "count": 1}]}
    assert report.write_report(str(tmp_path), listed) is None
    error = (tmp_path / report.ERROR_NAME).read_text()
    assert "ArrowInvalid" in error
    assert not (tmp_path / report.REPORT_NAME).exists()
    assert "report for" in caplog.text
    # once the cause is gone, a regeneration clears the stale error
    pq.write_table(pa.table({"key": ["k"], "caption": ["c"]}), tmp_path / "pairs-00000.parquet")
    tarfile.open(tmp_path / "pairs-00000.tar", "w").close()  # the gallery reads the listed tar
    assert report.write_report(str(tmp_path), listed)
    assert not (tmp_path / report.ERROR_NAME).exists()


def test_cli_regenerates_report(built, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(built[0], copy)
    (copy / report.REPORT_NAME).unlink()
    assert report.main([str(copy)]) == 0
    assert "Image sizes" in (copy / report.REPORT_NAME).read_text()


def test_cli_rejects_directory_without_manifest(tmp_path):
    with pytest.raises(SystemExit) as exc:
        report.main([str(tmp_path)])
    assert exc.value.code == 2


def test_throughput_record_reads_as_a_sentence_a_table_and_two_charts():
    from pipeline.runner.throughput import summarise

    record = summarise(
        {"read": (10, 1000, 1500), "fetch": (8, 1200, 9000), "write": (8, 9500, 9500)},
        {"FetchAndProcess": 6000, "WriteShards": 500},
        started_ms=0,
        finished_ms=10_000,
        runner="FnApiRunner",
    )
    record["builds_in_run"] = ["a", "b"]
    manifest = {"job": "pairs", "name": "p", "inputs": 10, "written": 8, "rejected": 2, "throughput": record}
    page = report.render_html(manifest, report.ReportData())
    sentence = (
        "10.0 s from start to end on FnApiRunner; the step with the most processing time, FetchAndProcess, "
        "took 6.00 s of 6.50 s (92%) summed over worker threads."
    )
    assert page.count(sentence) == 2  # in the summary on top and in the section
    assert "One pipeline wrote 2 builds (a, b)" in page
    rows = re.findall(
        r"<tr><td>(\w+)</td><td class='num'>([\d,]+)</td>.*?<td class='num'>([^<]+)</td></tr>", page
    )
    assert rows == [("read", "10", "20.0"), ("fetch", "8", "1.0"), ("write", "8", "— (one instant)")]
    charts = _charts(page)
    assert [s.get("data-end") for s in _marks(charts["Stage activity over the run"], "span")] == [
        "1.5",
        "9.0",
        "9.5",
    ]
    assert _labels(charts["Processing time per step"], "label") == ["FetchAndProcess", "WriteShards"]
    # when the steps were busy for under half the wall time, the page says the runner bounded the run
    idle = summarise({}, {"Fetch": 1000}, 0, 10_000, "FnApiRunner")
    assert "the runner starting stages and moving data between them bounds the run" in report.render_html(
        {**manifest, "throughput": idle}, report.ReportData()
    )
