"""Document dedup: exact text, same image set, MinHash near-duplicates (planted), determinism."""

from __future__ import annotations

import json
import random

import pytest

from pipeline.dedup.deduplicate import Deduplicate
from pipeline.dedup.documents import DedupExactText, DedupNearDocuments, DedupSameImageSet
from schemas import Document, ImageRef, M3WSample, MediaFile, RejectReason
from tests.pipeline.beam_collect import SPLITS, run_collect

VOCAB = [f"{a}{b}{c}" for a in "bcdfgklm" for b in "aeiou" for c in "nrst"]


def sentence(r, n=12):
    return " ".join(r.choice(VOCAB) for _ in range(n)) + "."


def article(seed, num_sentences=14):
    r = random.Random(seed)
    return [sentence(r) for _ in range(num_sentences)]


def doc(key, sentences, images=()):
    """A page whose image slots were not fetched (document dedup reads text and image URLs)."""
    blocks = [" ".join(sentences)] + [ImageRef(url=u) for u in images]
    return M3WSample(Document.from_blocks(key, f"http://x.test/{key}", blocks))


def planted_documents(num_groups=24):
    """Originals plus copies with boilerplate added and one sentence edited; key -> group."""
    docs, group_of = [], {}
    for g in range(num_groups):
        base = article(g)
        r = random.Random(1000 + g)
        edited = base[:]
        edited[r.randrange(len(edited))] = sentence(r)
        variants = [
            base,
            ["Home | News | Contact us | Subscribe today."] + base + ["Copyright 2024 all rights reserved."],
            edited,
        ]
        for v, sentences in enumerate(variants[: 1 + g % 3]):
            key = f"d{(g * 7919 + v * 104729) % 1000003:07d}"
            docs.append(doc(key, sentences))
            group_of[key] = g
    return docs, group_of


RESULTS = []


@pytest.mark.parametrize("split", SPLITS)
def test_near_duplicates_found_with_precision_and_recall(tmp_path, split):
    docs, group_of = planted_documents()
    shuffled = docs[:]
    random.Random(7 + len(split)).shuffle(shuffled)
    out = run_collect(shuffled, DedupNearDocuments(), tmp_path, args=split)
    groups = {}
    for key, g in group_of.items():
        groups.setdefault(g, []).append(key)
    expected = {k for keys in groups.values() for k in sorted(keys)[1:]}
    found = {r.key for r in out["rejects"]}
    precision = len(found & expected) / max(len(found), 1)
    recall = len(found & expected) / len(expected)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    for r in out["rejects"]:
        assert (r.stage, r.reason) == ("dedup", RejectReason.DUPLICATE_NEAR)
        assert r.kept_key == min(groups[group_of[r.key]])
    assert len(out["kept"]) + len(out["rejects"]) == len(docs)
    RESULTS.append(sorted((r.key, r.kept_key, r.detail) for r in out["rejects"]))
    if len(RESULTS) == len(SPLITS):
        assert all(r == RESULTS[0] for r in RESULTS)


def test_exact_text_dedup_collapses_whitespace(tmp_path):
    docs = [
        doc("b", ["Same text here.", "Two."]),
        M3WSample(Document.from_blocks("a", "http://x.test/a", ["Same  text here.\nTwo."])),
        doc("c", ["Other text."]),
    ]
    out = run_collect(docs, DedupExactText(), tmp_path)
    assert sorted(d.key for d in out["kept"]) == ["a", "c"]
    [r] = out["rejects"]
    assert (r.key, r.kept_key, r.reason, r.stage) == ("b", "a", RejectReason.DUPLICATE_EXACT, "dedup")
    assert r.detail.startswith("same text (") and r.detail.endswith(") as a")


def test_same_image_set_dedup(tmp_path):
    u1, u2, u3 = (f"http://x.test/{i}.jpg" for i in range(3))
    docs = [
        doc("p3", ["text three"], [u2, u1]),
        doc("p1", ["text one"], [u1, u2]),
        doc("p2", ["text two"], [u1, u3]),
        doc("p4", ["no images"]),
        doc("p5", ["also no images"]),
    ]
    out = run_collect(docs, DedupSameImageSet(), tmp_path)
    assert sorted(d.key for d in out["kept"]) == ["p1", "p2", "p4", "p5"]
    assert [(r.key, r.kept_key) for r in out["rejects"]] == [("p3", "p1")]


