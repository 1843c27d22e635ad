"""Report galleries: kept samples read back from real shards with the job's codec, and rejects."""

from __future__ import annotations

import io
import json
import re
from pathlib import Path

import apache_beam as beam
import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions
from PIL import Image

from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.report import build_report, galleries
from pipeline.report.thumbnails import thumbnail
from pipeline.steps.previews import PREVIEW_SCHEMA, PREVIEWS_NAME
from schemas import (
    DOCUMENT_SCHEMA,
    VIDEO_TEXT_PAIR_SCHEMA,
    Document,
    ImageRef,
    ImageTextPair,
    M3WSample,
    MediaFile,
    PairSample,
    RejectReason,
    RejectRecord,
    VideoSample,
    VideoTextPair,
    url_key,
)
from tests.pipeline.beam_collect import input_keys


def jpeg(colour, size=(64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def build(out: Path, job: str, samples: list, rejects: list, row_schema=None) -> dict:
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        _ = {
            "samples": p | "S" >> beam.Create(samples),
            "rejects": p | "R" >> beam.Create(rejects),
            "inputs": p | "I" >> beam.Create(input_keys(samples, rejects, len(samples) + len(rejects))),
        } | WriteShards(str(out), job=job, shards=ShardConfig(samples_per_shard=2), row_schema=row_schema)
    manifest = json.loads((out / "manifest.json").read_text())
    build_report.write_report(str(out), manifest)
    return manifest


def _imgs(html: str, cls: str) -> list[str]:
    return re.findall(rf'<img class="{cls}" src="(data:image/jpeg;base64,[^"]+)"', html)


def _section(html: str, heading: str) -> str:
    start = html.index(f"<h2>{heading}</h2>")
    return html[start : html.index("<h2>", start + 1)]


def test_pairs_grid_and_rejects_with_and_without_pictures(tmp_path):
    urls = [f"http://x.test/{i}.jpg" for i in range(5)]
    pairs = [
        PairSample(
            ImageTextPair(key=url_key(u), url=u, caption=f"pair {i} <b>&"), MediaFile(jpeg((40 * i, 80, 120)))
        )
        for i, u in enumerate(urls)
    ]
    bad = [f"http://bad.test/{i}" for i in range(6)]
    flat = url_key("http://x.test/flat.jpg")
    rejects = [RejectRecord(url_key(u), u, "fetch", RejectReason.HTTP_404, "HTTP 404") for u in bad] + [
        RejectRecord(flat, "http://x.test/flat.jpg", "filter", RejectReason.SINGLE_COLOUR, "std 0.1 < 3")
    ]
    out = tmp_path / "pairs"
    build(out, "pairs", pairs, rejects)
    preview = {"key": flat, "source": "http://x.test/flat.jpg", "stage": "filter", "reason": "single_colour"}
    row = {**preview, "detail": "std 0.1 < 3", "thumbnail": thumbnail(jpeg((9, 9, 9)))}
    pq.write_table(pa.Table.from_pylist([row], schema=PREVIEW_SCHEMA), out / PREVIEWS_NAME)
    build_report.write_report(str(out), json.loads((out / "manifest.json").read_text()))
    page = (out / "report.html").read_text()
    kept = _section(page, "Kept samples")
    assert len(_imgs(kept, "thumb")) == 5  # 3 shards of <= 2: every sample fits the 24 of the grid
    assert kept.count("pair 0 &lt;b&gt;&amp;") == 2 and "<b>&" not in kept  # alt and caption, escaped
    dropped = _section(page, "Rejected inputs")
    assert dropped.index("http_404") < dropped.index("single_colour")  # most frequent first
    http = dropped[dropped.index("http_404") : dropped.index("single_colour")]
    assert (
        "(fetch stage, 6 rejected)" in http and http.count('class="reject noimage"') == galleries.PER_REASON
    )
    smallest = sorted(bad, key=url_key)[: galleries.PER_REASON]
    assert re.findall(r'<span class="url">([^<]*)</span>', http) == smallest  # the smallest keys, in order
    shown = dropped[dropped.index("single_colour") :]
    assert len(_imgs(shown, "thumb")) == 1 and "std 0.1 &lt; 3" in shown
    assert (
        page.index("<h2>Kept samples</h2>")
        < page.index("<h2>Rejected inputs</h2>")
        < page.index("<h2>Throughput</h2>")
    )


def test_m3w_pages_are_shown_as_the_loader_reads_them(tmp_path, monkeypatch):
    fetched, unfetched = ImageRef(url="http://x.test/a.jpg"), ImageRef(url="http://x.test/missing.jpg")
    second = ImageRef(url="http://x.test/b.jpg")
    doc = Document.from_blocks(
        url_key("http://x.test/page"),
        "http://x.test/page",
        ["First  paragraph.", fetched, "   ", unfetched, "Last <p>.", second],
    )
    sample = M3WSample(doc, {1: MediaFile(jpeg((200, 0, 0))), 5: MediaFile(jpeg((0, 0, 200)))})
    assert [kind for kind, _ in galleries.loader_blocks(sample)] == ["text", "image", "text", "image"]
    out = tmp_path / "m3w"
    build(out, "m3w", [sample], [], DOCUMENT_SCHEMA)
    kept = _section((out / "report.html").read_text(), "Kept samples")
    assert (
        "2 text blocks and 2 images in this order; 1 image slots without a fetched image are skipped" in kept
    )
    order = re.findall(r'<p class="block">([^<]*)</p>|<img class="thumb doc-image"', kept)
    assert order == ["First paragraph.", "", "Last &lt;p&gt;.", ""]  # text, image, text, image
    monkeypatch.setattr(galleries, "MAX_BLOCKS", 3)  # a long page is cut, and says how much was left
    short = galleries._doc_html(sample, galleries.Budget())
    assert short.count('<p class="block">') == 2 and "… and 1 more blocks" in short


def test_video_strips_and_the_image_budget(tmp_path):
    frames = [jpeg((30 * i, 100, 100)) for i in range(3)]
    video = VideoSample(
        VideoTextPair(
            key=url_key("http://x.test/v.mp4"),
            url="http://x.test/v.mp4",
            caption="a clip",
            num_frames=3,
            timestamps=[0.5, 1.5, 2.5],
        ),
        frames,
    )
    out = tmp_path / "videos"
    manifest = build(out, "videos", [video], [], VIDEO_TEXT_PAIR_SCHEMA)
    kept = _section((out / "report.html").read_text(), "Kept samples")
    assert len(_imgs(kept, "thumb")) == 3 and "3 frames at 0.5, 1.5, 2.5 s of http://x.test/v.mp4" in kept
    # a budget for two frames: the third is a placeholder, and the page would say so
    budget = galleries.Budget(limit=2 * len(galleries.data_uri(thumbnail(frames[0]))) + 10)
    html = galleries.kept_section(str(out), manifest, budget)
    assert len(_imgs(html, "thumb")) == 2 and budget.refused == 1 and "left out: page size budget" in html
    # the same samples on every run
    assert galleries.kept_samples(str(out), manifest, 5) == galleries.kept_samples(str(out), manifest, 5)
