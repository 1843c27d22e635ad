"""Per-language text-quality rules for TextQualityFilter(languages=...): stop words and word counts.

Gopher (Rae et al. 2021, A.1.1) wrote its rules for English: 50..100,000 words, mean word length
3..10, and at least 2 of 8 English stop words. Used as is on other languages they reject nearly
every page (a German article holds none of "the, be, to, of, and, that, have, with"). Here each
language keeps the shape of the rule with its own values:

- English: the paper's rules exactly (the filter's own fields; GOPHER_STOP_WORDS).
- Languages written with spaces: the stop-word list of stopwords-iso (the `stopwordsiso`
  package, MIT, 58 languages), letters-only entries of 2+ characters, and the paper's
  thresholds: at least 2 distinct stop words, 50..100,000 words, mean word length 3..10.
  Measured on the real article excerpts in tests/filters/test_language_rules.py: de, fr, es and
  ru articles hold 6-20 distinct stop words per 50 words, gibberish none.
- Chinese, Japanese, Thai (no spaces between words): words are not segmented; the letters are
  counted instead, against the paper's 50 words at the usual word length (about 1.5 characters
  per Chinese word, 2 per Japanese, 4 per Thai: 75 / 100 / 200 letters, and x2000 at most), the
  mean-word-length rule does not apply, and stop words are found as substrings: at least 5
  distinct ones (single characters such as 的 or の are common enough that a run of random
  characters can hold one or two).

A language outside these (or absent from stopwords-iso) has no rules: naming it is an error that
lists the languages that have them.
"""

from __future__ import annotations

import dataclasses
import functools

# The paper's 50 words at the usual characters per word of each script.
CHARACTER_LANGUAGES = {"zh": 75, "ja": 100, "th": 200}
MAX_CHARACTERS_PER_MIN = 2000  # max letters = min letters x this (the paper's 100,000 / 50)
CHARACTER_MIN_STOP_WORDS = 5


@dataclasses.dataclass(frozen=True, kw_only=True)
class LanguageRules:
    language: str
    stop_words: frozenset[str]
    min_stop_words: int = 2
    by_characters: bool = False  # count letters (no spaces between words) instead of words
    min_words: int = 50  # letters when by_characters
    max_words: int = 100_000


@functools.cache
def _stopwords_iso() -> dict[str, frozenset[str]]:
    import stopwordsiso  # a small package (one JSON file); imported only when rules are asked for

    return {lang: frozenset(stopwordsiso.stopwords(lang)) for lang in stopwordsiso.langs()}


def languages_with_rules() -> list[str]:
    return sorted({"en", *_stopwords_iso()})


def rules_for(language: str) -> LanguageRules:
    """The rules for an ISO 639-1 code; ValueError naming the known ones when there are none."""
    lists = _stopwords_iso()
    if language == "en":
        raise ValueError("English uses the paper's rules: TextQualityFilter's own fields")
    if language not in lists:
        raise ValueError(
            f"no text-quality rules for language {language!r} yet; languages with rules: "
            f"{', '.join(languages_with_rules())}"
        )
    if language in CHARACTER_LANGUAGES:
        words = frozenset(w for w in lists[language] if w.isalpha())
        floor = CHARACTER_LANGUAGES[language]
        return LanguageRules(
            language=language,
            stop_words=words,
            min_stop_words=CHARACTER_MIN_STOP_WORDS,
            by_characters=True,
            min_words=floor,
            max_words=floor * MAX_CHARACTERS_PER_MIN,
        )
    words = frozenset(w for w in lists[language] if w.isalpha() and len(w) >= 2)
    return LanguageRules(language=language, stop_words=words)
