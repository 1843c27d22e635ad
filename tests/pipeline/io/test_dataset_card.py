"""Every build's dataset card and features.json: `datasets` loads each shard kind with them."""

from __future__ import annotations

import json
import shutil

import datasets
import pytest
import yaml

from tests.pipeline.builds import CLIP_BYTES, M3W_PAGES, PAIRS, VIDEOS, write_builds


@pytest.fixture(scope="module")
def builds(tmp_path_factory):
    return write_builds(tmp_path_factory.mktemp("builds"))


def load_webdataset(build, name, cache):
    features = datasets.Features.from_dict(json.loads((build / "features.json").read_text()))
    return datasets.load_dataset(
        "webdataset",
        data_files={"train": str(build / f"{name}-*.tar")},
        features=features,
        split="train",
        cache_dir=str(cache),
    )


def test_m3w_pages_with_more_images_than_the_first_ones_keep_them_all(builds, tmp_path):
    ds = load_webdataset(builds["m3w"], "m3w", tmp_path)
    assert ds.num_rows == len(M3W_PAGES)
    assert list(ds.features) == ["__key__", "__url__", "json", "000.jpg", "001.png"]
    by_key = {row["__key__"]: row for row in ds}
    six = by_key["a600000000000000000000000"]
    assert six["001.png"].format == "PNG" and six["001.png"].size == (128, 128)
    assert six["json"]["texts"] == [None, "caption of six", None, "middle", None, "end of six"]
    assert [i and i["url"] for i in six["json"]["images"]][
        4
    ] == "http://x.test/a600000000000000000000000/4.img"
    assert six["json"]["metadata"]["image_members"] == ["000.jpg", "001.png", None]
    one = by_key["a100000000000000000000000"]
    assert one["001.png"] is None and one["000.jpg"].size == (128, 128)


def test_without_the_features_datasets_silently_drops_the_later_member(builds, tmp_path):
    """Why the card is needed: the inferred features come from the first five pages only."""
    ds = datasets.load_dataset(
        "webdataset",
        data_files={"train": str(builds["m3w"] / "m3w-*.tar")},
        split="train",
        cache_dir=str(tmp_path),
    )
    assert "001.png" not in ds.features


def test_pairs_and_videos_load_with_their_features(builds, tmp_path):
    pairs = load_webdataset(builds["pairs"], "pairs", tmp_path)
    assert sorted(r["txt"] for r in pairs) == [p.pair.caption for p in PAIRS]
    first = next(r for r in pairs if r["__key__"] == PAIRS[0].key)
    assert (
        first["json"]["license"] == "cc-by" and first["json"]["row"] == 1 and first["jpg"].size == (128, 128)
    )

    videos = load_webdataset(builds["videos"], "videos", tmp_path)
    rows = {r["__key__"]: r for r in videos}
    one, two = rows[VIDEOS[0].key], rows[VIDEOS[1].key]
    assert one["json"]["timestamps"] == [0.0, 1.0] and one["json"]["extra"] == {"segment": [0, 2]}
    assert one["000.jpg"].size == (32, 32) and one["001.jpg"].size == (32, 32)
    assert one["mp4"]["bytes"] == CLIP_BYTES and two["mp4"] is None


def test_the_card_header_alone_loads_the_build_and_checks_its_count(builds, tmp_path):
    m3w = builds["m3w"]
    ds = datasets.load_dataset(str(m3w), split="train", cache_dir=str(tmp_path / "a"))
    assert ds.num_rows == len(M3W_PAGES) and "001.png" in ds.features
    # a tar left over from an earlier, larger run is not part of the build: the count says so
    copy = tmp_path / "copy"
    shutil.copytree(m3w, copy)
    shutil.copy(copy / "m3w-00000.tar", copy / "m3w-00001.tar")
    with pytest.raises(datasets.exceptions.NonMatchingSplitsSizesError):
        datasets.load_dataset(str(copy), split="train", cache_dir=str(tmp_path / "b"))


def test_card_prose_states_counts_filters_and_licence(builds):
    card = (builds["m3w"] / "README.md").read_text()
    header = yaml.safe_load(card.split("---")[1])
    assert header["dataset_info"]["splits"] == [
        {
            "name": "train",
            "num_bytes": json.loads((builds["m3w"] / "manifest.json").read_text())["total_bytes"],
            "num_examples": len(M3W_PAGES),
        }
    ]
    assert f"- inputs: {len(M3W_PAGES)}; written: {len(M3W_PAGES)} samples in 1 shards" in card
    assert "The paper's default `document` filters, in order: `text_quality`; `text_repetition`;" in card
    assert "Deduplication within the build: on." in card
    assert "## Licence notes" in card and "remain theirs" in card
    assert "| `001.png` | Image | one fetched image slot" in card
