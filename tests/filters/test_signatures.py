"""MinHash and pHash signatures: properties (estimates, LSH guarantees, determinism)."""

from __future__ import annotations

import io
import random

import numpy as np
import pytest
from PIL import Image, ImageDraw

from filters.minhash import EMPTY, MinHasher, estimate_jaccard, lsh_candidate_probability
from filters.phash import band_widths, hamming, phash, phash_band_keys

VOCAB = [f"v{i}" for i in range(3000)]


def shingles(text, n=5):
    w = text.lower().split()
    return {tuple(w[i : i + n]) for i in range(len(w) - n + 1)}


def test_minhash_estimates_jaccard():
    r = random.Random(0)
    m = MinHasher()
    errors = []
    for _ in range(60):
        a = r.choices(VOCAB, k=200)
        k = r.randrange(0, 200)
        b = a[: 200 - k] + r.choices(VOCAB, k=k)
        truth = len(shingles(" ".join(a)) & shingles(" ".join(b))) / len(
            shingles(" ".join(a)) | shingles(" ".join(b))
        )
        sa, sb = m.signatures([" ".join(a), " ".join(b)])
        errors.append(estimate_jaccard(sa, sb) - truth)
    assert abs(np.mean(errors)) < 0.02  # unbiased
    assert np.std(errors) < 0.06  # ~sqrt(J(1-J)/128)


def test_batch_equals_single_and_is_deterministic():
    texts = [
        "The cat sat on the mat today.",
        "",
        "short",
        "Ünïcode wörds stay whole, and ПРИВЕТ мир too " * 3,
    ]
    m = MinHasher()
    batch = m.signatures(texts)
    assert all((batch[i] == m.signature(t)).all() for i, t in enumerate(texts))
    assert (batch == MinHasher().signatures(texts)).all()
    assert (batch[1] == EMPTY).all() and not (batch[2] == EMPTY).any()
    assert not (batch == MinHasher(seed=2).signatures(texts)).all()


def test_case_and_punctuation_do_not_matter_word_order_does():
    m = MinHasher(ngram=2)
    a, b, c = m.signatures(["Hello, World! Foo bar.", "hello world foo bar", "bar foo world hello"])
    assert estimate_jaccard(a, b) == 1.0
    assert estimate_jaccard(a, c) < 0.5


def test_band_keys_collide_exactly_on_equal_bands():
    m = MinHasher(num_perm=128, num_bands=16)
    sig = m.signature(" ".join(VOCAB[:100]))
    other = sig.copy()
    other[:8] += 1  # change band 0 only
    ka, kb = m.band_keys(np.stack([sig, other]))
    assert ka.shape == (16,)
    assert ka[0] != kb[0] and (ka[1:] == kb[1:]).all()


def test_lsh_probability_and_parameter_checks():
    assert lsh_candidate_probability(0.7, 32, 4) == pytest.approx(0.99977, abs=1e-4)
    with pytest.raises(ValueError, match="multiple of num_bands"):
        MinHasher(num_perm=100, num_bands=16)


def noise_image(seed, size=96):
    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, size=(8, 8, 3), dtype=np.uint8)
    return Image.fromarray(small).resize((size, size), Image.Resampling.BICUBIC)


def test_phash_is_stable_under_reencoding_and_resizing():
    img = noise_image(1)
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=40)
    h = phash(img)
    assert hamming(h, phash(Image.open(io.BytesIO(buf.getvalue())))) <= 4
    assert hamming(h, phash(img.resize((50, 50)))) <= 4
    assert hamming(h, phash(noise_image(2))) > 8
    assert 0 <= h < 2**64


@pytest.mark.parametrize("max_distance", [0, 4, 8, 15])
def test_band_keys_pigeonhole(max_distance):
    widths = band_widths(max_distance)
    assert sum(widths) == 64 and len(widths) == max_distance + 1
    r = random.Random(max_distance)
    for _ in range(200):
        a = r.getrandbits(64)
        flips = r.sample(range(64), max_distance)
        b = a
        for bit in flips:
            b ^= 1 << bit
        assert set(phash_band_keys(a, max_distance)) & set(phash_band_keys(b, max_distance))


def test_band_keys_reject_bad_distances():
    with pytest.raises(ValueError, match="max_distance must be in"):
        band_widths(64)


def flat_scene(fill):
    img = Image.new("RGB", (96, 96), (0, 0, 200))
    draw = ImageDraw.Draw(img)
    draw.ellipse([10, 20, 60, 58], fill=fill)
    draw.rectangle([62, 5, 90, 40], fill=(240, 240, 240))
    return img


def test_colour_grid_separates_recoloured_layouts_and_keeps_copies():
    from filters.phash import colour_distance, image_hash, is_near

    red, green = flat_scene((220, 20, 20)), flat_scene((20, 220, 20))
    a, b = image_hash(red), image_hash(green)
    assert hamming(a.phash, b.phash) <= 8  # pHash alone calls them duplicates
    assert not is_near(a, b)
    buf = io.BytesIO()
    red.resize((64, 64)).save(buf, "JPEG", quality=50)
    copy = image_hash(Image.open(io.BytesIO(buf.getvalue())))
    assert is_near(a, copy) and colour_distance(a.grid, copy.grid) < 3
    assert is_near(a._replace(grid=None), b)  # a recorded pHash without colours: pHash only


def test_strip_padding_undoes_border_resizing_only():
    from filters.phash import strip_padding

    picture = noise_image(3, size=96).resize((120, 60))
    padded = Image.new("RGB", (100, 100), (255, 255, 255))
    padded.paste(picture.resize((100, 50)), (0, 25))
    assert strip_padding(padded, (120, 60)).size == (100, 50)
    cropped = noise_image(4, size=100)  # a centre crop: picture everywhere, nothing to strip
    assert strip_padding(cropped, (120, 60)) is cropped
    assert strip_padding(padded, None) is padded
    same_aspect = picture.resize((60, 30))
    assert strip_padding(same_aspect, (120, 60)) is same_aspect
