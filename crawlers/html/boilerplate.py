"""Main-content heuristics: what to drop, how much text each element holds, where the article is.

The rules are the ones the good extractors share (trafilatura, readability, jusText), kept
cheap enough to run in one linear pass over the DOM:
- drop by tag (scripts, navigation, ...), by ARIA role, by hidden-ness, and by class/id
  tokens (cookie, share, related, comment, ad, sidebar, ...); image captions' text;
- rescue what a class/id (or <form>) verdict dropped when it holds more text than the rest of
  the page: the verdicts are guesses and the text decides (readability retries without its
  "unlikely candidates" rule for the same reason);
- count text and link text per element (post-order, iterative: no recursion limit);
- pick the main container: a semantic one (<article>, <main>, role=main, articleBody) when
  it holds a fair share of the page's text (the best by non-link text discounted by link
  density), else the readability-style densest container;
- prune link-heavy blocks (menus, tag clouds, "read more" lists) inside it.

The tag sets, tokens and thresholds live in crawlers/html/rules.py.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import lxml.etree

from crawlers.html.rules import (  # noqa: F401 (re-exported: _fastdom.pyx reads them here)
    ARTICLE_TOKENS,
    BOILERPLATE_PREFIXES,
    BOILERPLATE_TOKENS,
    CAPTION_PREFIXES,
    COMMENT_PREFIXES,
    DROP_ROLES,
    DROP_TAGS,
    HEADER_TOKENS,
    IMAGE_BONUS,
    LINK_DENSITY_TAGS,
    LINK_JUDGED_TAGS,
    MAX_LINK_DENSITY,
    NEVER_ATTR_DROPPED,
    PARAGRAPH_LINK_DENSITY,
    PARAGRAPH_TAGS,
    RESCUE_MIN_CHARS,
    RESCUE_ROUNDS,
    SEMANTIC_INNER_SHARE,
    SEMANTIC_MIN_SHARE,
    SEMANTIC_TAGS,
    SHORT_PARAGRAPH,
    SOFT_DROP_TAGS,
)

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


# _token_verdicts bits
CHROME, ARTICLE, CAPTION = 1, 2, 4


@functools.lru_cache(maxsize=4096)  # sites repeat their class names on every page
def _token_verdicts(cls: str, ident: str) -> int:
    """CHROME | ARTICLE | CAPTION bits of the class/id tokens."""
    bits, header = 0, False
    for token in _tokens(cls, ident):
        if token in BOILERPLATE_TOKENS or token.startswith(BOILERPLATE_PREFIXES):
            bits |= CHROME
        elif token in HEADER_TOKENS:
            header = True
        if token in ARTICLE_TOKENS:
            bits |= ARTICLE
        if token.startswith(CAPTION_PREFIXES):
            bits |= CAPTION
    if header and not bits & ARTICLE:
        bits |= CHROME
    return bits


def token_verdicts(el) -> int:
    return _token_verdicts(el.get("class") or "", el.get("id") or "")


def is_chrome_by_attr(el, bits: int | None = None) -> bool:
    """class/id tokens (`bits`: token_verdicts(el)) or role say this is page chrome."""
    if (el.get("role") or "").strip().lower() in DROP_ROLES:
        return True
    return bool((token_verdicts(el) if bits is None else bits) & CHROME)


def shows_image(el) -> bool:
    """el is, or holds, an <img> or <picture>."""
    return next(el.iter("img", "picture"), None) is not None


def is_hidden(el) -> bool:
    if el.get("hidden") is not None or (el.get("aria-hidden") or "").lower() == "true":
        return True
    style = el.get("style")
    return bool(style and _HIDDEN_STYLE.search(style))


def attr_verdicts(el) -> tuple[bool, bool, bool, bool, bool, bool]:
    """(hidden, chrome by role/class/id, role=main, itemprop=articleBody, class/id name the
    article, class/id name a caption): what analyse reads off an element's attributes.
    crawlers/html/_fastdom.pyx asks this for values that are not ASCII."""
    bits = token_verdicts(el)
    return (
        is_hidden(el),
        is_chrome_by_attr(el),
        (el.get("role") or "").lower() == "main",
        (el.get("itemprop") or "").lower() == "articlebody",
        bool(bits & ARTICLE),
        bool(bits & CAPTION),
    )


def rescuable(el) -> bool:
    """The rescue rule's last test: the class-dropped element is not a comment thread (a comment
    token without one naming the article: `id=comments`, not `post has-comments`)."""
    tokens = attr_tokens(el)
    return not any(t.startswith(COMMENT_PREFIXES) for t in tokens) or not ARTICLE_TOKENS.isdisjoint(tokens)


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
    paragraph_tags, semantic_tags, soft_tags = PARAGRAPH_TAGS, SEMANTIC_TAGS, SOFT_DROP_TAGS
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
            bits = token_verdicts(el) if judged else 0
            if num_nodes > max_nodes:
                cap_hit = True
            if (
                num_nodes > max_nodes
                or tag in drop_tags
                or (judged and is_hidden(el))
                or (tag == "header" and not in_sem and not bits & ARTICLE)
                or (bits & CAPTION and not shows_image(el))
            ):
                dropped.add(el)
                top[6] = 1
                walker.skip_subtree()
                continue
            if top[5]:
                shadowed.add(el)
            if (
                tag in soft_tags or (judged and tag not in never_dropped and is_chrome_by_attr(el, bits))
            ) and el not in exempt:
                dropped.add(el)
                soft.append(el)  # still measured below, so the rescue rule can judge it
                top[5] = True
                top[6] = 2
            if judged:
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
    """`analyse`, again while a class- or tag-dropped element holds more text than the rest.

    The verdicts by class/id (and <form>) are guesses; the text decides when they disagree: an
    element holding more non-link text than the whole rest of the page (and RESCUE_MIN_CHARS) is
    the content, whatever its class says (`Page-ad-margins`, `penci_sidebar` wrapped around the
    whole page), unless it is a comment thread (a long `id=comments` under a short story).
    Rescued elements are measured again, so a dropped element inside a rescued one can be rescued
    in the next round (an `article-header` div around a whole nypost.com story); at most
    RESCUE_ROUNDS rounds.
    """
    exempt: frozenset = frozenset()
    analysis = analyse(root, max_nodes=max_nodes)
    for _ in range(RESCUE_ROUNDS):
        floor = max(analysis.non_link(root), RESCUE_MIN_CHARS)
        rescued = [
            el
            for el in analysis.soft_dropped
            if el not in exempt and analysis.non_link(el) > floor and rescuable(el)
        ]
        if not rescued:
            break
        exempt = exempt.union(rescued)
        analysis = analyse(root, max_nodes=max_nodes, exempt=exempt)
    return analysis


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

    Among the semantic candidates the one with the most non-link text, discounted by its link
    density (readability's final `score * (1 - link density)`), wins: a <section> of teaser
    <article>s can hold more text than the story beside it, but mostly in links. Among all
    measured elements the one with the best readability score wins; a tie goes to the one first
    in post-order (descendants first), i.e. the deeper, tighter container. Only candidates
    are looked at: the semantic elements analyse met, and the elements holding a score.
    """
    text_len, dropped, shadowed = analysis.text_len, analysis.dropped, analysis.shadowed
    total = analysis.non_link(body)
    best_semantic, best_weight = set(), -1.0
    for el in analysis.semantic:
        if el not in text_len or el in dropped or el in shadowed:
            continue
        n = analysis.non_link(el)
        weight = n * n / text_len[el] if n else 0.0  # non-link text x (1 - link density)
        if weight > best_weight:
            best_semantic, best_weight = {el}, weight
        elif weight == best_weight:
            best_semantic.add(el)
    if best_semantic and total:
        semantic = _first_in_post_order(analysis, best_semantic)
        if analysis.non_link(semantic) >= SEMANTIC_MIN_SHARE * total:
            return _innermost_semantic(analysis, semantic)
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
