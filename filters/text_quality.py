"""MassiveText (Gopher) quality rules: TextQualityFilter.

Thresholds from Rae et al. 2021 (Gopher), appendix A.1.1, which Flamingo applies to M3W:
keep a text with 50..100,000 words, mean word length 3..10 characters, a hash-to-word and an
ellipsis-to-word ratio each <= 0.1, <= 90% of lines starting with a bullet, <= 30% of lines
ending with an ellipsis, >= 80% of words containing a letter, and at least 2 of the stop words
"the, be, to, of, and, that, have, with" (counted as distinct words). Bounds are inclusive:
a text exactly at a threshold is kept.
"""

from __future__ import annotations

import dataclasses
import re

from filters.base import Reject, register
from filters.text_filter import TextFilter
from schemas import RejectReason

_EDGE_PUNCT = re.compile(r"^[^\w]+|[^\w]+$")
_BULLETS = ("•", "‣", "●", "◦", "▪", "-", "*", "–", "—")
_ELLIPSES = ("...", "…")
GOPHER_STOP_WORDS = ("the", "be", "to", "of", "and", "that", "have", "with")


def words_of(text: str) -> list[str]:
    """Whitespace tokens with leading/trailing punctuation removed; punctuation-only tokens dropped."""
    out = []
    for token in text.split():
        word = _EDGE_PUNCT.sub("", token)
        if word:
            out.append(word)
    return out


@register("text_quality")
@dataclasses.dataclass(frozen=True, kw_only=True)
class TextQualityFilter(TextFilter):
    kinds = frozenset({"document", "pair", "video"})

    min_words: int = 50
    max_words: int = 100_000
    min_mean_word_length: float = 3.0
    max_mean_word_length: float = 10.0
    max_hash_word_ratio: float = 0.1
    max_ellipsis_word_ratio: float = 0.1
    max_bullet_lines_ratio: float = 0.9
    max_ellipsis_lines_ratio: float = 0.3
    min_alpha_words_ratio: float = 0.8
    min_stop_words: int = 2
    stop_words: tuple[str, ...] = GOPHER_STOP_WORDS

    def _reject(self, detail: str) -> Reject:
        return Reject(RejectReason.TEXT_QUALITY, detail)

    def check_text(self, text: str) -> Reject | None:
        words = words_of(text)
        n = len(words)
        if not self.min_words <= n <= self.max_words:
            return self._reject(f"word count {n} outside [{self.min_words}, {self.max_words}]")
        mean_len = sum(len(w) for w in words) / n
        if not self.min_mean_word_length <= mean_len <= self.max_mean_word_length:
            return self._reject(
                f"mean word length {mean_len:.3f} outside "
                f"[{self.min_mean_word_length}, {self.max_mean_word_length}]"
            )
        hash_ratio = text.count("#") / n
        if hash_ratio > self.max_hash_word_ratio:
            return self._reject(f"hash-to-word ratio {hash_ratio:.3f} > {self.max_hash_word_ratio}")
        ellipsis_ratio = sum(text.count(e) for e in _ELLIPSES) / n
        if ellipsis_ratio > self.max_ellipsis_word_ratio:
            return self._reject(
                f"ellipsis-to-word ratio {ellipsis_ratio:.3f} > {self.max_ellipsis_word_ratio}"
            )
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        bullet_ratio = sum(line.startswith(_BULLETS) for line in lines) / len(lines)
        if bullet_ratio > self.max_bullet_lines_ratio:
            return self._reject(f"bullet-line fraction {bullet_ratio:.3f} > {self.max_bullet_lines_ratio}")
        ellipsis_lines = sum(line.endswith(_ELLIPSES) for line in lines) / len(lines)
        if ellipsis_lines > self.max_ellipsis_lines_ratio:
            return self._reject(
                f"ellipsis-line fraction {ellipsis_lines:.3f} > {self.max_ellipsis_lines_ratio}"
            )
        tokens = text.split()
        alpha_ratio = sum(any(c.isalpha() for c in t) for t in tokens) / len(tokens)
        if alpha_ratio < self.min_alpha_words_ratio:
            return self._reject(f"alphabetic-word fraction {alpha_ratio:.3f} < {self.min_alpha_words_ratio}")
        stop = set(self.stop_words)
        found = {w.lower() for w in words} & stop
        if len(found) < self.min_stop_words:
            return self._reject(f"{len(found)} distinct stop words < {self.min_stop_words}")
        return None
