"""MassiveText (Gopher) repetition rules: TextRepetitionFilter.

Thresholds from Rae et al. 2021 (Gopher), table A1: reject a text when the fraction of
duplicate lines or paragraphs exceeds 0.30, the fraction of characters in duplicate lines or
paragraphs exceeds 0.20, the most frequent 2/3/4-gram covers more than 0.20/0.18/0.16 of the
characters, or duplicate 5..10-grams cover more than 0.15, 0.14, 0.13, 0.12, 0.11, 0.10 of
them. Characters are counted over words (whitespace tokens) for n-gram rules; a duplicate
n-gram marks every word it covers once, so overlapping repeats are not double counted.
Thresholds are exclusive: a text exactly at one is kept.
"""

from __future__ import annotations

import dataclasses
import re
from collections import Counter

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


def top_ngram_char_fraction(words: list[str], n: int, total_chars: int) -> float:
    """Characters of the most frequent n-gram (times its count) over all word characters."""
    counts = Counter(tuple(words[i : i + n]) for i in range(len(words) - n + 1))
    if not counts:
        return 0.0
    top = max(counts.values())
    if top < 2:
        return 0.0
    chars = max(sum(len(w) for w in gram) for gram, c in counts.items() if c == top)
    return top * chars / total_chars


def duplicate_ngram_char_fraction(words: list[str], n: int, total_chars: int) -> float:
    """Characters of words covered by any n-gram that occurs more than once."""
    grams = [tuple(words[i : i + n]) for i in range(len(words) - n + 1)]
    counts = Counter(grams)
    covered = [False] * len(words)
    for i, gram in enumerate(grams):
        if counts[gram] > 1:
            covered[i : i + n] = [True] * n
    return sum(len(w) for w, c in zip(words, covered, strict=True) if c) / total_chars


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
        words = text.split()
        total_chars = sum(len(w) for w in words)
        if not total_chars:
            return None
        for n, limit in enumerate(self.max_top_ngram_char_fractions, start=2):
            frac = top_ngram_char_fraction(words, n, total_chars)
            if frac > limit:
                return self._reject(f"top {n}-gram character fraction {frac:.3f} > {limit}")
        for n, limit in enumerate(self.max_dup_ngram_char_fractions, start=5):
            frac = duplicate_ngram_char_fraction(words, n, total_chars)
            if frac > limit:
                return self._reject(f"duplicate {n}-gram character fraction {frac:.3f} > {limit}")
        return None
