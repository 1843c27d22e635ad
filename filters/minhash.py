"""MinHash signatures over word n-gram shingles, and LSH band keys, in batched numpy.

Why it is fast: a batch of texts is lowercased and UTF-8 encoded once; word boundaries and word
hashes come from vectorised numpy over the bytes (a polynomial hash mod 2^64 read off prefix
sums, using the inverse of the odd base), and shingles combine n consecutive word hashes. The
signature is one-permutation hashing (Li, Owen & Zhang 2012): each shingle hash picks one of
`num_perm` bins by its high bits and competes for that bin's minimum with its low bits, so the
cost is O(shingles), not O(shingles x num_perm); empty bins are filled by optimal densification
(Shrivastava 2017). P(two signatures agree in a bin) is the Jaccard similarity, as for classic
MinHash, so the same LSH banding applies. No Python-level loop runs per word or shingle.

Words are maximal runs of ASCII letters/digits/underscore or non-ASCII bytes (so accented and
non-Latin words stay whole). A text with fewer than `ngram` words has one shingle (all its words);
an empty text has the all-0xFFFFFFFF signature. Constants come from SHAKE-256 of the seed, so
signatures are identical on every machine and numpy version.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Sequence

import numpy as np

EMPTY = np.uint32(0xFFFFFFFF)
_WORD_BYTE = np.zeros(256, dtype=bool)
for _c in b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_":
    _WORD_BYTE[_c] = True
_WORD_BYTE[0x80:] = True
_BASE = np.uint64(0x100000001B3)  # the FNV-64 prime: odd, so invertible mod 2^64
_BASE_INV = np.uint64(pow(int(_BASE), -1, 2**64))


def _constants(tag: str, count: int) -> np.ndarray:
    raw = hashlib.shake_256(tag.encode()).digest(8 * count)
    return np.frombuffer(raw, dtype="<u8").astype(np.uint64)


def _mix(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser: spreads sums of word hashes over all 64 bits."""
    x = x ^ (x >> np.uint64(30))
    x = x * np.uint64(0xBF58476D1CE4E5B9)
    x = x ^ (x >> np.uint64(27))
    x = x * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