def m3w_sample(key, text, image_urls):
    """An M3W page with every image slot fetched (slot k's bytes: b"img" + its member name)."""
    doc = Document.from_blocks(key, f"http://x.test/{key}", [text] + [ImageRef(url=u) for u in image_urls])
    return M3WSample(
        doc, {k + 1: MediaFile(b"img" + f"{k:03d}.jpg".encode()) for k in range(len(image_urls))}
    )


def test_deduplicate_documents_on_m3w_shard_samples(tmp_path):
    logo = "http://x.test/logo.png"
    text = " ".join(article(1))
    samples = [
        m3w_sample("p1", text, [logo, "http://x.test/1.jpg"]),
        m3w_sample(
            "p2", text + " extra words at the end here", [logo, "http://x.test/2.jpg"]
        ),  # near duplicate of p1
        m3w_sample("p3", " ".join(article(2)), [logo, "http://x.test/3.jpg"]),
        m3w_sample(
            "p4", " ".join(article(3)), [logo, "http://x.test/3.jpg"]
        ),  # same image set as p3 once the logo is gone
        m3w_sample("p5", " ".join(article(4)), [logo]),  # nothing left once the logo is gone
    ]
    out = run_collect(samples, Deduplicate("document", max_image_pages=3), tmp_path)
    kept = {s.key: s for s in out["kept"]}
    assert sorted(kept) == ["p1", "p3"]
    # the kept image keeps its bytes; the codec numbers members 000, 001, ... in slot order
    shard = kept["p1"].to_shard()
    assert shard.members["000.jpg"] == b"img001.jpg" and sorted(shard.members) == ["000.jpg", "json"]
    assert json.loads(shard.members["json"])["metadata"]["image_members"] == ["000.jpg"]
    assert json.loads(shard.row["metadata"])["image_members"] == ["000.jpg"]
    assert shard.row["images"][1]["url"] == "http://x.test/1.jpg"
    by_stage = sorted(
        (r.stage, r.reason.value, r.key if r.stage == "dedup" else r.source, r.kept_key)
        for r in out["rejects"]
    )
    assert by_stage == [
        ("dedup", "duplicate_exact", "p4", "p3"),
        ("dedup", "duplicate_near", "p2", "p1"),
        ("dedup", "too_few_images", "p5", None),
        *[("image", "over_frequent", logo, None)] * 5,
    ]


def test_apply_dedup_from_job_flags(tmp_path):
    import apache_beam as beam
    from apache_beam.testing.util import assert_that, equal_to

    from pipeline.dedup.deduplicate import DedupConfig, add_dedup_args, apply_dedup
    from pipeline.runner.options import job_parser, parse_job_config

    parser = add_dedup_args(job_parser("test", ""))
    docs = [doc("a", ["same words here"]), doc("b", ["same words here"])]
    for argv, expected_kept, expected_rejects in (
        (["--no-dedup"], ["a", "b"], []),
        ([], ["a"], [("b", "a")]),
    ):
        config = parse_job_config(parser, dict_of(DedupConfig), argv)[0].dedup
        with beam.Pipeline(
            options=beam.options.pipeline_options.PipelineOptions(["--runner=FnApiRunner"])
        ) as p:
            kept, rejects = apply_dedup(p | beam.Create(docs), "document", config)
            assert_that(kept | beam.Map(lambda d: d.key), equal_to(expected_kept), label="Kept")
            assert_that(
                rejects | beam.Map(lambda r: (r.key, r.kept_key)), equal_to(expected_rejects), label="Rejects"
            )


def dict_of(inner):
    """A config class holding one `dedup` field (what a job's config composes)."""
    import dataclasses

    return dataclasses.make_dataclass(
        "Holder", [("dedup", inner, dataclasses.field(default_factory=inner))], kw_only=True
    )


def test_video_identity_is_content_plus_requested_segment():
    from pipeline.dedup.base import video_identity
    from schemas import VideoSample, VideoTextPair

    def video(key, sha, segment=None):
        extra = {"segment": segment} if segment else {}
        return VideoSample(
            VideoTextPair(key=key, url="http://x.test/v.mp4", caption="c", sha256=sha, extra=extra), []
        )

    assert video_identity(video("a", "s1")) == video_identity(video("b", "s1")) == "s1"
    assert video_identity(video("c", "s1", [0.0, 8.0])) != video_identity(video("d", "s1", [8.0, 16.0]))
    assert video_identity(video("e", "s1", [0.0, 8.0])) == video_identity(video("f", "s1", [0.0, 8.0]))
