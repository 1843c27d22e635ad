"""Image URL resolution rules, one test per rule, through extract_document."""

from __future__ import annotations

import pytest

from crawlers import extract_document
from crawlers.html.image_urls import absolutise, document_base, largest_candidate, parse_srcset

# Every test runs on both engines (C and the Python reference): tests/crawlers/html/conftest.py.
pytestmark = pytest.mark.usefixtures("extract_engine")

URL = "http://example.com/blog/2024/post.html"
PARA = "Some main text that is long enough to be the content of this page, with words."


def images(body: str, head: str = "", url: str = URL):
    html = f"<html><head>{head}</head><body><article><p>{PARA}</p>{body}</article></body></html>"
    doc = extract_document(html, url)
    return [(i.url, i.source_attr) for i in doc.images if i is not None], doc.metadata.get(
        "skipped_images", {}
    )


@pytest.mark.parametrize(
    "src,expected",
    [
        ("a.jpg", "http://example.com/blog/2024/a.jpg"),  # relative to the document's path
        ("../a.jpg", "http://example.com/blog/a.jpg"),
        ("/img/a.jpg", "http://example.com/img/a.jpg"),  # root-relative
        ("//cdn.example.net/a.jpg", "http://cdn.example.net/a.jpg"),  # protocol-relative
        ("https://other.org/a.jpg?x=1&y=2", "https://other.org/a.jpg?x=1&y=2"),
        ("  a b.jpg ", "http://example.com/blog/2024/a%20b.jpg"),
    ],
)
def test_src_resolution(src, expected):
    assert images(f"<img src='{src}'>")[0] == [(expected, "src")]


def test_base_href_wins_and_is_itself_resolved():
    assert images("<img src='a.jpg'>", head="<base href='/static/'>")[0] == [
        ("http://example.com/static/a.jpg", "src")
    ]
    assert images("<img src='a.jpg'>", head="<base href='https://cdn.io/x/'>")[0] == [
        ("https://cdn.io/x/a.jpg", "src")
    ]


def test_srcset_largest_by_width_then_density():
    got, _ = images(
        "<img src='s.jpg' srcset='m.jpg 400w, l.jpg 1200w, s.jpg 200w'>"
        "<img src='s.jpg' srcset='a.jpg 1x, b.jpg 3x, c.jpg 2x'>"
    )
    assert got == [
        ("http://example.com/blog/2024/l.jpg", "srcset"),
        ("http://example.com/blog/2024/b.jpg", "srcset"),
    ]


@pytest.mark.parametrize("attr", ["data-src", "data-original", "data-lazy-src"])
def test_lazy_attributes_beat_placeholder_src(attr):
    got, _ = images(f"<img src='spinner.gif' {attr}='/real.jpg'>")
    assert got == [("http://example.com/real.jpg", attr)]


def test_lazy_srcset_and_data_uri_placeholder():
    got, _ = images(
        "<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw=' data-srcset='/a.jpg 300w, /b.jpg 900w'>"
    )
    assert got == [("http://example.com/b.jpg", "data-srcset")]


def test_picture_sources_largest_candidate():
    got, _ = images(
        "<picture><source type='image/webp' srcset='/w1.webp 500w, /w2.webp 1000w'>"
        "<source type='image/svg+xml' srcset='/v.svg 5000w'>"
        "<img src='/fallback.jpg' alt='x'></picture>"
    )
    assert got == [("http://example.com/w2.webp", "source-srcset")]


def test_data_uris_pixels_and_bad_schemes_are_skipped_and_counted():
    got, skipped = images(
        "<img src='data:image/png;base64,iVBORw0KGgo='>"
        "<img src='/t.gif' width='1' height='1'>"
        "<img src='javascript:void(0)'>"
        "<img alt='no source'>"
        "<img src='/ok.jpg' width='1' height='300'>"
    )
    assert got == [("http://example.com/ok.jpg", "src")]
    assert skipped == {"bad_scheme": 1, "data_uri": 1, "no_url": 1, "tracking_pixel": 1}


def test_images_keep_dom_order_alt_and_position_between_texts():
    html = (
        f"<html><body><article><p>{PARA} One.</p><img src='/1.jpg' alt='first'>"
        f"<p>{PARA} Two.</p><div><img src='/2.jpg' alt='second'></div></article></body></html>"
    )
    doc = extract_document(html, URL)
    assert [t if t else i.alt for t, i in zip(doc.texts, doc.images, strict=False)] == [
        PARA + " One.",
        "first",
        PARA + " Two.",
        "second",
    ]
    assert [p for p, _ in doc.image_slots()] == [1, 3]