@dataclasses.dataclass(frozen=True)
class MinHasher:
    num_perm: int = 128
    ngram: int = 5
    num_bands: int = 16
    seed: int = 1

    def __post_init__(self) -> None:
        if self.num_perm % self.num_bands:
            raise ValueError(f"num_perm {self.num_perm} must be a multiple of num_bands {self.num_bands}")
        if self.ngram < 1:
            raise ValueError(f"ngram must be >= 1, got {self.ngram}")
        params = _constants(f"minhash:{self.seed}:{self.num_perm}", 2 * self.num_perm)
        object.__setattr__(self, "_a", params[: self.num_perm] | np.uint64(1))
        object.__setattr__(self, "_b", params[self.num_perm :])
        object.__setattr__(self, "_q", _constants(f"shingle:{self.seed}", self.ngram) | np.uint64(1))
        object.__setattr__(self, "_band_c", _constants(f"band:{self.seed}", self.rows) | np.uint64(1))

    @property
    def rows(self) -> int:
        return self.num_perm // self.num_bands

    # -- shingles -------------------------------------------------------------------------------
    def _word_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(word hash per word over all texts, number of words per text)."""
        encoded = [t.lower().encode("utf-8", errors="surrogatepass") for t in texts]
        data = np.frombuffer(b" ".join(encoded) + b" ", dtype=np.uint8)
        is_word = _WORD_BYTE[data]
        edges = np.diff(np.concatenate(([False], is_word)).astype(np.int8))
        starts = np.flatnonzero(edges == 1)
        ends = np.flatnonzero(edges == -1)  # exclusive; the trailing space closes the last word
        n = len(data)
        pinv = np.cumprod(np.full(n, _BASE_INV, dtype=np.uint64))  # pinv[j] = BASE^-(j+1)
        prefix = np.concatenate(([np.uint64(0)], np.cumsum(data.astype(np.uint64) * pinv, dtype=np.uint64)))
        pw = np.cumprod(np.full(n, _BASE, dtype=np.uint64))  # pw[j] = BASE^(j+1)
        # sum_{j in [s, e)} c_j BASE^(e-1-j) = BASE^e * (prefix[e] - prefix[s]), all mod 2^64
        word_hashes = pw[ends - 1] * (prefix[ends] - prefix[starts])
        offsets = np.cumsum([0] + [len(e) + 1 for e in encoded])
        counts = np.diff(np.searchsorted(starts, offsets))
        return word_hashes, counts

    def shingle_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(64-bit shingle hashes of all texts concatenated, shingles per text)."""
        words, counts = self._word_hashes(texts)
        n = self.ngram
        total = len(words)
        doc_of_word = np.repeat(np.arange(len(texts)), counts)
        if total >= n:
            grams = words[: total - n + 1] * self._q[0]
            for i in range(1, n):
                grams = grams + words[i : total - n + 1 + i] * self._q[i]
            valid = doc_of_word[: total - n + 1] == doc_of_word[n - 1 :]
            grams, gram_doc = grams[valid], doc_of_word[: total - n + 1][valid]
        else:
            grams, gram_doc = np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
        short = np.flatnonzero((counts > 0) & (counts < n))
        if len(short):  # texts shorter than one n-gram: one shingle of all their words
            word_start = np.concatenate(([0], np.cumsum(counts)[:-1]))
            extra = [
                (words[word_start[d] : word_start[d] + counts[d]] * self._q[: counts[d]]).sum(dtype=np.uint64)
                for d in short
            ]
            grams = np.concatenate((grams, np.array(extra, dtype=np.uint64)))
            gram_doc = np.concatenate((gram_doc, short))
            order = np.argsort(gram_doc, kind="stable")
            grams, gram_doc = grams[order], gram_doc[order]
        return _mix(grams), np.bincount(gram_doc, minlength=len(texts))

    # -- signatures -----------------------------------------------------------------------------
    def signatures(self, texts: Sequence[str]) -> np.ndarray:
        """[len(texts), num_perm] uint32 MinHash signatures (one-permutation, densified)."""
        k = self.num_perm
        out = np.full((len(texts), k), EMPTY, dtype=np.uint32)
        if not len(texts):
            return out
        grams, per_doc = self.shingle_hashes(texts)
        gram_doc = np.repeat(np.arange(len(texts)), per_doc)
        # bin from the high 32 bits (fast range reduction), value from the low 32 bits
        bins = (((grams >> np.uint64(32)) * np.uint64(k)) >> np.uint64(32)).astype(np.int64)
        values = (grams & np.uint64(0xFFFFFFFF)).astype(np.uint32)
        np.minimum.at(out.reshape(-1), gram_doc * k + bins, values)
        self._densify(out, per_doc > 0)
        return out

    def _densify(self, out: np.ndarray, non_empty_docs: np.ndarray) -> None:
        """Fill empty bins from the bin a fixed probe sequence hits first (optimal densification).

        The probe sequence depends only on (bin, attempt), so two texts with the same shingles
        in the same bins fill their empty bins identically, which keeps P(equal) = Jaccard.
        """
        filled = out != EMPTY
        rows, cols = np.nonzero(~filled & non_empty_docs[:, None])
        source = out.copy()
        attempt = 0
        while len(rows):
            probe = self._probe(cols, attempt)
            hit = filled[rows, probe]
            out[rows[hit], cols[hit]] = source[rows[hit], probe[hit]]
            rows, cols = rows[~hit], cols[~hit]
            attempt += 1

    def _probe(self, cols: np.ndarray, attempt: int) -> np.ndarray:
        h = _mix(cols.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(attempt) + self._a[0])
        return ((h >> np.uint64(32)) * np.uint64(self.num_perm) >> np.uint64(32)).astype(np.int64)

    def signature(self, text: str) -> np.ndarray:
        return self.signatures([text])[0]

    def band_keys(self, signatures: np.ndarray) -> np.ndarray:
        """[n, num_bands] uint64: equal keys in band i mean equal signature rows in band i."""
        sig = np.atleast_2d(signatures).astype(np.uint64).reshape(-1, self.num_bands, self.rows)
        return _mix((sig * self._band_c).sum(axis=2, dtype=np.uint64))


def estimate_jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """The fraction of equal MinHash values: an unbiased estimate of the Jaccard similarity."""
    return float(np.count_nonzero(a == b)) / len(a)


def lsh_candidate_probability(jaccard: float, num_bands: int, rows: int) -> float:
    """P(two texts with this Jaccard similarity share at least one band): 1 - (1 - s^r)^b."""
    return 1.0 - (1.0 - jaccard**rows) ** num_bands
