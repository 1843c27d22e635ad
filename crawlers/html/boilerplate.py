"""Main-content heuristics: what to drop, how much text each element holds, where the article is.

The rules are the ones the good extractors share (trafilatura, readability, jusText), kept
cheap enough to run in one linear pass over the DOM:
- drop by tag (scripts, navigation, forms, ...), by ARIA role, by hidden-ness, and by
  class/id tokens (cookie, share, related, comment, ad, sidebar, ...);
- count text and link text per element (post-order, iterative: no recursion limit);
- pick the main container: a semantic one (<article>, <main>, role=main, articleBody) when
  it holds a fair share of the page's text, else the readability-style densest container;
- prune link-heavy blocks (menus, tag clouds, "read more" lists) inside it.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import lxml.etree

# Never content. `header` is separate: an article's own <header> holds its title.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "button",
        "form",
        "nav",
        "aside",
        "footer",
        "template",
        "svg",
        "canvas",
        "select",
        "input",
        "textarea",
        "object",
        "embed",
        "head",
        "title",
        "meta",
        "link",
        "dialog",
        "menu",
        "audio",
        "video",
        "map",
        "option",
        "label",
    }
)
SEMANTIC_TAGS = frozenset({"article", "main"})
DROP_ROLES = frozenset(
    {
        "navigation",
        "banner",
        "contentinfo",
        "complementary",
        "search",
        "menu",
        "menubar",
        "dialog",
        "alertdialog",
        "toolbar",
        "tablist",
    }
)
# class/id tokens that mark page chrome; exact tokens, and prefixes (`comment` -> `comments`).
BOILERPLATE_TOKENS = frozenset(
    {
        "ad",
        "ads",
        "adv",
        "advert",
        "adverts",
        "advertisement",
        "advertising",
        "banner",
        "breadcrumb",
        "breadcrumbs",
        "comment",
        "comments",
        "cookie",
        "cookies",
        "consent",
        "gdpr",
        "footer",
        "header",
        "masthead",
        "menu",
        "nav",
        "navbar",
        "navigation",
        "newsletter",
        "popup",
        "modal",
        "promo",
        "related",
        "share",
        "sharing",
        "sidebar",
        "social",
        "sponsor",
        "sponsored",
        "subscribe",
        "subscription",
        "widget",
        "disqus",
        "outbrain",
        "taboola",
        "signup",
        "pagination",
        "pager",
        "toolbar",
        "topbar",
        "skiplink",
        "copyright",
    }
)
BOILERPLATE_PREFIXES = (
    "advert",
    "sponsor",
    "cookie",
    "comment",
    "share",
    "social",
    "related",
    "newsletter",
    "subscri",
    "breadcrumb",
    "sidebar",
    "navbar",
    "promo",
)
NEVER_ATTR_DROPPED = frozenset({"html", "body", "main", "article"})
# Blocks whose link share is judged (trafilatura and jusText both use ~0.5 for lists/divs).
LINK_DENSITY_TAGS = frozenset({"div", "section", "ul", "ol", "dl", "table", "header", "center"})
# Every tag is_link_heavy judges (the walk skips the call for the others).
LINK_JUDGED_TAGS = LINK_DENSITY_TAGS | {"p", "li"}
MAX_LINK_DENSITY = 0.5
# A short paragraph that is almost all link ("Read more", "Next article >").
PARAGRAPH_LINK_DENSITY, SHORT_PARAGRAPH = 0.8, 200
# A semantic container must hold this share of the page's non-link text to be trusted over
# the density pick (a listing page's teaser <article>s each hold a small share).
SEMANTIC_MIN_SHARE = 0.25
# A semantic element nested in the chosen one (an <article> in <main>) replaces it when it holds
# this share of the outer one's non-link text: the rest is page furniture around the story
# ("More stories" teasers). On bench/realistic_pages.py the <article> holds 0.80-0.90 of <main>.
SEMANTIC_INNER_SHARE = 2 / 3
PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "li", "td", "dd"})
# A class-dropped element is rescued when it holds more text than the rest of the page and
# at least this much (a real article, not a two-line widget).
RESCUE_MIN_CHARS = 100
CONTENT_TOKENS = frozenset({"post", "content", "article", "entry", "story", "body", "main", "text", "blog"})
IMAGE_BONUS = 40  # an image counts like 40 characters of text when scoring containers

_TOKEN_SPLIT = re.compile(r"[^a-z0-9]+")
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


# Only elements carrying one of these attributes can be dropped by attribute or be a semantic
# container by attribute (most content elements carry none, so one C-level keys() call
# settles them). itemprop only matters for the container pick (articleBody).
_JUDGED_ATTRS = frozenset({"class", "id", "role", "hidden", "aria-hidden", "style", "itemprop"})


def attr_tokens(el) -> list[str]:
    return _tokens(el.get("class") or "", el.get("id") or "")


def _tokens(cls: str, ident: str) -> list[str]:
    return [t for t in _TOKEN_SPLIT.split(f"{cls} {ident}".lower()) if t]


@functools.lru_cache(maxsize=4096)  # sites repeat their class names on every page
def _chrome_tokens(cls: str, ident: str) -> bool:
    for token in _tokens(cls, ident):
        if token in BOILERPLATE_TOKENS or token.startswith(BOILERPLATE_PREFIXES):
            return True
    return False


def is_chrome_by_attr(el) -> bool:
    """class/id tokens or role say this is page chrome (cookie banner, share bar, ...)."""
    if (el.get("role") or "").strip().lower() in DROP_ROLES:
        return True
    return _chrome_tokens(el.get("class") or "", el.get("id") or "")


def is_hidden(el) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def attr_verdicts(el) -> tuple[bool, bool, bool, bool]:
    """(hidden, chrome by role/class/id, role=main, itemprop=articleBody): what analyse reads
    off an element's attributes. crawlers/html/_fastdom.pyx asks this for values that are not ASCII."""
    return (
        is_hidden(el),
        is_chrome_by_attr(el),
        (el.get("role") or "").lower() == "main",
        (el.get("itemprop") or "").lower() == "articlebody",
    )


