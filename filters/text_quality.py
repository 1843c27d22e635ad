"""MassiveText (Gopher) quality rules: TextQualityFilter.

Thresholds from Rae et al. 2021 (Gopher), appendix A.1.1, which Flamingo applies to M3W:
keep a text with 50..100,000 words, mean word length 3..10 characters, a hash-to-word and an
ellipsis-to-word ratio each <= 0.1, <= 90% of lines starting with a bullet, <= 30% of lines
ending with an ellipsis, >= 80% of words containing a letter, and at least 2 of the stop words
"the, be, to, of, and, that, have, with" (counted as distinct words). Bounds are inclusive:
a text exactly at a threshold is kept.

`languages` (empty by default: the paper's English rules on every text) turns on per-language
rules (filters/language_rules.py): each text is judged by the rules of its detected language
(a Document's stored guess, else crawlers/html/language.py's), English by the fields below.
Naming a language without rules is an error at construction; with ("all",) a page in such a
language is rejected with that reason.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from filters.base import KEEP, Keep, Reject, register
from filters.language import document_guess, identify_language, stored_guess
from filters.language_rules import LanguageRules, rules_for
from filters.text_filter import TextFilter
from schemas import Document, RejectReason

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
    languages: tuple[str, ...] = ()  # () = English rules on every text; ("all",) or codes: per language

    def __post_init__(self) -> None:
        super().__post_init__()
        for lang in self.languages:
            if lang not in ("all", "en"):
                rules_for(lang)  # a clear error now, not a reject per page later

    def _reject(self, detail: str) -> Reject:
        return Reject(RejectReason.TEXT_QUALITY, detail)

    def filter(self, sample: Any) -> Keep | Reject:
        if self.languages and self.level == "document" and isinstance(sample, Document):
            lang = (stored_guess(sample) or document_guess(sample))[0]
            return self.judge(sample.text(), lang) or KEEP
        return super().filter(sample)

    def check_text(self, text: str) -> Reject | None:
        if not self.languages:
            return self._check(text, None)
        return self.judge(text, identify_language(text)[0])

    def judge(self, text: str, language: str) -> Reject | None:
        """The rules of `language` on the text (the paper's for English)."""
        if language == "en":
            return self._check(text, None)
        try:
            rules = rules_for(language)
        except ValueError as exc:
            return self._reject(str(exc).split(";")[0])
        return self._check(text, rules)

    def _check(self, text: str, rules: LanguageRules | None) -> Reject | None:
        """Gopher's rules; `rules` replaces the word count and stop words (None: the paper's)."""
        words = words_of(text)
        if rules is not None and rules.by_characters:
            n = sum(ch.isalpha() for ch in text)
            if not rules.min_words <= n <= rules.max_words:
                return self._reject(
                    f"letter count {n} outside [{rules.min_words}, {rules.max_words}] ({rules.language})"
                )
            # the per-word ratios below count words at the language's usual length
            num_words = max(1, n * 50 // rules.min_words)
            return self._check_shape(text, num_words) or self._check_stop_words(
                {w for w in rules.stop_words if w in text}, rules.min_stop_words, rules.language
            )
        min_words, max_words = (
            (self.min_words, self.max_words) if rules is None else (rules.min_words, rules.max_words)
        )
        n = len(words)
        if not min_words <= n <= max_words:
            return self._reject(f"word count {n} outside [{min_words}, {max_words}]")
        mean_len = sum(len(w) for w in words) / n
        if not self.min_mean_word_length <= mean_len <= self.max_mean_word_length:
            return self._reject(
                f"mean word length {mean_len:.3f} outside "
                f"[{self.min_mean_word_length}, {self.max_mean_word_length}]"
            )
        shape = self._check_shape(text, n)
        if shape is not None:
            return shape
        if rules is None:
            return self._check_stop_words(
                {w.lower() for w in words} & set(self.stop_words), self.min_stop_words
            )
        return self._check_stop_words({w.lower() for w in words} & rules.stop_words, 2, rules.language)

    def _check_stop_words(self, found: set, minimum: int, language: str = "") -> Reject | None:
        if len(found) < minimum:
            return self._reject(
                f"{len(found)} distinct stop words < {minimum}" + (f" ({language})" if language else "")
            )
        return None

    def _check_shape(self, text: str, n: int) -> Reject | None:
        """The rules on hashes, ellipses, bullets and letters over a text of n words."""
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
        return None
