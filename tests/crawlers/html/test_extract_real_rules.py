"""The rules the real-page bench (bench/extract.py) asked for, each on a small page shaped like
the real one that showed it: rescue of wrong class verdicts, a page-wide <form>, article headers,
teaser sections and lists, captions, the headline that repeats the title."""

from __future__ import annotations

import pytest

from crawlers.html.extract import extract_document

# Every test runs on both engines (C and the Python reference): tests/crawlers/html/conftest.py.
pytestmark = pytest.mark.usefixtures("extract_engine")

URL = "http://x.test/news/story.html"
STORY = [f"Paragraph {i}: the volunteers painted the fence, and the town thanked them." for i in range(6)]
PARAS = "".join(f"<p>{s}</p>" for s in STORY)
TEASER = "Another story about the council meeting and the new library hours, read it here..."


def _texts(body: str, title: str = "Fence day | Town News") -> list[str]:
    html = f"<html><head><title>{title}</title></head><body>{body}</body></html>"
    return [t for t in extract_document(html, URL).texts if t is not None]


def test_a_wrapper_whose_class_says_ad_is_rescued_when_it_holds_the_page():
    # latimes.com: <div class="Page-ad-margins"> around the whole page
    assert _texts(f"<div class='Page-ad-margins'><div class='body'>{PARAS}</div></div><p>x</p>") == STORY


def test_rescue_goes_on_inside_a_rescued_wrapper():
    # nypost.com: "box article modal-enabled" (modal) around "article-header" (header) around the story
    html = f"<div class='box modal-enabled'><div class='top-header'>{PARAS}</div></div>"
    assert _texts(html) == STORY


def test_a_comment_thread_is_not_rescued_even_when_longer_than_the_story():
    comments = "".join(f"<p>Comment {i}: {TEASER} {TEASER}</p>" for i in range(8))
    html = f"<div class='entry'><p>{STORY[0]}</p><p>{STORY[1]}</p></div><div id='comments'>{comments}</div>"
    assert _texts(html) == STORY[:2]


def test_a_form_around_the_whole_page_is_rescued_and_a_small_one_dropped():
    # aljazeera.com (ASP.NET): one <form> wraps the page
    html = f"<form action='/x'><div>{PARAS}<form><input name=q> Search the site now</form></div></form>"
    assert _texts(html) == STORY


def test_article_headers_are_kept_page_headers_dropped():
    html = (
        "<header class='site-header'><p>Town News, all the news of the town</p></header>"
        "<div class='site-header-bar'>Subscribe today for the full town news</div>"
        "<div class='post'><header class='entry-header'><p class='byline'>By A. Writer</p></header>"
        f"{PARAS}</div>"
    )
    assert _texts(html) == ["By A. Writer", *STORY]


def test_a_section_of_teaser_articles_loses_to_the_story_despite_more_text():
    # digg.com: the teaser <section> held more non-link text than the story, mostly beside links
    teasers = "".join(
        f"<article><h3><a href='/s{i}'>{TEASER} {TEASER}</a></h3><p>{TEASER}</p></article>" for i in range(9)
    )
    html = f"<section><article>{PARAS}</article></section><section>{teasers}</section>"
    assert _texts(html) == STORY


def test_a_teaser_list_with_summaries_does_not_outscore_the_story():
    # indiapost.com: ten <li> teasers (link + summary) beside a five-paragraph story
    item = "<li><a href='/t{}'>Teaser {}</a><span>{} {}</span></li>"
    items = "".join(item.format(i, i, TEASER, TEASER) for i in range(10))
    html = f"<div class='breaking'><ul>{items}</ul></div><div class='main-article'>{PARAS}</div>"
    assert _texts(html) == STORY


def test_class_named_caption_text_is_left_out_and_the_image_kept():
    html = (
        f"<article><p>{STORY[0]}</p>"
        "<figure><img src='/a.jpg' alt='fence'><figcaption>The fence, freshly painted.</figcaption></figure>"
        "<div class='wp-caption'><img src='/b.jpg'><p class='wp-caption-text'>Volunteers at work.</p></div>"
        "<div class='caption-full'>Photo: A. Photographer, Town News</div>"
        f"<p>{STORY[1]}</p></article>"
    )
    doc = extract_document(f"<html><body>{html}</body></html>", URL)
    blocks = [t if t is not None else i.url for t, i in zip(doc.texts, doc.images, strict=True)]
    # the figcaption is its figure's own caption: kept
    assert blocks == [
        STORY[0],
        "http://x.test/a.jpg",
        "The fence, freshly painted.",
        "http://x.test/b.jpg",
        STORY[1],
    ]


def test_the_headline_that_repeats_the_title_is_left_to_the_metadata():
    headline = "<h1>Volunteers paint the fence</h1><h2>How the town came together</h2>"
    html = f"<article>{headline}{PARAS}<p>Volunteers paint the fence</p></article>"
    # every block inside the title ("Headline | Site") goes, wherever it stands
    assert _texts(html, "Volunteers paint the fence | Town News") == ["How the town came together", *STORY]
    # not inside the title, or under HEADLINE_MIN_WORDS (3) words: kept
    assert _texts(html, "Other news | Town News")[0] == "Volunteers paint the fence"
    assert _texts(f"<article><h1>Fence day</h1>{PARAS}</article>", "Fence day | Town News")[0] == "Fence day"
