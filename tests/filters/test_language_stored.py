"""LanguageFilter: the extractor's stored guess is used as is; re-identification gives the same one."""

from __future__ import annotations

import html

import pytest

from crawlers.html import language as langid
from crawlers.html.extract import extract_document
from filters import Keep, LanguageFilter, Reject, build_filter, identify_language
from filters.language import document_guess, stored_guess
from schemas import Document, ImageRef, ImageTextPair, RejectReason
from tests.crawlers.html.multilingual_texts import multilingual_documents

EN = "The children walked to the market with their mother and bought fresh bread for the week."
DE = "Die Kinder gingen mit ihrer Mutter auf den Markt und kauften frisches Brot für die Woche."
IMG = ImageRef(url="http://x.test/a.jpg")


def _doc(texts, **meta) -> Document:
    return Document.from_blocks("d1", "http://x.test/", [*texts, IMG], meta)


def test_stored_guess_is_used_without_re_identifying(monkeypatch):
    def fail(text):
        raise AssertionError("re-identified a document that carries a guess")

    monkeypatch.setattr(langid, "classify", fail)
    english_text_stored_german = _doc([EN], language="de", language_score=0.97)
    verdict = LanguageFilter().filter(english_text_stored_german)
    assert verdict == Reject(RejectReason.LANGUAGE, "language de (p=0.97) not in ['en']")
    assert LanguageFilter().filter(_doc([DE], language="en", language_score=0.97)) == Keep()
    low = LanguageFilter().filter(_doc([EN], language="en", language_score=0.4999))
    assert low == Reject(RejectReason.LANGUAGE, "language en p=0.500 < 0.5")


def test_recheck_judges_the_current_texts():
    english_text_stored_german = _doc([EN], language="de", language_score=0.97)
    assert LanguageFilter(recheck=True).filter(english_text_stored_german) == Keep()
    assert build_filter("language", {"recheck": True}).recheck is True


@pytest.mark.parametrize(
    "meta",
    [
        {},
        {"language": "de"},
        {"language_score": 0.9},
        {"language": "de", "language_score": "0.9"},
        {"language": "de", "language_score": True},
        {"language": "de", "language_score": 1.5},
        {"language": "de", "language_score": float("nan")},
        {"language": 7, "language_score": 0.9},
    ],
)
def test_missing_or_malformed_guess_is_re_identified(meta):
    d = _doc([EN], **meta)
    assert stored_guess(d) is None
    assert LanguageFilter().filter(d) == Keep()
    assert isinstance(LanguageFilter().filter(_doc([DE], **meta)), Reject)


def test_short_document_is_undetermined_either_way():
    d = _doc(["Hi there"])
    assert document_guess(d) == ("und", 0.0)
    assert LanguageFilter().filter(d) == Reject(RejectReason.LANGUAGE, "language und (p=0.00) not in ['en']")


def test_paragraph_level_ignores_the_page_guess():
    d = _doc([EN, DE], language="en", language_score=0.99)
    verdict = LanguageFilter(level="paragraph").filter(d)
    assert isinstance(verdict, Keep) and verdict.sample.texts == [EN, None]
    assert [x.position for x in verdict.dropped] == [1]


def test_captions_use_the_same_identifier_and_window_without_the_letter_floor():
    long = (EN + " ") * 20
    assert identify_language(long) == (
        langid.classify(long[: langid.MAX_CHARS])[0],
        round(langid.classify(long[: langid.MAX_CHARS])[1], 4),
    )
    assert identify_language("a red car")[0] != "und"  # 7 letters: guess_language would say und
    pair = ImageTextPair(key="a", url="http://x.test/a.jpg", caption=DE, extra={"language": "en"})
    assert LanguageFilter().filter(pair).reason == RejectReason.LANGUAGE  # captions: no stored guess


def _page(text: str) -> str:
    paras = "".join(f"<p>{html.escape(line)}</p>" for line in text.split("\n"))
    return f"<html><head><title>t</title></head><body><article>{paras}</article></body></html>"


def test_extractor_guess_equals_re_identification_on_a_multilingual_set():
    """Same function, same join, same cap: stored and recomputed guesses are equal, bit for bit."""
    docs = multilingual_documents(seed=2, per_language=2)
    checked = 0
    for kind, text in docs:
        doc = extract_document(_page(text), "http://x.test/p")
        if not any(t is not None for t in doc.texts):
            continue
        checked += 1
        assert stored_guess(doc) == document_guess(doc), kind
        for f in (LanguageFilter(), LanguageFilter(languages=("de", "fr"), min_score=0.9)):
            assert f.filter(doc) == LanguageFilter(
                languages=f.languages, min_score=f.min_score, recheck=True
            ).filter(doc), kind
    assert checked == len(docs)
