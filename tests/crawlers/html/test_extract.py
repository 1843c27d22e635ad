"""extract_document: boilerplate kinds, block structure, metadata, bounds."""

from __future__ import annotations

import time

import pytest

from crawlers import extract_document
from crawlers.html.extract import MAX_HTML_BYTES, MAX_NODES

# Every test runs on both engines (C and the Python reference): tests/crawlers/html/conftest.py.
pytestmark = pytest.mark.usefixtures("extract_engine")

URL = "http://example.com/blog/post.html"
PARA = "A red circle sits on a blue background and it is one of the shapes we draw every day."


def page(body: str, head: str = "<title>T</title>") -> str:
    return f"<html lang='en'><head>{head}</head><body>{body}</body></html>"


def texts(doc):
    return [t for t in doc.texts if t is not None]


def article(extra: str) -> str:
    return page(f"<article><p>{PARA}</p>{extra}<p>{PARA} Again.</p></article>")


@pytest.mark.parametrize(
    "chrome",
    [
        "<nav><a href='/'>Home</a> Navigation words here</nav>",
        "<div id='cookie-banner'>We use cookies to improve your experience here.</div>",
        "<div class='share-buttons'>Share this on Facebook and Twitter now</div>",
        "<section class='comments'><p>Great post, I loved reading it, thanks!</p></section>",
        "<div class='related-articles'><p>Ten things you did not know about squares</p></div>",
        "<div class='ad-slot'>Buy the best shoes at the lowest price today</div>",
        "<form><label>Email</label><input name=e> Sign up for our newsletter</form>",
        "<div class='newsletter'>Sign up for our weekly newsletter today please</div>",
        "<script>var x = 'script text should vanish';</script>",
        "<style>.a{color:red} style text should vanish</style>",
        "<aside>An aside about something else entirely different</aside>",
        "<footer>Copyright 2024 Example Corp, all rights reserved</footer>",
        "<div role='navigation'>Role navigation block with words</div>",
        "<div style='display:none'>Hidden text that users never see</div>",
        "<div class='breadcrumb'>Home / Blog / Post title words</div>",
        "<ul><li><a href='/a'>Link one</a></li><li><a href='/b'>Link two</a></li></ul>",
    ],
)
def test_each_boilerplate_kind_is_dropped(chrome):
    doc = extract_document(article(chrome), URL)
    assert texts(doc) == [PARA, PARA + " Again."]


def test_page_chrome_outside_article_is_dropped_and_title_kept_in_metadata():
    html = page(
        "<header><a href='/'>Site</a><p>Tagline of the whole site here</p></header>"
        f"<main><h1>The red circle</h1><p>{PARA}</p></main><footer>Footer text</footer>",
        head="<title>The red circle | Site</title>",
    )
    doc = extract_document(html, URL)
    # the headline repeats the <title>: it is in the metadata, not again among the texts
    assert texts(doc) == [PARA]
    assert doc.metadata["title"] == "The red circle | Site"


def test_density_pick_without_semantic_tags():
    html = page(
        "<div id='top'><a href='/'>Home</a> <a href='/x'>X</a></div>"
        f"<div class='wrap'><div class='content'><p>{PARA}</p><p>{PARA} Two.</p>"
        f"<p>{PARA} Three.</p></div></div>"
        "<div class='bottom'>Contact us at the address below for more.</div>"
    )
    doc = extract_document(html, URL)
    assert texts(doc) == [PARA, PARA + " Two.", PARA + " Three."]


def test_class_false_positive_on_the_content_wrapper_is_rescued():
    html = page(f"<div class='post has-comments'><p>{PARA}</p><p>{PARA} Two.</p></div><div>x</div>")
    assert texts(extract_document(html, URL)) == [PARA, PARA + " Two."]


def test_blocks_lists_tables_quotes_figures_in_dom_order():
    html = article(
        "<h2>Heading</h2><ul><li>First item</li><li>Second <b>item</b></li></ul>"
        "<table><tr><th>Name</th><th>Value</th></tr><tr><td>x</td><td> 1 </td></tr></table>"
        "<blockquote>To be or not to be.</blockquote>"
        "<figure><img src='/a.jpg' alt=' A  red circle '><figcaption>Figure 1.</figcaption></figure>"
        "<p>Line one<br>line   two</p>"
    )
    doc = extract_document(html, URL)
    blocks = [
        t if t is not None else ("IMG", i.url, i.alt) for t, i in zip(doc.texts, doc.images, strict=False)
    ]
    assert blocks == [
        PARA,
        "Heading",
        "First item\nSecond item",
        "Name | Value\nx | 1",
        "To be or not to be.",
        ("IMG", "http://example.com/a.jpg", "A red circle"),
        "Figure 1.",
        "Line one\nline two",
        PARA + " Again.",
    ]


