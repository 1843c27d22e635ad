"""Container choice: an <article> inside <main> wins when it holds most of main's text."""

from __future__ import annotations

import pytest

from crawlers.html import boilerplate
from crawlers.html.extract import extract_document

# Every test runs on both engines (C and the Python reference): tests/crawlers/html/conftest.py.
pytestmark = pytest.mark.usefixtures("extract_engine")

URL = "http://x.test/story"
STORY = " ".join(f"Sentence {i} of the story tells what the volunteers did that week." for i in range(12))
TEASER = "Another story about the town council meeting and the new library opening hours."


def _texts(html: str) -> list[str]:
    return [t for t in extract_document(html, URL).texts if t is not None]


def _page(article: str, around: str) -> str:
    return f"<html><body><main><article>{article}</article>{around}</main></body></html>"


def test_article_in_main_drops_the_teasers_around_it():
    teasers = (
        "<section><h2>More stories</h2>" + "".join(f"<p>{TEASER} ({i})</p>" for i in range(3)) + "</section>"
    )
    html = _page(f"<h1>Title</h1><p>{STORY}</p>", teasers)
    assert _texts(html) == ["Title", STORY]


def test_main_is_kept_when_the_inner_article_holds_under_two_thirds():
    # 3 equal paragraphs: the article holds 1/3 of main's text, so main stays the container.
    html = _page(f"<p>{STORY}</p>", f"<p>{STORY} Two.</p><p>{STORY} Three.</p>")
    assert _texts(html) == [STORY, STORY + " Two.", STORY + " Three."]


def test_share_threshold_is_exact():
    assert boilerplate.SEMANTIC_INNER_SHARE == 2 / 3
    inner, outer_extra = "a" * 200, "b" * 100  # 200 / 300 = exactly 2/3 of main's text: inner wins
    assert _texts(_page(f"<p>{inner}</p>", f"<p>{outer_extra}</p>")) == [inner]
    assert _texts(_page(f"<p>{inner}</p>", f"<p>{outer_extra}c</p>")) == [inner, outer_extra + "c"]


def test_listing_page_of_teaser_articles_keeps_main():
    items = "".join(f"<article><h2>Item {i}</h2><p>{TEASER} ({i})</p></article>" for i in range(5))
    texts = _texts(f"<html><body><main>{items}</main></body></html>")
    assert texts == [x for i in range(5) for x in (f"Item {i}", f"{TEASER} ({i})")]


def test_nested_semantic_chain_goes_to_the_innermost():
    html = (
        "<html><body><main><div role='main'><article><p>" + STORY + "</p></article>"
        "<p>Short note.</p></div><p>Footer-ish line in main.</p></main></body></html>"
    )
    assert _texts(html) == [STORY]
