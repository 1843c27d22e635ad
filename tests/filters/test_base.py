"""Registry, config errors, chains and YAML configs."""

import pickle

import pytest

from filters import FILTERS, KEEP, Keep, Reject, build_chain, build_filter, default_config
from filters.image_size import ImageSizeFilter
from schemas import ImageTextPair, RejectReason


def pair(w, h, key="k1"):
    return ImageTextPair(key=key, url="http://a.test/x.jpg", caption="c", original_width=w, original_height=h)


def test_unknown_filter_lists_valid_names():
    with pytest.raises(ValueError) as err:
        build_filter("imagesize")
    assert "unknown filter 'imagesize'" in str(err.value)
    for name in FILTERS:
        assert name in str(err.value)


def test_unknown_param_lists_valid_params():
    with pytest.raises(
        ValueError,
        match=r"unknown parameter\(s\) \['min_sid'\]; valid parameters: max_side=None, min_side=64",
    ):
        build_filter("image_size", {"min_sid": 3})


def test_wrong_param_type_is_an_error():
    with pytest.raises(ValueError, match="parameter 'min_side' expects"):
        build_filter("image_size", {"min_side": "big"})


def test_list_params_become_tuples_and_filters_pickle():
    f = build_filter("language", {"languages": ["en", "de"]})
    assert f.languages == ("en", "de")
    assert pickle.loads(pickle.dumps(f)) == f


def test_chain_entry_forms_and_order():
    chain = build_chain(
        ["aspect_ratio", {"image_size": {"min_side": 100}}, {"name": "single_colour", "min_std": 1.0}],
        kind="pair",
    )
    assert chain.names == ["aspect_ratio", "image_size", "single_colour"]
    assert chain.filters[1] == ImageSizeFilter(min_side=100)
    assert chain.filters[2].min_std == 1.0


def test_chain_stops_at_first_reject():
    chain = build_chain(["image_size", "aspect_ratio"], kind="pair")
    result = chain.apply(pair(10, 100))
    assert (result.reject, result.filter_name) == (
        Reject(RejectReason.IMAGE_TOO_SMALL, "10x100: side 10 < 64"),
        "image_size",
    )
    assert chain.filter(pair(64, 192)) is KEEP
    assert chain.filter(pair(64, 193)).reason == RejectReason.ASPECT_RATIO


def test_filter_for_wrong_kind_is_an_error():
    with pytest.raises(ValueError, match="filter 'video_duration' does not apply to 'pair' samples"):
        build_chain(["video_duration"], kind="pair")


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="unknown sample kind 'audio'"):
        build_chain(None, kind="audio")
    with pytest.raises(ValueError, match=r"unknown kind\(s\) \['audio'\]"):
        build_chain({"audio": []}, kind="pair")


def test_defaults_for_every_kind():
    assert build_chain(None, kind="document").names == [
        "text_quality",
        "text_repetition",
        "language",
        "image_size",
        "aspect_ratio",
        "single_colour",
        "logo_url",
        "image_count",
    ]
    assert build_chain(None, kind="pair").names == ["image_size", "aspect_ratio", "single_colour"]
    assert build_chain(None, kind="video").names == ["video_duration", "video_resolution", "video_static"]
    assert default_config("pair") is not default_config("pair")


def test_yaml_config_by_kind(tmp_path):
    path = tmp_path / "filters.yaml"
    path.write_text(
        "pair:\n  - image_size: {min_side: 200}\n  - aspect_ratio\n"
        "video:\n  - video_duration: {min_seconds: 2}\n"
    )
    chain = build_chain(str(path), kind="pair")
    assert chain.names == ["image_size", "aspect_ratio"]
    assert chain.filter(pair(199, 199)) == Reject(RejectReason.IMAGE_TOO_SMALL, "199x199: side 199 < 200")
    assert build_chain(path, kind="video").filters[0].min_seconds == 2.0
    # a kind the file omits gets the defaults
    assert build_chain(path, kind="document").names == build_chain(None, kind="document").names


def test_yaml_flat_list(tmp_path):
    path = tmp_path / "f.yaml"
    path.write_text("- name: image_size\n  min_side: 10\n")
    assert build_chain(path, kind="image").filters[0].min_side == 10
    path.write_text("- image_size: {bogus: 1}\n")
    with pytest.raises(ValueError, match="unknown parameter"):
        build_chain(path, kind="image")


def test_keep_carries_replacement():
    assert Keep().sample is None and KEEP.dropped == ()
    assert Reject("aspect_ratio").reason is RejectReason.ASPECT_RATIO


def test_default_document_chain_keeps_a_good_page_and_trims_its_bad_images():
    from schemas import Document, ImageRef

    prose = (
        "The river town grew slowly over the last century, and most of the old houses still stand near the "
        "water. Visitors come in summer to walk the long path by the bank, to eat at the small cafes, and to "
        "see the bridge that was built with stone from the hills. In winter the streets are quiet, and the "
        "people who live there "
        "have time to repair their boats and to talk about the year that has passed."
    )
    blocks = [
        prose,
        ImageRef(url="http://x.test/photos/bridge.jpg", width=640, height=480),
        ImageRef(url="http://x.test/static/logo.png", width=200, height=200),
        ImageRef(url="http://x.test/photos/banner-strip.jpg", width=900, height=100),
        "Later the council opened a museum in the former mill, with maps, tools and letters that show how "
        "families worked with the current of the water and traded wool with the cities along the coast.",
    ]
    doc = Document.from_blocks("page1", "http://x.test/", blocks)
    result = build_chain(None, kind="document").apply(doc)
    assert result.reject is None
    assert [ref.url for _, ref in result.sample.image_slots()] == ["http://x.test/photos/bridge.jpg"]
    assert sorted((name, d.reason) for name, d in result.dropped) == [
        ("aspect_ratio", RejectReason.ASPECT_RATIO),
        ("logo_url", RejectReason.LOGO_URL),
    ]


def test_chains_conserve_samples_property():
    """Every sample is kept or rejected, never both, whatever its size."""
    import random

    chain = build_chain(None, kind="pair")
    r = random.Random(0)
    for i in range(300):
        w, h = r.randint(1, 500), r.randint(1, 500)
        result = chain.apply(pair(w, h, key=f"k{i}"))
        small, elongated = min(w, h) < 64, max(w, h) / min(w, h) > 3
        assert (result.reject is None) == (not small and not elongated)
        if result.reject is not None:
            assert result.reject.reason == (
                RejectReason.IMAGE_TOO_SMALL if small else RejectReason.ASPECT_RATIO
            )