def test_inline_text_is_not_split_and_whitespace_is_normalised():
    html = article("<p>  One <b>bold</b><i>italic</i>\n\t word <a href='/x'>link</a>. </p>")
    assert texts(extract_document(html, URL))[1] == "One bolditalic word link."


def test_metadata_language_and_key():
    doc = extract_document(article(""), URL, metadata={"source": "x.warc@0"})
    assert doc.metadata["language"] == "en" and doc.metadata["language_score"] > 0.9
    assert doc.metadata["source"] == "x.warc@0" and doc.metadata["url"] == URL
    assert doc.key == extract_document(article(""), URL).key and "." not in doc.key
    german = page(
        "<article><p>Der Hund läuft schnell über die Straße und bellt laut im Garten.</p></article>"
    )
    assert extract_document(german, URL).metadata["language"] == "de"


def test_empty_and_non_html_inputs_give_empty_documents():
    for html in ["", b"", "   ", b"\x00\x01\x02", "just some text"]:
        doc = extract_document(html, URL)
        doc.validate()
        assert doc.num_images == 0


def test_bytes_with_declared_charset_are_decoded():
    body = (
        "<html><head><meta charset='windows-1252'></head><body>"
        "<p>Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e for everyone here.</p></body></html>"
    )
    doc = extract_document(body.encode("cp1252"), URL)
    assert texts(doc) == ["Caf\u00e9 cr\u00e8me br\u00fbl\u00e9e for everyone here."]
    assert doc.metadata["encoding"] == "cp1252"


def test_wrong_charset_declaration_falls_back_to_the_real_one():
    body = (
        "<html><head><meta charset='utf-8'></head><body>"
        "<p>Caf\u00e9 na\u00efve r\u00e9sum\u00e9 words.</p></body></html>"
    )
    doc = extract_document(body.encode("cp1252"), URL)
    assert texts(doc) == ["Caf\u00e9 na\u00efve r\u00e9sum\u00e9 words."]


def test_malformed_html_does_not_crash():
    html = (
        "<html><body><div><p>Unclosed <b>bold <i>italic</div></p><table><td>cell<p>para</table><img src=x.jpg"
    )
    doc = extract_document(html, URL)
    doc.validate()
    assert "Unclosed bold italic" in doc.text()


def test_deeply_nested_dom_is_bounded():
    html = "<html><body>" + "<div>" * 200_000 + PARA + "</div>" * 200_000 + "</body></html>"
    start = time.perf_counter()
    doc = extract_document(html, URL)
    assert time.perf_counter() - start < 5.0
    doc.validate()


def test_huge_page_is_capped_and_bounded_in_time():
    para = f"<p>{PARA}</p><img src='/i.jpg'>"
    html = "<html><body><article>" + para * 40_000 + "</article></body></html>"  # ~4.5 MB
    assert len(html) > 2 * MAX_HTML_BYTES
    start = time.perf_counter()
    doc = extract_document(html, URL)
    elapsed = time.perf_counter() - start
    assert elapsed < 10.0
    assert doc.metadata["truncated_bytes"] == len(html.encode()) - MAX_HTML_BYTES
    assert doc.metadata["num_nodes"] <= MAX_NODES
    assert 0 < len(doc.texts) <= MAX_NODES


def test_wide_flat_page_of_many_nodes_is_capped():
    html = "<html><body>" + "<span>w</span>" * 150_000 + "</body></html>"
    start = time.perf_counter()
    doc = extract_document(html, URL)
    assert time.perf_counter() - start < 10.0
    assert doc.metadata["node_cap_hit"] is True


def test_articles_inside_a_comment_section_are_not_picked_as_the_container():
    comments = "".join(f"<article><p>Comment {i}: {PARA} {PARA}</p></article>" for i in range(3))
    html = page(
        f"<div class='content'><p>{PARA}</p><p>{PARA} Two.</p></div><div id='comments'>{comments}</div>"
    )
    assert texts(extract_document(html, URL)) == [PARA, PARA + " Two."]