def test_every_image_url_is_absolute_http():
    got, _ = images(
        "<img src='ftp://x/a.jpg'><img src='mailto:a@b'><img src='a.jpg'>", url="https://example.com/"
    )
    assert [u for u, _ in got] == ["https://example.com/a.jpg"]


def test_helpers():
    assert document_base("http://a/b/c", "  ") == "http://a/b/c"
    assert parse_srcset("https://r.io/w_300,h_200/a.jpg 300w, https://r.io/w_600,h_400/a.jpg 600w") == [
        ("https://r.io/w_300,h_200/a.jpg", 300.0, "w"),
        ("https://r.io/w_600,h_400/a.jpg", 600.0, "w"),
    ]
    assert largest_candidate([("data:x", 9000, "w"), ("a.jpg", 10, "w")]) == "a.jpg"
    assert absolutise("http://[::1", "http://a/") is None


def _url_pairs(n: int):
    """(base, raw) pairs over the shapes pages use, and the odd ones around them."""
    import random

    rng = random.Random(3)
    bases = [
        "http://a.test/",
        "https://a.test/dir/page.html",
        "http://a.test/dir/sub/",
        "http://a.test",
        "https://a.test:8080/x/y?q=1",
        "http://a.test/a;p/b",
        "http://a.test/dir/page.html#top",
        "ftp://a.test/x",
        "http://[::1]/x",
        "https://b.test/a//b/c",
    ]
    pieces = [
        "img",
        "a.jpg",
        ".",
        "..",
        "",
        "x y",
        "%20",
        "@",
        "~u",
        "b.png?w=1",
        "c?",
        "d?x:y",
        "e:f",
        "#f",
        "g;p",
        "h\\i",
        "ü",
        "q=1&r=2",
    ]
    heads = [
        "",
        "/",
        "//",
        "http://",
        "https://",
        "http://cdn.test",
        "https://cdn.test:443",
        "//cdn.test",
        "HTTP://x.test/",
        "javascript:",
        "data:",
        "?",
        "./",
        "../",
        "http:x",
        "https://",
        "//[::1]",
    ]
    for _ in range(n):
        raw = rng.choice(heads) + "/".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
        yield rng.choice(bases), raw


def test_fast_join_equals_urljoin():
    """absolutise's fast path gives urljoin's string whenever it answers (and answers often)."""
    from urllib.parse import urljoin

    from crawlers.html.image_urls import _fast_join

    answered = 0
    for base, raw in _url_pairs(20000):
        fast = _fast_join(base, raw)
        if fast is not None:
            answered += 1
            assert fast == urljoin(base, raw), (base, raw)
    assert answered > 2500  # a third of these odd pairs; nearly all of a real page's
    for base, raw in [
        ("http://a.test/x/y.html", "z.jpg"),
        ("http://a.test/x/", "/i/z.jpg?w=2"),
        ("https://a.test/", "//cdn.test/z.jpg"),
        ("https://a.test/", "https://cdn.test/z.jpg"),
        ("http://a.test/x/y/", "../z.jpg"),
    ]:
        assert _fast_join(base, raw) == urljoin(base, raw)


def _srcset_by_steps(value: str) -> list[tuple[str, float, str]]:
    """The spec's srcset tokeniser step by step: the reference for parse_srcset's regex."""
    import re

    out, i, n = [], 0, len(value)
    while i < n:
        i = re.compile(r"[\s,]*").match(value, i).end()
        j = re.compile(r"\S*").match(value, i).end()
        url, i = value[i:j], j
        if not url:
            break
        size, unit = 1.0, "x"
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            j = value.find(",", i)
            j = n if j < 0 else j
            for token in value[i:j].split():
                m = re.match(r"^(\d+(?:\.\d+)?)([wx])$", token, re.IGNORECASE)
                if m:
                    size, unit = float(m.group(1)), m.group(2).lower()
            i = j
        out.append((url, size, unit))
    return out


def test_parse_srcset_equals_the_step_by_step_tokeniser():
    import random

    rng = random.Random(5)
    pieces = [
        "a.jpg",
        "b.png",
        "w_300,h_200/c.jpg",
        ",",
        ", ",
        " ",
        "  ",
        "300w",
        "2x",
        "1.5x",
        "640W",
        "\t",
        "\u3000",
        "d.webp,",
        "x",
        "100",
        "data:image/png;base64,AAA=",
        "e.jpg 1x 2x",
        ",,",
    ]
    cases = ["", " ", ",", "a.jpg", "a.jpg,", "a.jpg ,", " , x", "a ,", "a,b, c", "a,b.jpg 1x"]
    cases += ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(3000)]
    for value in cases:
        assert parse_srcset(value) == _srcset_by_steps(value), value
