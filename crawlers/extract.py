"""HTML -> Document: the main content's text blocks and images, interleaved in DOM order.

Parser: lxml (libxml2's HTML parser). Measured on a 32 KB page here: parse 0.8-1.4 ms,
parse+walk 1.6 ms, against 0.6 / 1.3 ms for selectolax (lexbor) and 58 ms for
trafilatura's whole extraction. The walk in Python dominates either way, and lxml's
text/tail model lets one iterative pass emit text and images in order; it is already a
dependency (no new native wheel), recovers from broken markup, and caps nesting depth at
256 by itself. resiliparse is faster still at parsing but its DOM API costs a Python object
per node too; it is benchmarked side by side in bench/extract.py.

Bounds: input is capped at MAX_HTML_BYTES (the tail is cut, and the metadata says so) and
the walk at MAX_NODES elements; both walks are iterative, so deep nesting cannot recurse.

Speed: both passes are lxml iterwalks (events come from C) that skip dropped, link-heavy and
image subtrees whole, and attribute rules only run on elements that carry a judged attribute;
the container pick looks only at the semantic elements analyse recorded and the scored ones;
the language guess is vectorised and reads 500 characters (crawlers/language.py). Per page,
CPU, page after page, on a shared 2-core box under another test run (min-of-5 to median
ranges; bench/extract.py): sample web (~6 KB, ~70 elements visited): parse 0.12-0.27 ms,
analyse 0.28-0.45, walk 0.27-0.5 (0.16 of it image URLs: urljoin is ~7 us an image),
language 0.3-0.65; 1.4-2.0 ms in all, 4.3x trafilatura's time. Realistic pages
(bench/realistic_pages.py, 40-48 KB, mega-menus and comment threads; ~330 elements visited):
parse 0.8-1.1, analyse 1.0-1.7, walk 0.5-0.56, language 0.3-0.7; ~4.2-4.8 ms, 4.4x
trafilatura. Merging analyse and walk into one pass would save at most the walk's own
traversal (0.11 ms sample, 0.19 ms realistic without images), less the cost of recording
every visited element's pieces. resiliparse's C extractor is 2-5x faster than this still;
the Python per-element loops (~2 us an element in analyse) are the cost.
"""

from __future__ import annotations

import logging
from collections import Counter
from typing import Any

import lxml.etree

from crawlers import boilerplate, image_urls
from crawlers.charset import decode_html
from crawlers.language import guess_language
from schemas.document import Document, ImageRef
from schemas.keys import url_key

log = logging.getLogger(__name__)

# Common Crawl truncates payloads at 1 MiB; pages past 2 MiB are almost all inline data.
MAX_HTML_BYTES = 2 * 2**20
MAX_NODES = 50_000
MAX_ALT_CHARS = 1000

BLOCK_TAGS = frozenset({
    "p", "div", "section", "article", "main", "header", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol",
    "dl", "li", "dt", "dd", "table", "thead", "tbody", "tfoot", "tr", "caption", "blockquote", "figure",
    "figcaption", "pre", "hr", "address", "details", "summary", "center", "body", "html",
})
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


def _image_ref(el, base: str, skipped: Counter, sources=()) -> ImageRef | None:
    url, where = image_urls.resolve_image(el.attrib, base, sources)
    if url is None:
        skipped[where] += 1
        return None
    alt = " ".join((el.get("alt") or "").split())[:MAX_ALT_CHARS]
    return ImageRef(url=url, alt=alt, source_attr=where)


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
            if (el in dropped or el not in text_len
                    or (tag in link_judged and el is not container
                        and boilerplate.is_link_heavy(el, tag, analysis))):
                ref = None
            elif tag == "img":
                ref = _image_ref(el, base, skipped)
            elif tag == "picture":
                sources = [src.attrib for src in el.iter("source")]
                img = next(el.iter("img"), None)
                ref = _image_ref(img, base, skipped, sources) if img is not None else None
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


def extract_document(html: str | bytes, url: str, *, metadata: dict | None = None,
                     key: str | None = None) -> Document:
    """The main content of one page as a Document (texts and images in DOM order).

    `html` as bytes is decoded by BOM / <meta> / detection; pass str when the transport's
    charset is known (crawlers.charset.decode_html). `key` defaults to url_key(url).
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
        analysis = boilerplate.analyse_with_rescue(body, max_nodes=MAX_NODES)
        container = boilerplate.pick_container(body, analysis)
        blocks = _walk(container, analysis, base, skipped)
        meta["num_nodes"] = analysis.num_nodes
        if analysis.node_cap_hit:
            meta["node_cap_hit"] = True
    if "truncated_bytes" in info:
        meta["truncated_bytes"] = info["truncated_bytes"]
    if skipped:
        meta["skipped_images"] = dict(sorted(skipped.items()))
    text = "\n".join(b for b in blocks if isinstance(b, str))
    meta["language"], meta["language_score"] = guess_language(text)
    meta.update(metadata or {})
    return Document.from_blocks(key or url_key(url), url, blocks, meta)
