"""Image dedup: planted exact and perceptual duplicates, precision/recall, determinism."""

from __future__ import annotations

import io
import random

import pytest
from PIL import Image, ImageDraw

from pipeline.dedup.components import ConnectedComponents
from pipeline.dedup.images import DedupExactImages, DedupPerceptualImages, RemoveOverFrequentImages
from schemas import Document, ImageRef, ImageTextPair, M3WSample, MediaFile, PairSample, RejectReason
from tests.pipeline.beam_collect import SPLITS, run_collect


def picture(seed, size=128):
    r = random.Random(seed)
    img = Image.new("RGB", (size, size), tuple(r.randrange(256) for _ in range(3)))
    d = ImageDraw.Draw(img)
    for _ in range(10):
        x, y = r.randrange(size), r.randrange(size)
        d.ellipse(
            [x, y, x + r.randrange(10, 60), y + r.randrange(10, 60)],
            fill=tuple(r.randrange(256) for _ in range(3)),
        )
    return img


def jpeg(img, quality=90):
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality)
    return buf.getvalue()


def shard(key, data):
    """A pair as the job carries it, with no recorded sha256 or source size (hashed from its bytes)."""
    return PairSample(ImageTextPair(key=key, url=f"http://x.test/{key}.jpg", caption="c"), MediaFile(data))


def planted_images(num_groups=20):
    """Originals plus re-encoded, resized and ~2% cropped copies; returns samples and key -> group."""
    samples, group_of = [], {}
    for g in range(num_groups):
        img = picture(g)
        variants = [jpeg(img), jpeg(img, 40), jpeg(img.resize((90, 90))), jpeg(img.crop((3, 3, 125, 125)))]
        for v, data in enumerate(variants[: 1 + g % 4]):  # groups of 1..4 members
            key = f"k{(g * 7919 + v * 104729) % 1000003:07d}"
            samples.append(shard(key, data))
            group_of[key] = g
    return samples, group_of


def precision_recall(rejects, group_of):
    groups = {}
    for key, g in group_of.items():
        groups.setdefault(g, []).append(key)
    expected = {k for keys in groups.values() for k in sorted(keys)[1:]}  # all but the smallest key
    found = {r.key for r in rejects}
    true_pos = len(found & expected)
    return true_pos / max(len(found), 1), true_pos / max(len(expected), 1)


@pytest.mark.parametrize("split", SPLITS)
def test_perceptual_dedup_finds_planted_copies(tmp_path, split):
    samples, group_of = planted_images()
    shuffled = samples[:]
    random.Random(len(split)).shuffle(shuffled)
    out = run_collect(shuffled, DedupPerceptualImages(), tmp_path, args=split)
    precision, recall = precision_recall(out["rejects"], group_of)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    for r in out["rejects"]:
        assert r.stage == "dedup" and r.reason == RejectReason.DUPLICATE_PERCEPTUAL
        assert group_of[r.kept_key] == group_of[r.key] and r.kept_key < r.key
    assert len(out["kept"]) + len(out["rejects"]) == len(samples)
    test_perceptual_dedup_finds_planted_copies.results.append(
        sorted((r.key, r.kept_key) for r in out["rejects"])
    )
    if len(test_perceptual_dedup_finds_planted_copies.results) == len(SPLITS):
        first, *rest = test_perceptual_dedup_finds_planted_copies.results
        assert all(r == first for r in rest)  # identical across input orders and worker counts


test_perceptual_dedup_finds_planted_copies.results = []


def test_exact_image_dedup_keeps_the_smallest_key(tmp_path):
    pairs = [
        PairSample(
            ImageTextPair(key=k, url=f"http://x.test/{k}.jpg", caption="c", sha256=h), MediaFile(k.encode())
        )
        for k, h in [("b", "h1"), ("a", "h1"), ("c", "h2"), ("d", "h1"), ("e", None)]
    ]
    out = run_collect(pairs, DedupExactImages(), tmp_path)
    assert sorted(p.key for p in out["kept"]) == ["a", "c", "e"]
    assert sorted((r.key, r.kept_key, r.reason, r.stage) for r in out["rejects"]) == [
        ("b", "a", RejectReason.DUPLICATE_EXACT, "dedup"),
        ("d", "a", RejectReason.DUPLICATE_EXACT, "dedup"),
    ]


def test_exact_image_dedup_hashes_shard_bytes(tmp_path):
    data = jpeg(picture(1))
    out = run_collect(
        [shard("x2", data), shard("x1", data), shard("x3", jpeg(picture(2)))], DedupExactImages(), tmp_path
    )
    assert [(r.key, r.kept_key) for r in out["rejects"]] == [("x2", "x1")]


def test_over_frequent_images_are_removed_from_pages(tmp_path):
    logo = ImageRef(url="http://x.test/l.png", sha256="L")
    docs = [
        M3WSample(
            Document.from_blocks(
                f"d{i}", f"http://x.test/{i}", [f"t{i}", logo, ImageRef(url=f"http://x.test/{i}.jpg")]
            ),
            {1: MediaFile(b"logo"), 2: MediaFile(f"image {i}".encode())},
        )
        for i in range(4)
    ]
    out = run_collect(docs, RemoveOverFrequentImages(max_documents=3), tmp_path)
    assert sorted((d.key, [r.url for _, r in d.document.image_slots()]) for d in out["kept"]) == [
        (f"d{i}", [f"http://x.test/{i}.jpg"]) for i in range(4)
    ]
    assert (
        sorted((r.stage, r.reason, r.source) for r in out["rejects"])
        == [("image", RejectReason.OVER_FREQUENT, logo.url)] * 4
    )
    assert out["rejects"][0].detail.startswith("image on 4 pages > 3")
    assert all(
        [m.data for _, m in d.fetched_images()] == [f"image {d.key[1:]}".encode()] for d in out["kept"]
    )
    kept_all = run_collect(docs, RemoveOverFrequentImages(max_documents=4), tmp_path)
    assert kept_all["rejects"] == [] and len(kept_all["kept"]) == 4


def test_connected_components_of_a_long_chain(tmp_path):
    edges = [(f"n{i:03d}", f"n{i + 1:03d}") for i in range(40)] + [("x1", "x0"), ("x2", "x1")]
    random.Random(0).shuffle(edges)
    out = run_collect(edges, ConnectedComponents(rounds=6), tmp_path)
    labels = dict(out[None])
    assert labels == {**{f"n{i:03d}": "n000" for i in range(41)}, "x0": "x0", "x1": "x0", "x2": "x0"}


def test_link_bucket_pairwise_and_pivot_modes_agree_on_clear_clusters():
    import numpy as np

    from pipeline.dedup.components import link_bucket

    def close_within(values):
        return lambda i, js: np.abs(values[js] - values[i]) <= 2

    keys = [f"k{i}" for i in range(6)]
    clusters = close_within(np.array([0, 1, 2, 1000, 1001, 5000]))
    expected = [("k1", "k0"), ("k2", "k0"), ("k4", "k3")]
    assert sorted(link_bucket(keys, clusters)) == expected
    assert sorted(link_bucket(keys, clusters, max_pairwise=2)) == expected
    # a chain 0 ~ 2 ~ 4: all pairs link it whole; pivots (documented trade-off) only around 0
    chain = close_within(np.array([0, 2, 4]))
    assert sorted(link_bucket(keys[:3], chain)) == [("k1", "k0"), ("k2", "k0")]
    assert sorted(link_bucket(keys[:3], chain, max_pairwise=2)) == [("k1", "k0")]
