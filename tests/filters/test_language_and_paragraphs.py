"""Language identification and paragraph-level (OBELICS-style) text filtering."""

import pytest

from filters import Dropped, Keep, LanguageFilter, Reject, TextQualityFilter, build_filter, identify_language
from schemas import Document, ImageRef, ImageTextPair, RejectReason

EN = "The children walked to the market with their mother and bought fresh bread for the week."
DE = "Die Kinder gingen mit ihrer Mutter auf den Markt und kauften frisches Brot für die Woche."


def test_identifies_language_from_the_bundled_model():
    assert identify_language(EN)[0] == "en"
    assert identify_language(DE)[0] == "de"


def test_language_filter_on_captions():
    f = LanguageFilter()
    assert f.filter(ImageTextPair(key="a", url="http://x.test/a.jpg", caption=EN)) == Keep()
    verdict = f.filter(ImageTextPair(key="a", url="http://x.test/a.jpg", caption=DE))
    assert verdict.reason == RejectReason.LANGUAGE
    assert verdict.detail.startswith("language de (p=") and verdict.detail.endswith("not in ['en']")
    assert LanguageFilter(languages=("en", "de")).check_text(DE) is None


def test_min_score():
    verdict = LanguageFilter(min_score=1.01).check_text(EN)
    assert verdict.reason == RejectReason.LANGUAGE and verdict.detail.endswith("< 1.01")


def test_unknown_language_code_is_an_error():
    with pytest.raises(ValueError, match=r"unknown language code\(s\) \['xx'\]"):
        build_filter("language", {"languages": ["xx"]})


def para(n, seed):
    return " ".join(["the", "and"] + [f"{chr(97 + (i + seed) % 26)}word" for i in range(n - 2)])


def doc():
    img = ImageRef(url="http://x.test/a.jpg", width=100, height=100)
    return Document.from_blocks("d1", "http://x.test/", [para(60, 1), img, "1234 5678 9999", para(60, 2)])


def test_paragraph_level_drops_failing_paragraphs():
    f = TextQualityFilter(level="paragraph", min_words=3)
    verdict = f.filter(doc())
    assert isinstance(verdict, Keep)
    assert verdict.dropped == (
        Dropped("text", 2, RejectReason.TEXT_QUALITY, "alphabetic-word fraction 0.000 < 0.8"),
    )
    assert verdict.sample.texts == [para(60, 1), None, para(60, 2)]
    assert verdict.sample.num_images == 1


def test_document_level_judges_the_joined_text():
    assert TextQualityFilter().filter(doc()) == Keep()  # 123 words, 3 numeric tokens: passes as a whole


def test_paragraph_level_rejects_a_document_left_without_text():
    d = Document.from_blocks(
        "d2", "http://x.test/", ["1234 5678", ImageRef(url="http://x.test/a.jpg"), "999"]
    )
    verdict = TextQualityFilter(level="paragraph", min_words=1).filter(d)
    assert verdict == Reject(
        RejectReason.TEXT_QUALITY, "all 2 paragraphs failed; first: alphabetic-word fraction 0.000 < 0.8"
    )
