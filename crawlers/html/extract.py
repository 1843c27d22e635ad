"""HTML -> Document: the main content's text blocks and images, interleaved in DOM order.

Parser: lxml (libxml2's HTML parser). It recovers from broken markup, caps nesting at 256
levels by itself, is already a dependency, and its public C API (etreepublic.pxd) lets a
compiled module read the parsed tree directly. lexbor (selectolax, resiliparse) parses about
twice as fast (0.3 against 0.6 ms for a 43 KB page here), but its tree can only be read from
Python one node object at a time, or from C against headers its wheels do not ship.

The passes over the tree (crawlers/html/boilerplate.py's analyse and container pick, the walk
below) exist twice, with the same answers: crawlers/html/_fastdom.pyx in C, used when built (`pip
install` builds it), and the Python here, the reference and the fallback. tests/crawlers run
the extraction tests on both and compare them on generated pages (test_fastdom.py).

Bounds: input is capped at MAX_HTML_BYTES (the tail is cut, and the metadata says so) and
the walk at MAX_NODES elements; both walks are iterative, so deep nesting cannot recurse.

Quality and speed on real pages: `python -m bench.extract --corpus real --rounds 3`, one run
on this 2-core box, 102 real news/blog pages with hand-written bodies (article-extraction-dev):
F1 0.956 (trafilatura 0.950) at 11.7x trafilatura's pages/s with the compiled passes, 5.6x with
the Python ones. Image URLs are resolved in Python (crawlers/html/image_urls.py, with a fast path
for the common URL shapes).
"""

from __future__ import annotations

import functools
import logging
from collections import Counter
from typing import Any

import lxml.etree

from crawlers.html import boilerplate, image_urls
from crawlers.html.charset import decode_html
from crawlers.html.language import guess_language
from schemas.document import Document, ImageRef
from schemas.keys import url_key

log = logging.getLogger(__name__)

# Common Crawl truncates payloads at 1 MiB; pages past 2 MiB are almost all inline data.
MAX_HTML_BYTES = 2 * 2**20
MAX_NODES = 50_000
MAX_ALT_CHARS = 1000
HEADLINE_MIN_WORDS = 3

BLOCK_TAGS = frozenset(
    {
        "p",
        "div",
        "section",
        "article",
        "main",
        "header",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "dl",
        "li",
        "dt",
        "dd",
        "table",
        "thead",
        "tbody",
        "tfoot",
        "tr",
        "caption",
        "blockquote",
        "figure",
        "figcaption",
        "pre",
        "hr",
        "address",
        "details",
        "summary",
        "center",
        "body",
        "html",
    }
)
# Inside these, blocks become lines of one text block (a list is one block, a table one block).
COMPOUND_TAGS = frozenset({"ul", "ol", "dl", "table"})
CELL_TAGS = frozenset({"td", "th"})
_CELL = "\x1e"  # marks a cell boundary until the block is normalised
_LINE = "\x1f"  # marks a line break we decided (br, list item); source newlines are just spaces
# Plain etree elements: lxml.html's HtmlElement class lookup costs ~10 us per node proxy.
_PARSER = lxml.etree.HTMLParser(encoding="utf-8", remove_pis=True, no_network=True)


def normalise_block(raw: str) -> str:
    """Collapse whitespace per line; table cells joined by " | "; empty lines dropped."""
    if _LINE not in raw and _CELL not in raw:  # the common case: one line, no cells
        return " ".join(raw.split())
    lines = []
    for line in raw.split(_LINE):
        if _CELL in line:
            line = " | ".join(c for c in (" ".join(c.split()) for c in line.split(_CELL)) if c)
        else:
            line = " ".join(line.split())
        if line:
            lines.append(line)
    return "\n".join(lines)


def _flush(blocks: list, buf: list) -> None:
    """The pending text fragments become one block (if it holds a letter or digit)."""
    if buf:
        text = normalise_block("".join(buf))
        buf.clear()
        for ch in text:
            if ch.isalnum():
                blocks.append(text)
                break


