"""Perceptual image hashes (DCT pHash, 64 bits) and band keys for Hamming-threshold LSH.

pHash (Zauner 2010): grayscale, resize to 32x32, 2-D DCT-II, keep the 8x8 lowest frequencies,
one bit per coefficient: above the median of the 63 non-DC coefficients. Re-encoding, resizing
and small crops change few bits; different images differ in about half.

Band keys (multi-index hashing, Norouzi et al. 2012): split the 64 bits into `max_distance + 1`
contiguous bands. Two hashes within Hamming distance `max_distance` agree on at least one band
(pigeonhole), so grouping by (band, value) finds every such pair without comparing all pairs;
the candidates are then checked with the exact distance.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image

HASH_BITS = 64
_DCT_SIZE = 32
_LOW = 8


@functools.lru_cache(maxsize=1)
def _dct_matrix() -> np.ndarray:
    """The orthonormal DCT-II matrix for 32 samples."""
    n = _DCT_SIZE
    k = np.arange(n)[:, None]
    x = np.arange(n)[None, :]
    m = np.cos(np.pi * (2 * x + 1) * k / (2 * n)) * np.sqrt(2.0 / n)
    m[0] /= np.sqrt(2.0)
    return m


def phash(image: Image.Image) -> int:
    """The 64-bit DCT perceptual hash of an image, as an unsigned int."""
    gray = image.convert("L").resize((_DCT_SIZE, _DCT_SIZE), Image.Resampling.LANCZOS)
    pixels = np.asarray(gray, dtype=np.float64)
    d = _dct_matrix()
    low = (d @ pixels @ d.T)[:_LOW, :_LOW].reshape(-1)
    bits = low > np.median(low[1:])
    return int(np.packbits(bits).view(">u8")[0])


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


def band_widths(max_distance: int) -> list[int]:
    """Bit widths of the `max_distance + 1` bands (as equal as possible, summing to 64)."""
    num_bands = max_distance + 1
    if not 1 <= num_bands <= HASH_BITS:
        raise ValueError(f"max_distance must be in [0, {HASH_BITS - 1}], got {max_distance}")
    base, extra = divmod(HASH_BITS, num_bands)
    return [base + (1 if i < extra else 0) for i in range(num_bands)]


def phash_band_keys(value: int, max_distance: int) -> list[tuple[int, int]]:
    """(band index, band bits) for each band; hashes within `max_distance` share at least one."""
    keys = []
    shift = HASH_BITS
    for i, width in enumerate(band_widths(max_distance)):
        shift -= width
        keys.append((i, (value >> shift) & ((1 << width) - 1)))
    return keys
