"""The `datasets` features of each shard kind, checked against `datasets` itself."""

from __future__ import annotations

import datasets
import pytest

from schemas.hf_features import IMAGE, JSON, VIDEO, list_of, shard_features, to_yaml_list, value


def test_m3w_features_declare_every_image_member_in_slot_order():
    features = shard_features("m3w", {"010.jpg", "json", "001.png", "000.jpg"})
    assert list(features) == ["__key__", "__url__", "json", "000.jpg", "001.png", "010.jpg"]
    assert features["001.png"] == IMAGE
    doc = features["json"]
    assert list(doc) == ["key", "url", "texts", "images", "metadata"]
    assert doc["texts"] == list_of(value("string"))
    assert doc["images"]["feature"]["width"] == value("int64")
    assert doc["metadata"] == JSON


def test_pairs_json_is_free_form_and_videos_keep_their_record():
    pairs = shard_features("pairs", ["json", "txt", "webp"])
    assert pairs["json"] == JSON and pairs["txt"] == value("string") and pairs["webp"] == IMAGE
    videos = shard_features("videos", ["json", "txt", "000.jpg", "001.jpg", "mp4"])
    assert videos["mp4"] == VIDEO
    assert videos["json"]["timestamps"] == list_of(value("float64")) and videos["json"]["extra"] == JSON


def test_unknown_job_is_an_error_listing_the_jobs():
    with pytest.raises(ValueError, match="jobs: m3w, pairs, videos"):
        shard_features("audio", ["json"])


@pytest.mark.parametrize("job", ["m3w", "pairs", "videos"])
def test_dict_and_card_forms_are_the_ones_datasets_reads_and_writes(job):
    features = shard_features(job, ["json", "txt", "000.jpg", "001.png", "jpg", "mp4", "npy"])
    parsed = datasets.Features.from_dict(features)
    assert parsed.to_dict() == features
    assert to_yaml_list(features) == parsed._to_yaml_list()
    assert datasets.Features._from_yaml_list(to_yaml_list(features)) == parsed
    assert parsed["npy"] == datasets.Value("binary")


def test_nested_lists_in_card_form():
    features = {
        "m": list_of(list_of(value("float64"))),
        "i": list_of(IMAGE),
        "s": list_of({"a": value("string")}),
    }
    assert to_yaml_list(features) == datasets.Features.from_dict(features)._to_yaml_list()
