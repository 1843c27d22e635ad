"""Per-language text-quality rules on real article text (tests/filters/real_article_texts.py):
articles pass, chrome-only pages and gibberish fail, English keeps the paper's rules."""

from __future__ import annotations

import random

import pytest

from crawlers.html.extract import extract_document
from filters import TextQualityFilter
from filters.base import KEEP, Reject
from filters.language_rules import rules_for
from schemas import RejectReason
from tests.filters.real_article_texts import ARTICLES, BOILERPLATE

PER_LANGUAGE = TextQualityFilter(languages=("all",))


def _page(text: str) -> str:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    return f"<html><body><article>{paragraphs}</article></body></html>"


def _gibberish(language: str, seed: int = 0) -> str:
    rng = random.Random(seed)
    if rules_for(language).by_characters:  # random CJK ideographs, as many as the article has letters
        return "".join(chr(rng.randrange(0x4E00, 0x9FA0)) for _ in range(240))
    letters = sorted({c.lower() for c in ARTICLES[language] if c.isalpha()})
    return " ".join("".join(rng.choice(letters) for _ in range(rng.randint(4, 9))) for _ in range(90))


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_a_real_article_passes_its_languages_rules(language):
    doc = extract_document(_page(ARTICLES[language]), f"http://news.test/{language}")
    assert doc.metadata["language"] == language
    assert PER_LANGUAGE.filter(doc) == KEEP


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_a_chrome_only_page_fails_on_its_length(language):
    verdict = PER_LANGUAGE.judge(BOILERPLATE[language], language)
    assert verdict.reason is RejectReason.TEXT_QUALITY
    count = "letter count" if language in ("zh", "ja") else "word count"
    assert verdict.detail.startswith(count)


@pytest.mark.parametrize("language", sorted(ARTICLES))
def test_gibberish_fails_on_stop_words(language):
    verdict = PER_LANGUAGE.judge(_gibberish(language), language)
    assert verdict.reason is RejectReason.TEXT_QUALITY
    minimum = 5 if language in ("zh", "ja") else 2
    assert "distinct stop words < " + str(minimum) in verdict.detail


def test_the_english_default_is_the_papers_and_rejects_other_languages():
    # the paper's rule: two of its eight English stop words (Gopher A.1.1), whatever the language
    assert TextQualityFilter().check_text(ARTICLES["de"]) == Reject(
        RejectReason.TEXT_QUALITY, "0 distinct stop words < 2"
    )
    english = " ".join(["the cat and the dog sat with me today"] * 7)
    assert TextQualityFilter().check_text(english) is None
    assert PER_LANGUAGE.judge(english, "en") is None


def test_naming_a_language_without_rules_is_an_error_that_lists_the_known_ones():
    with pytest.raises(
        ValueError, match=r"no text-quality rules for language 'yi' yet; languages with rules: .*de"
    ):
        TextQualityFilter(languages=("de", "yi"))


def test_with_all_a_page_in_a_language_without_rules_is_rejected_with_that_reason():
    verdict = PER_LANGUAGE.judge(ARTICLES["de"], "yi")
    assert verdict == Reject(RejectReason.TEXT_QUALITY, "no text-quality rules for language 'yi' yet")
