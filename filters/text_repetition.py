"""MassiveText (Gopher) repetition rules: TextRepetitionFilter.

Thresholds from Rae et al. 2021 (Gopher), table A1: reject a text when the fraction of
duplicate lines or paragraphs exceeds 0.30, the fraction of characters in duplicate lines or
paragraphs exceeds 0.20, the most frequent 2/3/4-gram covers more than 0.20/0.18/0.16 of the
characters, or duplicate 5..10-grams cover more than 0.15, 0.14, 0.13, 0.12, 0.11, 0.10 of
them. Characters are counted over words (whitespace tokens) for n-gram rules; a duplicate
n-gram marks every word it covers once, so overlapping repeats are not double counted. N-grams
are compared by 64-bit polynomial hashes of word ids in numpy (a 10,000-word page in ~50 ms).
Thresholds are exclusive: a text exactly at one is kept.
"""

from __future__ import annotations

import dataclasses
import re

import numpy as np

from filters.base import Reject, register
from filters.text_filter import TextFilter
from schemas import RejectReason

_PARAGRAPH_SPLIT = re.compile(r"\n\s*\n")


def duplicate_fractions(items: list[str]) -> tuple[float, float]:
    """(fraction of items seen before, fraction of characters in those items)."""
    if not items:
        return 0.0, 0.0
    seen: set[str] = set()
    dup_items = dup_chars = 0
    for item in items:
        if item in seen:
            dup_items += 1
            dup_chars += len(item)
        else:
            seen.add(item)
    total_chars = sum(len(i) for i in items)
    return dup_items / len(items), (dup_chars / total_chars if total_chars else 0.0)


_MULT = np.uint64(0x9E3779B97F4A7C15)  # odd 64-bit multiplier (golden ratio): n-gram ids by polynomial hash


class _Words:
    """Words as integer ids and character counts, for vectorised n-gram statistics."""

    def __init__(self, words: list[str]):
        vocab: dict[str, int] = {}
        self.ids = np.fromiter(
            (vocab.setdefault(w, len(vocab)) for w in words), dtype=np.uint64, count=len(words)
        )
        self.lengths = np.fromiter(map(len, words), dtype=np.int64, count=len(words))
        self.prefix = np.concatenate(([0], np.cumsum(self.lengths)))
        self.total_chars = int(self.prefix[-1])

    def grams(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """(per-position count of its n-gram, characters of each n-gram), one entry per start position."""
        m = len(self.ids) - n + 1
        if m <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        h = np.zeros(m, dtype=np.uint64)
        for i in range(n):
            h = h * _MULT + self.ids[i : i + m] + np.uint64(1)
        _, inverse, counts = np.unique(h, return_inverse=True, return_counts=True)
        return counts[inverse], self.prefix[n : n + m] - self.prefix[:m]


def top_ngram_char_fraction(words: _Words, n: int) -> float:
    """Characters of the most frequent n-gram (times its count) over all word characters."""
    counts, chars = words.grams(n)
    if not len(counts) or counts.max() < 2:
        return 0.0
    top = counts.max()
    return float(top * chars[counts == top].max()) / words.total_chars


def duplicate_ngram_char_fraction(words: _Words, n: int) -> float:
    """Characters of words covered by any n-gram that occurs more than once."""
    counts, _ = words.grams(n)
    starts = np.flatnonzero(counts > 1)
    size = len(words.ids) + 1
    delta = np.bincount(starts, minlength=size) - np.bincount(starts + n, minlength=size)
    covered = np.cumsum(delta)[:-1] > 0
    return float(words.lengths[covered].sum()) / words.total_chars


@register("text_repetition")
@dataclasses.dataclass(frozen=True, kw_only=True)
class TextRepetitionFilter(TextFilter):
    kinds = frozenset({"document", "pair", "video"})

    max_dup_line_fraction: float = 0.30
    max_dup_paragraph_fraction: float = 0.30
    max_dup_line_char_fraction: float = 0.20
    max_dup_paragraph_char_fraction: float = 0.20
    max_top_ngram_char_fractions: tuple[float, ...] = (0.20, 0.18, 0.16)  # n = 2, 3, 4
    max_dup_ngram_char_fractions: tuple[float, ...] = (0.15, 0.14, 0.13, 0.12, 0.11, 0.10)  # n = 5..10

    def _reject(self, detail: str) -> Reject:
        return Reject(RejectReason.TEXT_REPETITION, detail)

    def check_text(self, text: str) -> Reject | None:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        paragraphs = [p.strip() for p in _PARAGRAPH_SPLIT.split(text) if p.strip()]
        for what, items, max_frac, max_char_frac in (
            ("line", lines, self.max_dup_line_fraction, self.max_dup_line_char_fraction),
            ("paragraph", paragraphs, self.max_dup_paragraph_fraction, self.max_dup_paragraph_char_fraction),
        ):
            frac, char_frac = duplicate_fractions(items)
            if frac > max_frac:
                return self._reject(f"duplicate {what} fraction {frac:.3f} > {max_frac}")
            if char_frac > max_char_frac:
                return self._reject(f"duplicate {what} character fraction {char_frac:.3f} > {max_char_frac}")
        words = _Words(text.split())
        if not words.total_chars:
            return None
        for n, limit in enumerate(self.max_top_ngram_char_fractions, start=2):
            frac = top_ngram_char_fraction(words, n)
            if frac > limit:
                return self._reject(f"top {n}-gram character fraction {frac:.3f} > {limit}")
        for n, limit in enumerate(self.max_dup_ngram_char_fractions, start=5):
            frac = duplicate_ngram_char_fraction(words, n)
            if frac > limit:
                return self._reject(f"duplicate {n}-gram character fraction {frac:.3f} > {limit}")
        return None
