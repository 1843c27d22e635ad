"""Eval decontamination: perceptual image matches and long n-gram text overlap, with reports."""

from __future__ import annotations

import pytest
from PIL import Image

from filters.phash import image_hash
from pipeline.dedup.decontaminate import Decontaminate, eval_image_hashes, load_eval_csv
from schemas import ImageTextPair, MediaFile, PairSample, RejectReason
from tests.pipeline.beam_collect import run_collect
from tests.pipeline.dedup.test_images import jpeg, picture

EVAL_CAPTION = "a red circle on a blue background next to a small green square"


def sample(key, image, caption):
    return PairSample(
        ImageTextPair(key=key, url=f"http://x.test/{key}.jpg", caption=caption), MediaFile(image)
    )


def test_drops_eval_images_and_texts(tmp_path):
    eval_img = picture(5)
    evals = eval_image_hashes({"coco-5": jpeg(eval_img)})
    texts = [("cap-1", EVAL_CAPTION), ("cap-short", "a dog")]
    samples = [
        sample("t1", jpeg(eval_img.resize((100, 100)), 50), "unrelated caption"),
        sample("t2", jpeg(picture(6)), f"Photo: {EVAL_CAPTION.upper()}!"),
        sample("t3", jpeg(picture(7)), "a dog"),  # eval text under min_words: never a match
        sample(
            "t4", jpeg(picture(8)), "a red circle on a blue background"
        ),  # a prefix, not the whole caption
    ]
    out = run_collect(samples, Decontaminate(evals, texts), tmp_path)
    assert sorted(s.key for s in out["kept"]) == ["t3", "t4"]
    rejects = sorted(out["rejects"], key=lambda r: r.key)
    assert [(r.key, r.stage, r.reason, r.kept_key) for r in rejects] == [
        ("t1", "decontaminate", RejectReason.EVAL_CONTAMINATION, None),
        ("t2", "decontaminate", RejectReason.EVAL_CONTAMINATION, None),
    ]
    assert rejects[0].detail.startswith("image within ") and rejects[0].detail.endswith(
        "pHash bits of eval image coco-5"
    )
    assert rejects[1].detail == "shares a 13-word run with eval text cap-1"


def test_long_documents_match_on_13_grams(tmp_path):
    eval_text = " ".join(f"w{i}" for i in range(30))
    train = "intro words " + " ".join(f"w{i}" for i in range(10, 23)) + " outro"
    near_miss = "intro " + " ".join(f"w{i}" for i in range(10, 22)) + " outro"
    samples = [sample("a", jpeg(picture(1)), train), sample("b", jpeg(picture(2)), near_miss)]
    out = run_collect(samples, Decontaminate((), [("ev", eval_text)]), tmp_path)
    assert [s.key for s in out["kept"]] == ["b"]
    assert [r.detail for r in out["rejects"]] == ["shares a 13-word run with eval text ev"]


def test_deduplicate_pairs_chains_exact_perceptual_and_decontamination(tmp_path):
    from pipeline.dedup.deduplicate import Deduplicate

    a, b, c = picture(11), picture(12), picture(13)
    samples = [
        sample("k1", jpeg(a), "one"),
        sample("k2", jpeg(a), "exact copy"),
        sample("k3", jpeg(a.resize((100, 100)), 60), "resized copy"),
        sample("k4", jpeg(b), "two"),
        sample("k5", jpeg(c), "eval image"),
    ]
    out = run_collect(
        samples, Deduplicate("pair", eval_images=eval_image_hashes({"ev-c": jpeg(c)})), tmp_path
    )
    assert sorted(s.key for s in out["kept"]) == ["k1", "k4"]
    assert sorted((r.key, r.stage, r.reason.value, r.kept_key) for r in out["rejects"]) == [
        ("k2", "dedup", "duplicate_exact", "k1"),
        ("k3", "dedup", "duplicate_perceptual", "k1"),
        ("k5", "decontaminate", "eval_contamination", None),
    ]


def test_load_eval_csv(tmp_path):
    (tmp_path / "images").mkdir()
    (tmp_path / "images" / "e0.jpg").write_bytes(jpeg(picture(3)))
    (tmp_path / "eval.csv").write_text(f"path,caption\nimages/e0.jpg,{EVAL_CAPTION}\n")
    images, texts = load_eval_csv(str(tmp_path / "eval.csv"))
    assert images == [("images/e0.jpg", image_hash(Image.open(tmp_path / "images" / "e0.jpg")))]
    assert texts == [("images/e0.jpg", EVAL_CAPTION)]
    (tmp_path / "bad.csv").write_text("file,text\nx,y\n")
    with pytest.raises(ValueError, match=r"lacks column\(s\) \['caption', 'path'\]"):
        load_eval_csv(str(tmp_path / "bad.csv"))


def test_load_eval_sets_reads_one_csv_or_a_glob(tmp_path):
    from pipeline.dedup.decontaminate import load_eval_sets

    for name, caption in (("a", "first eval caption here"), ("b", "second eval caption here")):
        (tmp_path / f"{name}.csv").write_text(f"path,caption\n,{caption}\n")
    one = load_eval_sets(str(tmp_path / "a.csv"))
    both = load_eval_sets(str(tmp_path / "*.csv"))
    assert [t for _, t in one[1]] == ["first eval caption here"]
    assert sorted(t for _, t in both[1]) == ["first eval caption here", "second eval caption here"]
    with pytest.raises(FileNotFoundError, match="no such CSV"):
        load_eval_sets(str(tmp_path / "none-*.csv"))