def _parse(html: str | bytes) -> tuple[Any, dict]:
    info: dict[str, Any] = {}
    if isinstance(html, str):
        data = html.encode("utf-8", "surrogatepass")
        info["encoding"] = "unicode"
    else:
        data = html
    if len(data) > MAX_HTML_BYTES:
        info["truncated_bytes"] = len(data) - MAX_HTML_BYTES
        data = data[:MAX_HTML_BYTES]
    if "encoding" not in info:
        text, info["encoding"] = decode_html(data)
        data = text.encode("utf-8", "replace")
    try:
        root = lxml.etree.fromstring(data, parser=_PARSER) if data.strip() else None
    except (lxml.etree.XMLSyntaxError, ValueError) as exc:  # not HTML at all
        log.debug("unparsable HTML: %s", exc)
        root = None
    return root, info


def _image_ref(attrs, base: str, skipped: Counter, sources=()) -> ImageRef | None:
    """The image an <img> with these attributes shows (`sources`: its <picture>'s <source>s)."""
    url, where = image_urls.resolve_image(attrs, base, sources)
    if url is None:
        skipped[where] += 1
        return None
    alt = " ".join((attrs.get("alt") or "").split())[:MAX_ALT_CHARS]
    return ImageRef(url=url, alt=alt, source_attr=where)


def _media_ref(el, base: str, skipped: Counter) -> ImageRef | None:
    """The image an <img> or <picture> shows (a <picture>'s <source>s and its first <img>)."""
    if el.tag == "img":
        return _image_ref(el.attrib, base, skipped)
    sources = [src.attrib for src in el.iter("source")]
    img = next(el.iter("img"), None)
    return _image_ref(img.attrib, base, skipped, sources) if img is not None else None