def has_content_token(el) -> bool:
    """The rescue rule's test: a class/id token says "this is the article" (post, entry, ...)."""
    return bool(CONTENT_TOKENS.intersection(attr_tokens(el)))


@dataclasses.dataclass
class Analysis:
    """Per-element text and link-text lengths of the kept DOM, and what was dropped."""

    text_len: dict
    link_len: dict
    score: dict
    dropped: set
    shadowed: set
    soft_dropped: list  # dropped by class/id only: may be rescued if it holds most of the text
    num_nodes: int
    node_cap_hit: bool
    # <article>, <main>, role=main and itemprop=articleBody elements met (measured), pre-order.
    semantic: list = dataclasses.field(default_factory=list)

    def non_link(self, el) -> int:
        return self.text_len.get(el, 0) - self.link_len.get(el, 0)

    def link_density(self, el) -> float:
        total = self.text_len.get(el, 0)
        return self.link_len.get(el, 0) / total if total else 0.0


def analyse(root, *, max_nodes: int, exempt: frozenset = frozenset()) -> Analysis:
    """One pass (lxml's iterwalk: start/end events from C): drop decisions, text/link lengths
    in post-order, container scores. A dropped subtree is skipped whole, never visited.

    The loop body runs twice per element, so module constants are bound to locals and the
    per-element state is one list (a "frame") rather than several dicts.
    """
    text_len, link_len, score = {}, {}, {}
    dropped, soft, semantic = set(), [], []
    num_nodes, cap_hit = 0, False
    shadowed = set()  # inside a class-dropped subtree: measured, never a container candidate
    drop_tags, judged_attrs, never_dropped = DROP_TAGS, _JUDGED_ATTRS, NEVER_ATTR_DROPPED
    paragraph_tags, semantic_tags = PARAGRAPH_TAGS, SEMANTIC_TAGS
    # Open elements: [el, own text, subtree text, link text, in <article>/<main>, shadowed, kind]
    # kind: 0 measured, 1 dropped (skipped), 2 class-dropped (measured, not summed upwards).
    # The bottom frame stands for root's parent: it collects root's tail and nothing reads it.
    stack: list[list] = [[None, 0, 0, 0, False, False, 0]]
    top = stack[0]
    walker = lxml.etree.iterwalk(root, events=("start", "end", "comment", "pi"))
    for event, el in walker:
        if event == "start":
            num_nodes += 1
            text = el.text
            in_sem = top[4]
            top = [el, len(text.strip()) if text else 0, 0, 0, in_sem, top[5], 0]
            stack.append(top)
            tag = el.tag  # libxml2's HTML parser gives lower-case names
            judged = not judged_attrs.isdisjoint(el.keys())
            if num_nodes > max_nodes:
                cap_hit = True
            if (
                num_nodes > max_nodes
                or tag in drop_tags
                or (judged and is_hidden(el))
                or (tag == "header" and not in_sem)
            ):
                dropped.add(el)
                top[6] = 1
                walker.skip_subtree()
                continue
            if top[5]:
                shadowed.add(el)
            if judged:
                if tag not in never_dropped and el not in exempt and is_chrome_by_attr(el):
                    dropped.add(el)
                    soft.append(el)  # still measured below, so the rescue rule can judge it
                    top[5] = True
                    top[6] = 2
                role_main = (el.get("role") or "").lower() == "main"
                if tag in semantic_tags or role_main or (el.get("itemprop") or "").lower() == "articlebody":
                    semantic.append(el)
                if not in_sem:
                    top[4] = tag in semantic_tags or role_main
            elif tag in semantic_tags:
                semantic.append(el)
                top[4] = True
        elif event == "end":
            _, own, t, links, _, _, kind = stack.pop()
            parent = top = stack[-1]
            tail = el.tail
            if tail:
                parent[1] += len(tail.strip())
            if kind == 1:
                continue
            t += own
            tag = el.tag
            if tag == "a":
                links = t
            text_len[el] = t
            link_len[el] = links
            if kind == 0:
                parent[2] += t
                parent[3] += links
            if tag in paragraph_tags or (tag == "div" and own > 0):
                images = 0
            elif tag == "img" or tag == "picture":
                images = IMAGE_BONUS
            else:
                continue
            # readability: a paragraph credits its parent fully and its grandparent half.
            credit = (t - links if t > links else 0) + images
            up = parent[0]
            if up is None:
                up = el.getparent()
            if up is not None:
                score[up] = score.get(up, 0) + credit
                grand = stack[-2][0] if len(stack) > 2 else up.getparent()
                if grand is not None:
                    score[grand] = score.get(grand, 0) + credit / 2
        elif len(stack) > 1:  # a comment or processing instruction: only its tail is text
            tail = el.tail
            if tail:
                top[1] += len(tail.strip())
    return Analysis(text_len, link_len, score, dropped, shadowed, soft, num_nodes, cap_hit, semantic)


