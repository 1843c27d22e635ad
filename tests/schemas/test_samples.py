"""The typed samples' shard codecs: member layout, round trips, and what a reader refuses."""

from __future__ import annotations

import json

import pytest

from schemas import (
    Document,
    ImageRef,
    ImageTextPair,
    M3WSample,
    MediaFile,
    PairSample,
    SchemaError,
    ShardSample,
    VideoSample,
    VideoTextPair,
    decode_sample,
)
from schemas.samples import indexed_member, parse_indexed_member


def page() -> M3WSample:
    doc = Document.from_blocks(
        "k1",
        "http://x.test/p",
        [
            "intro",
            ImageRef(url="http://x.test/a.jpg"),
            "middle",
            ImageRef(url="http://x.test/b.png"),
            ImageRef(url="http://x.test/c.jpg"),
            "end",
        ],
    )
    return M3WSample(doc, {1: MediaFile(b"A"), 4: MediaFile(b"C")})  # slot 3 (b.png) was not fetched


def test_m3w_members_are_numbered_in_slot_order_and_named_in_the_document():
    shard = page().to_shard()
    assert sorted(shard.members) == ["000.jpg", "001.jpg", "json"]
    assert (shard.members["000.jpg"], shard.members["001.jpg"]) == (b"A", b"C")
    doc = json.loads(shard.members["json"])
    assert doc["metadata"]["image_members"] == ["000.jpg", None, "001.jpg"]
    assert json.loads(shard.row["metadata"])["image_members"] == ["000.jpg", None, "001.jpg"]


def test_m3w_round_trip_and_slot_removal_renumbers():
    sample = page()
    back = M3WSample.from_shard(sample.to_shard())
    assert back.document.texts == sample.document.texts and back.images == sample.images
    assert "image_members" not in back.document.metadata  # the codec's own field stays in the codec
    cut = back.without_slots({1})
    assert [r.url for _, r in cut.document.image_slots()] == ["http://x.test/b.png", "http://x.test/c.jpg"]
    assert cut.images == {3: MediaFile(b"C")}
    assert sorted(cut.to_shard().members) == ["000.jpg", "json"]


def test_m3w_reader_refuses_a_slot_whose_member_is_gone_unless_lenient():
    shard = page().to_shard()
    del shard.members["001.jpg"]
    with pytest.raises(SchemaError, match="slot 4 names member '001.jpg'"):
        M3WSample.from_shard(shard)
    assert M3WSample.from_shard(shard, lenient=True).images == {1: MediaFile(b"A")}


def test_pair_json_keeps_the_row_columns_first_then_img2dataset_fields():
    pair = ImageTextPair(
        key="p1",
        url="http://x.test/p.jpg",
        caption="a cat",
        sha256="ab",
        width=224,
        height=224,
        original_width=640,
        original_height=480,
        extra={"source_id": 7},
    )
    shard = PairSample(pair, MediaFile(b"JPEG"), exif='{"Image Make": "X"}').to_shard()
    meta = json.loads(shard.members["json"])
    assert list(meta) == [
        "source_id",
        "key",
        "url",
        "caption",
        "status",
        "error_message",
        "width",
        "height",
        "original_width",
        "original_height",
        "exif",
        "sha256",
    ]
    assert shard.row == meta and shard.members["txt"] == b"a cat" and shard.members["jpg"] == b"JPEG"
    back = PairSample.from_shard(shard)
    assert back == PairSample(pair, MediaFile(b"JPEG"), exif='{"Image Make": "X"}')
    assert back.to_shard().members == shard.members


def test_pair_without_caption_has_no_txt_member():
    pair = ImageTextPair(key="p2", url="http://x.test/q.png", caption=None)
    shard = PairSample(pair, MediaFile(b"PNG", "png")).to_shard()
    assert sorted(shard.members) == ["json", "png"]
    assert PairSample.from_shard(shard).pair.caption is None


def test_video_frames_in_order_and_a_gap_is_refused():
    vp = VideoTextPair(
        key="v1",
        url="http://x.test/v.mp4",
        caption="a clip",
        num_frames=2,
        timestamps=[0.0, 1.0],
        sha256="ff",
        extra={"segment": [0.0, 2.0]},
    )
    shard = VideoSample(vp, [b"F0", b"F1"], clip=b"MP4").to_shard()
    assert sorted(shard.members) == ["000.jpg", "001.jpg", "json", "mp4", "txt"]
    back = decode_sample("videos", shard)
    assert back.frames == [b"F0", b"F1"] and back.clip == b"MP4" and back.identity == "ff@0.0-2.0"
    del shard.members["000.jpg"]
    with pytest.raises(SchemaError, match="not numbered"):
        VideoSample.from_shard(shard)


def test_member_names_and_unknown_jobs():
    assert indexed_member(7, "png") == "007.png" and parse_indexed_member("007.png") == (7, "png")
    assert parse_indexed_member("json") is None and parse_indexed_member("7.png") is None
    with pytest.raises(ValueError, match="jobs: m3w, pairs, videos"):
        decode_sample("audio", ShardSample("k", {"json": b"{}"}, {}))