def _walk(container, analysis: boilerplate.Analysis, base: str, skipped: Counter) -> list:
    """Texts and images of the container's kept subtree, in order (one lxml iterwalk).

    An element emits nothing of its own when dropped, link-heavy, an image or a <br>: its
    subtree is skipped (iterwalk's next event is then its own end, which is ignored).
    """
    blocks: list[str | ImageRef] = []
    buf: list[str] = []
    compound = 0
    text_len, dropped = analysis.text_len, analysis.dropped
    link_judged = boilerplate.LINK_JUDGED_TAGS
    skipping = None
    walker = lxml.etree.iterwalk(container, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            tag = el.tag  # libxml2's HTML parser gives lower-case names
            if (
                el in dropped
                or el not in text_len
                or (
                    tag in link_judged
                    and el is not container
                    and boilerplate.is_link_heavy(el, tag, analysis)
                )
            ):
                ref = None
            elif tag == "img" or tag == "picture":
                ref = _media_ref(el, base, skipped)
            elif tag == "br":
                buf.append(_LINE)
                ref = None
            else:
                if tag in COMPOUND_TAGS:
                    if not compound:
                        _flush(blocks, buf)
                    compound += 1
                elif tag in BLOCK_TAGS:
                    buf.append(_LINE) if compound else _flush(blocks, buf)
                if el.text:
                    buf.append(el.text)
                continue
            if ref is not None:
                _flush(blocks, buf)
                blocks.append(ref)
            if el.tail and el is not container:
                buf.append(el.tail)
            skipping = el
            walker.skip_subtree()
        elif event == "end":
            if el is skipping:
                skipping = None
                continue
            tag = el.tag
            if tag in COMPOUND_TAGS:
                compound -= 1
                _flush(blocks, buf)
            elif tag in CELL_TAGS:
                buf.append(_CELL)
            elif tag in BLOCK_TAGS:
                buf.append(_LINE) if compound else _flush(blocks, buf)
            if el.tail and el is not container:
                buf.append(el.tail)
        elif el.tail:  # a comment or processing instruction: only its tail is text
            buf.append(el.tail)
    _flush(blocks, buf)
    return blocks


@functools.cache
def _compiled():
    """crawlers.html._fastdom (built by `pip install`), or None: then the Python passes run."""
    try:
        from crawlers.html import _fastdom
    except ImportError as exc:
        log.warning(
            "crawlers.html._fastdom is not built (%s): extraction runs in pure Python at "
            "about half the speed; `pip install -e .` builds it",
            exc,
        )
        return None
    return _fastdom


def content_blocks(
    body, base: str, skipped: Counter, *, compiled: bool | None = None
) -> tuple[list, int, bool]:
    """(blocks, elements visited, node cap hit): body's main content in DOM order.

    Two implementations give the same answer: crawlers/html/_fastdom.pyx (C, used when built) and
    the Python passes here and in boilerplate.py (the reference; `compiled=False` forces it).
    """
    fast = _compiled() if compiled is not False else None
    if compiled and fast is None:
        raise RuntimeError("crawlers.html._fastdom is not built")
    if fast is not None:
        return fast.content_blocks(
            body,
            MAX_NODES,
            lambda attrs: _image_ref(attrs, base, skipped),
            lambda el: _media_ref(el, base, skipped),
            boilerplate.attr_verdicts,
            boilerplate.rescuable,
        )
    analysis = boilerplate.analyse_with_rescue(body, max_nodes=MAX_NODES)
    container = boilerplate.pick_container(body, analysis)
    return _walk(container, analysis, base, skipped), analysis.num_nodes, analysis.node_cap_hit


def without_headline(blocks: list, title: str) -> list:
    """blocks less the text blocks that repeat the page's title (the headline, often again under
    a gallery): metadata["title"] holds it. A block of HEADLINE_MIN_WORDS words or more whose
    case-folded text lies inside the title's ("Headline | Site") is dropped. Both engines' blocks
    pass through here. On the real-page bench this is +0.005 precision, no recall lost.
    """
    folded = " ".join(title.split()).casefold()
    if not folded:
        return blocks
    return [
        b
        for b in blocks
        if not isinstance(b, str)
        or len(b) > len(folded)
        or len(b.split()) < HEADLINE_MIN_WORDS
        or " ".join(b.split()).casefold() not in folded
    ]


def _first(root, tag: str, attr: str, value: str | None = None):
    """The first descendant <tag> whose `attr` is set (equal to `value` if given), or None.

    ElementPath's find(".//tag[@attr]") walks the tree in Python; lxml's iter(tag) filters
    in C, which matters on large pages.
    """
    for el in root.iter(tag):
        if el is not root and (el.get(attr) is not None if value is None else el.get(attr) == value):
            return el
    return None


def _title(root) -> str:
    el = next((t for t in root.iter("title") if t is not root), None)
    title = "".join(el.itertext()) if el is not None else ""
    if not title.strip():
        og = _first(root, "meta", "property", "og:title")
        title = og.get("content", "") if og is not None else ""
    return " ".join(title.split())[:1000]


def extract_document(
    html: str | bytes,
    url: str,
    *,
    metadata: dict | None = None,
    key: str | None = None,
    compiled: bool | None = None,
) -> Document:
    """The main content of one page as a Document (texts and images in DOM order).

    `html` as bytes is decoded by BOM / <meta> / detection; pass str when the transport's
    charset is known (crawlers.html.charset.decode_html). `key` defaults to url_key(url).
    `compiled`: None uses crawlers.html._fastdom when built, False the Python passes, True requires C.
    """
    root, info = _parse(html)
    skipped: Counter = Counter()
    blocks: list = []
    meta: dict[str, Any] = {"url": url, "title": "", "encoding": info["encoding"]}
    if root is not None:
        base_el = _first(root, "base", "href")
        base = image_urls.document_base(url, base_el.get("href") if base_el is not None else None)
        meta["title"] = _title(root)
        meta["html_lang"] = (root.get("lang") or "").strip()[:20]
        body = root.find("body")
        body = body if body is not None else root
        blocks, meta["num_nodes"], cap_hit = content_blocks(body, base, skipped, compiled=compiled)
        blocks = without_headline(blocks, meta["title"])
        if cap_hit:
            meta["node_cap_hit"] = True
    if "truncated_bytes" in info:
        meta["truncated_bytes"] = info["truncated_bytes"]
    if skipped:
        meta["skipped_images"] = dict(sorted(skipped.items()))
    text = "\n".join(b for b in blocks if isinstance(b, str))
    meta["language"], meta["language_score"] = guess_language(text)
    meta.update(metadata or {})
    return Document.from_blocks(key or url_key(url), url, blocks, meta)
