"""Reject previews: a few pictures per reason, the smallest keys, the same whatever the bundling."""

from __future__ import annotations

import io

import apache_beam as beam
import pyarrow.parquet as pq
from apache_beam.options.pipeline_options import PipelineOptions
from PIL import Image

from filters import build_chain
from pipeline.steps.filtering import ApplyFilters
from pipeline.steps.previews import PREVIEWS_NAME, RejectPreview, WriteRejectPreviews
from schemas import ImageTextPair, MediaFile, PairSample
from tests.pipeline.beam_collect import run_collect


def jpeg(size=(200, 100), colour=(200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG")
    return out.getvalue()


def pair_sample(key: str, w: int, h: int) -> PairSample:
    pair = ImageTextPair(
        key=key, url=f"http://x.test/{key}.jpg", caption="c", original_width=w, original_height=h
    )
    return PairSample(pair, MediaFile(jpeg((w, h))))


def test_filters_emit_a_preview_of_each_rejected_image(tmp_path):
    chain = build_chain(["image_size"], kind="pair")
    samples = [pair_sample("a", 100, 100), pair_sample("b", 10, 100)]
    out = run_collect(samples, ApplyFilters(chain), tmp_path, tags=("kept", "rejects", "previews"))
    assert [s.key for s in out["kept"]] == ["a"]
    assert [(p.key, p.source, p.stage, p.reason, p.detail) for p in out["previews"]] == [
        ("b", "http://x.test/b.jpg", "filter", "image_too_small", "image_size: 10x100: side 10 < 64")
    ]
    assert out["previews"][0].image == samples[1].image.data  # the image the filter judged


def _previews(prefix: str, reason: str, n: int, image: bytes) -> list[RejectPreview]:
    return [
        RejectPreview(f"{prefix}{i:02d}", f"http://x.test/{prefix}{i}", "filter", reason, "d", image)
        for i in range(n)
    ]


def test_write_keeps_the_smallest_keys_per_reason_across_producers(tmp_path):
    image = jpeg((640, 480))
    a = _previews("b", "single_colour", 10, image) + _previews("z", "aspect_ratio", 2, image)
    b = _previews("a", "single_colour", 10, image) + _previews("u", "image_too_small", 1, b"not an image")
    options = PipelineOptions(
        ["--runner=FnApiRunner", "--direct_num_workers=2", "--direct_running_mode=multi_threading"]
    )
    with beam.Pipeline(options=options) as p:
        one = p | "A" >> beam.Create(a) | "SpreadA" >> beam.Reshuffle()
        two = p | "B" >> beam.Create(b) | "SpreadB" >> beam.Reshuffle()
        _ = (one, two) | WriteRejectPreviews(str(tmp_path), n=3)
    rows = pq.read_table(tmp_path / PREVIEWS_NAME).to_pylist()
    assert [(r["reason"], r["key"]) for r in rows] == [
        ("aspect_ratio", "z00"),
        ("aspect_ratio", "z01"),
        ("image_too_small", "u00"),
        ("single_colour", "a00"),  # the smallest of both producers together
        ("single_colour", "a01"),
        ("single_colour", "a02"),
    ]
    assert rows[2]["thumbnail"] is None  # bytes that do not decode: no picture, the row stays
    thumb = Image.open(io.BytesIO(rows[0]["thumbnail"]))
    assert thumb.format == "JPEG" and thumb.size == (96, 72)


def test_write_without_previews_leaves_an_empty_table(tmp_path):
    with beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"])) as p:
        empty = p | beam.Create([]).with_output_types(RejectPreview)
        _ = (empty,) | WriteRejectPreviews(str(tmp_path))
    assert pq.read_table(tmp_path / PREVIEWS_NAME).num_rows == 0
