"""ApplyFilters: kept/rejects outputs, image-slot rejects, counters, errors as rejects."""

from __future__ import annotations

from filters import Filter, FilterChain, build_chain
from pipeline.steps.filtering import ApplyFilters, image_reject_key
from schemas import Document, ImageRef, ImageTextPair, RejectReason, RejectRecord
from tests.pipeline.beam_collect import run_collect


def pair(key, w, h):
    return ImageTextPair(
        key=key, url=f"http://x.test/{key}.jpg", caption="c", original_width=w, original_height=h
    )


def test_pairs_split_into_kept_and_rejects(tmp_path):
    chain = build_chain(["image_size", "aspect_ratio"], kind="pair")
    inputs = [pair("a", 100, 100), pair("b", 10, 100), pair("c", 400, 100), pair("d", 64, 64)]
    out = run_collect(inputs, ApplyFilters(chain, stage="filter"), tmp_path)
    assert sorted(p.key for p in out["kept"]) == ["a", "d"]
    assert sorted(out["rejects"], key=lambda r: r.key) == [
        RejectRecord(
            "b",
            "http://x.test/b.jpg",
            "filter",
            RejectReason.IMAGE_TOO_SMALL,
            "image_size: 10x100: side 10 < 64",
        ),
        RejectRecord(
            "c",
            "http://x.test/c.jpg",
            "filter",
            RejectReason.ASPECT_RATIO,
            "aspect_ratio: 400x100: aspect ratio 4.000 > 3.0",
        ),
    ]


def test_document_image_slots_become_image_rejects(tmp_path):
    small = ImageRef(url="http://x.test/small.jpg", width=10, height=10)
    good = ImageRef(url="http://x.test/good.jpg", width=100, height=100)
    docs = [
        Document.from_blocks("d1", "http://x.test/1", ["text", small, good]),
        Document.from_blocks("d2", "http://x.test/2", ["text", small]),
    ]
    chain = build_chain(["image_size", "image_count"], kind="document")
    out = run_collect(docs, ApplyFilters(chain), tmp_path)
    assert [(d.key, d.num_images) for d in out["kept"]] == [("d1", 1)]
    rejects = sorted(out["rejects"], key=lambda r: (r.stage, r.key))
    assert [(r.key, r.stage, r.reason) for r in rejects] == [
        ("d2", "filter", RejectReason.TOO_FEW_IMAGES),
        *sorted(
            [
                (image_reject_key("d1", small.url), "image", RejectReason.IMAGE_TOO_SMALL),
                (image_reject_key("d2", small.url), "image", RejectReason.IMAGE_TOO_SMALL),
            ]
        ),
    ]
    assert all(r.source == small.url for r in rejects if r.stage == "image")


class Boom(Filter):
    name = "boom"

    def filter(self, sample):
        raise RuntimeError("bad filter")


def test_a_failing_filter_is_an_internal_error_reject(tmp_path):
    out = run_collect([pair("a", 100, 100)], ApplyFilters(FilterChain("pair", (Boom(),))), tmp_path)
    assert out["kept"] == []
    assert out["rejects"] == [
        RejectRecord(
            "a", "http://x.test/a.jpg", "filter", RejectReason.INTERNAL_ERROR, "RuntimeError: bad filter"
        )
    ]


def test_counters_by_reason():
    import apache_beam as beam
    from apache_beam.metrics.metric import MetricsFilter
    from apache_beam.options.pipeline_options import PipelineOptions

    chain = build_chain(["image_size"], kind="pair")
    p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    _ = (
        p
        | beam.Create([pair("a", 1, 1), pair("b", 2, 2), pair("c", 100, 100)])
        | ApplyFilters(chain, stage="filter")
    )
    result = p.run()
    result.wait_until_finish()

    def counters(namespace):
        query = result.metrics().query(MetricsFilter().with_namespace(namespace))["counters"]
        return {c.key.metric.name: c.committed for c in query}

    assert counters("filters") == {"kept": 1, "image_size:image_too_small": 2}
    assert counters("rejects") == {
        "filter:image_too_small": 2
    }  # pipeline/steps/rejects.py: one name for every job