def analyse_with_rescue(root, *, max_nodes: int) -> Analysis:
    """`analyse`, then once more if a class-dropped element holds more text than the rest.

    Guards against token false positives on the content itself, e.g. a wrapper classed
    `post has-comments` around the whole article: it must also carry a content token, so a
    long `id=comments` section is not rescued.
    """
    first = analyse(root, max_nodes=max_nodes)
    total = first.non_link(root)
    rescued = frozenset(
        el
        for el in first.soft_dropped
        if first.non_link(el) > max(total, RESCUE_MIN_CHARS) and has_content_token(el)
    )
    if not rescued:
        return first
    return analyse(root, max_nodes=max_nodes, exempt=rescued)


def _first_in_post_order(analysis: Analysis, tied: set):
    """The tied element met first in post-order (the deeper one of a nested pair)."""
    if len(tied) == 1:
        return next(iter(tied))
    for el in analysis.text_len:  # text_len's keys are in post-order
        if el in tied:
            return el
    return None


def _innermost_semantic(analysis: Analysis, outer):
    """`outer`, or the semantic descendant holding SEMANTIC_INNER_SHARE of its text (repeated)."""
    text_len, dropped, shadowed = analysis.text_len, analysis.dropped, analysis.shadowed
    while True:
        need = SEMANTIC_INNER_SHARE * analysis.non_link(outer)
        inner, inner_len = set(), -1
        for el in analysis.semantic:
            if el is outer or el not in text_len or el in dropped or el in shadowed:
                continue
            n = analysis.non_link(el)
            if n < need or n < inner_len or not any(a is outer for a in el.iterancestors()):
                continue
            if n > inner_len:
                inner, inner_len = {el}, n
            else:
                inner.add(el)
        if not inner or need <= 0:
            return outer
        outer = _first_in_post_order(analysis, inner)


def pick_container(body, analysis: Analysis):
    """The element whose subtree is the main content (falls back to `body`).

    Among the semantic candidates the one with the most non-link text wins, among all
    measured elements the one with the best readability score; a tie goes to the one first
    in post-order (descendants first), i.e. the deeper, tighter container. Only candidates
    are looked at: the semantic elements analyse met, and the elements holding a score.
    """
    text_len, dropped, shadowed = analysis.text_len, analysis.dropped, analysis.shadowed
    total = analysis.non_link(body)
    best_semantic, best_semantic_len = set(), -1
    for el in analysis.semantic:
        if el not in text_len or el in dropped or el in shadowed:
            continue
        n = analysis.non_link(el)
        if n > best_semantic_len:
            best_semantic, best_semantic_len = {el}, n
        elif n == best_semantic_len:
            best_semantic.add(el)
    if best_semantic and total and best_semantic_len >= SEMANTIC_MIN_SHARE * total:
        return _innermost_semantic(analysis, _first_in_post_order(analysis, best_semantic))
    best_dense, best_score = set(), 0.0
    for el, s in analysis.score.items():
        if s < best_score or el not in text_len or el in dropped or el in shadowed:
            continue
        if s > best_score:
            best_dense, best_score = {el}, s
        elif best_dense:
            best_dense.add(el)
    return _first_in_post_order(analysis, best_dense) if best_dense else body


def is_link_heavy(el, tag: str, analysis: Analysis) -> bool:
    if tag in LINK_DENSITY_TAGS:
        return analysis.link_density(el) > MAX_LINK_DENSITY
    if tag in ("p", "li"):
        return (
            analysis.text_len.get(el, 0) < SHORT_PARAGRAPH
            and analysis.link_density(el) > PARAGRAPH_LINK_DENSITY
        )
    return False
