"""Data contracts: round-trips, validation errors that name the problem, stable keys."""

from __future__ import annotations

import pytest

from schemas import (
    Document,
    ImageRef,
    ImageTextPair,
    RejectReason,
    RejectRecord,
    SchemaError,
    ShardSample,
    VideoTextPair,
    from_table,
    stable_key,
    to_table,
    url_key,
    warc_key,
)


def sample_document() -> Document:
    return Document.from_blocks(
        url_key("http://a.com/p"),
        "http://a.com/p",
        ["Intro text.", ImageRef(url="http://a.com/i.jpg", alt="a red circle", width=64, height=64), "More."],
        metadata={"title": "T", "language": "en"},
    )


def test_document_roundtrips_through_json_and_arrow():
    doc = sample_document()
    assert Document.from_json(doc.to_json()) == doc
    assert from_table(Document, to_table([doc])) == [doc]
    assert doc.num_images == 1 and doc.text() == "Intro text.\n\nMore."
    assert doc.without_positions({1}).texts == ["Intro text.", "More."]


def test_pairs_roundtrip_through_arrow():
    pair = ImageTextPair(
        key="abc", url="http://x/y.jpg", caption="c", width=3, height=4, extra={"lang": "en"}
    )
    video = VideoTextPair(
        key="v1", url="file:///v.mp4", caption="c", num_frames=2, timestamps=[0.0, 1.0], fps=1.0
    )
    assert from_table(ImageTextPair, to_table([pair])) == [pair]
    assert from_table(VideoTextPair, to_table([video])) == [video]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (
            lambda d: d.update(texts=["a", "b"], images=[{"url": "http://a/i.jpg"}, None]),
            "position 0 holds both",
        ),
        (lambda d: d.update(texts=[None], images=[None]), "position 0 holds neither"),
        (lambda d: d.update(texts=["a"], images=[]), "texts has 1 positions but images has 0"),
        (lambda d: d.update(bogus=1), "unknown field(s) ['bogus']"),
        (lambda d: d.update(texts="not a list"), "Document.texts: expected a list"),
        (lambda d: d.update(texts=[3], images=[None]), "Document.texts[0]: expected str, got int"),
        (lambda d: d.pop("url"), "missing required field 'url'"),
        (lambda d: d.update(key="a.b"), "contain no dots"),
        (
            lambda d: d.update(texts=[None], images=[{"url": "data:image/png;base64,xx"}]),
            "absolute http(s) URL",
        ),
    ],
)
def test_document_validation_errors_are_specific(mutate, message):
    data = sample_document().to_dict()
    mutate(data)
    with pytest.raises(SchemaError) as info:
        Document.from_dict(data)
    assert message in str(info.value)


def test_numbers_are_type_checked():
    with pytest.raises(SchemaError, match="ImageTextPair.width: expected an integer"):
        ImageTextPair.from_dict({"key": "k", "url": "u", "caption": "c", "width": "64"})
    with pytest.raises(SchemaError, match="not valid JSON"):
        ImageTextPair.from_json("{")


def test_keys_are_stable_and_dot_free():
    assert url_key("http://a.com/x.jpg") == url_key("http://a.com/x.jpg")
    assert url_key("http://a.com/x.jpg") != url_key("http://a.com/y.jpg")
    # pinned value: the same identity must give the same key on every machine and release
    assert stable_key("url", "http://a.com/x.jpg") == url_key("http://a.com/x.jpg")
    # the full path: two folders' part-00000.warc.gz are two archives (their keys collided)
    assert warc_key("a/part-00000.warc.gz", 10) != warc_key("b/part-00000.warc.gz", 10)
    assert warc_key("a.warc.gz", 10) != warc_key("a.warc.gz", 11)
    assert stable_key("ab", "c") != stable_key("a", "bc")
    key = url_key("http://a.com/x.jpg")
    assert "." not in key and len(key) == 24 and key == key.lower()


def test_pinned_key_value():
    assert url_key("http://example.com/") == stable_key("url", "http://example.com/")
    assert len({url_key(f"http://e.com/{i}") for i in range(10_000)}) == 10_000


def test_reject_reasons():
    assert RejectReason.parse("http_404") is RejectReason.HTTP_404
    assert RejectReason.TIMEOUT.retryable and not RejectReason.NOT_AN_IMAGE.retryable
    with pytest.raises(ValueError, match="valid reasons: missing_url"):
        RejectReason.parse("nope")
    rec = RejectRecord(key="k", source="s", stage="fetch", reason="timeout")
    assert rec.reason is RejectReason.TIMEOUT and rec.to_row()["reason"] == "timeout"


def test_shard_sample_rejects_bad_members():
    with pytest.raises(SchemaError, match="no dots"):
        ShardSample(key="a.b", members={"jpg": b""}, row={})
    with pytest.raises(SchemaError, match="member must be bytes"):
        ShardSample(key="a", members={"txt": "str"}, row={})
    assert ShardSample(key="a", members={"jpg": b"12", "txt": b"3"}, row={}).num_bytes == 3
