"""Large, realistic article pages made in code, with their main-content labels.

What it models: the median Common Crawl HTML page is 40-80 KB, and most of it is not the
article. Each page here has, in document order: a <head> with ~25 meta/link tags, an inline
stylesheet, analytics and config scripts and a JSON-LD NewsArticle block; a skip link, a
header with a logo and a mega-menu (8-10 sections x 10-16 links, nested lists); a search
form; breadcrumbs; the article (title, byline, share bar, lead figure with srcset, 8-18
paragraphs with h2 subheadings, a list, a blockquote, lazy-loaded inline figures, an in-body
"read also" box and an ad slot); a sidebar ("most read" with thumbnails, newsletter form, ad);
tags; a "more stories" grid of 8-16 teaser cards with summaries; a comment thread of 5-30
comments; a footer with link columns; a cookie-consent dialog and trailing scripts.

Three markup conventions rotate, because sites differ and neither extractor should get
its favourite: semantic HTML5 (<main>/<article>/<aside>), WordPress-style div soup
(`entry-content`, `widget-area`, `comments-area`), and a BEM/React-style page with hashed
class names and no semantic tags except <nav>, whose comments and teasers carry names that
no extractor's boilerplate list knows (`c-thread`, `x9f3k`). Sizes are drawn per page.

Labels: main = sentences of the article's paragraphs, list items, blockquote and captions;
boilerplate = sentences of teasers, comments, sidebar, newsletter, cookie dialog and
footer, plus link titles of the menus' "most read" list. Headings, bylines and one-word
links are unlabelled (a substring match on them proves nothing).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from html import escape
from random import Random

from demo.sample.prose import TOPICS, ProseWriter

STYLES = ("semantic", "wordpress", "hashed")
SECTIONS = (
    "News",
    "Politics",
    "Business",
    "Sport",
    "Culture",
    "Science",
    "Travel",
    "Food",
    "Opinion",
    "Video",
    "Podcasts",
    "Local",
)
COMMENT_LINES = (
    "I have been going to these sessions for two years and they are the highlight of my week.",
    "Does anyone know whether the sessions will continue over the summer holidays?",
    "Great to see something positive in the news for a change, well done to everyone involved.",
    "My daughter went last month and came home full of stories about the people she met.",
    "It would be nice if the council supported projects like this in the other villages too.",
    "The parking situation near the hall is still a problem on busy evenings, though.",
    "I remember when that building was empty for years, so this is wonderful to read.",
    "Thanks for writing this up, I will share it with my neighbours who have just moved here.",
    "Is there a way to volunteer if you can only come once a month?",
    "We tried to get in last Saturday but it was full, so book early if you can.",
)
FOOTER_LINES = (
    "Registered in England and Wales, company number 01234567.",
    "Our journalism is funded by readers and advertisers; read how we keep it independent.",
    "All content is copyright of its respective owners and may not be reproduced without permission.",
)
COOKIE_LINES = (
    "We and our partners store and access information on your device to personalise ads and content.",
    "You can change your choices at any time by visiting the privacy settings page.",
)
NEWSLETTER_LINE = "Get the best local stories delivered to your inbox every morning, free of charge."
CSS_RULE = ".{0}{{margin:0 auto;padding:{1}px {2}px;font:{3}px/1.5 system-ui,sans-serif;color:#{4:06x}}}"


@dataclass
class RealisticPage:
    html: str
    main: list[str] = field(default_factory=list)
    boilerplate: list[str] = field(default_factory=list)


class _Names:
    """Class names per markup convention: what a site calls each region."""

    TABLE = {
        "semantic": dict(
            header="site-header",
            nav="main-nav",
            article="article",
            body="article__body",
            sidebar="sidebar",
            cards="more-stories",
            card="story-card",
            comments="comments",
            comment="comment",
            footer="site-footer",
            readalso="read-also",
            ad="ad-slot",
        ),
        "wordpress": dict(
            header="site-header",
            nav="primary-menu",
            article="post",
            body="entry-content",
            sidebar="widget-area",
            cards="jp-relatedposts",
            card="jp-relatedposts-post",
            comments="comments-area",
            comment="comment-body",
            footer="site-info",
            readalso="wp-block-embed",
            ad="adsbygoogle",
        ),
        "hashed": dict(
            header="Hdr_k2j",
            nav="Nav_q8",
            article="Story_a7c",
            body="Story_body_x1",
            sidebar="Rail_z3",
            cards="Grid_m4p",
            card="Tile_n2",
            comments="c-thread",
            comment="x9f3k",
            footer="Ftr_r5",
            readalso="Inline_t6",
            ad="slot_u7",
        ),
    }


def _sentences(text: str) -> list[str]:
    return [s if s.endswith(".") else s + "." for s in text.split(". ") if s]


def _head(rng: Random, title: str, page_url: str, body_text: str) -> str:
    css = "".join(
        CSS_RULE.format(
            f"c{i}", rng.randint(0, 24), rng.randint(0, 24), rng.randint(11, 20), rng.randrange(1 << 24)
        )
        for i in range(rng.randint(80, 160))
    )
    config = {
        "site": "example",
        "ads": {
            f"slot{i}": {
                "sizes": [[300, 250], [728, 90]],
                "targeting": {
                    "section": rng.choice(SECTIONS).lower(),
                    "kw": [rng.choice(SECTIONS).lower() for _ in range(6)],
                },
            }
            for i in range(rng.randint(6, 14))
        },
        "experiments": {f"exp{i}": rng.random() for i in range(20)},
    }
    ld = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": title,
        "url": page_url,
        "datePublished": "2024-05-01T08:00:00Z",
        "author": {"@type": "Person", "name": "Staff reporter"},
        "image": [f"{page_url}/lead-{w}.jpg" for w in (640, 1280, 1920)],
        "description": body_text[:300],
    }
    metas = "".join(
        f'<meta property="og:{k}" content="{escape(v)}">'
        for k, v in (("title", title), ("type", "article"), ("url", page_url), ("site_name", "Example News"))
    )
    metas += "".join(f'<meta name="twitter:{k}" content="x">' for k in ("card", "site", "creator", "title"))
    links = "".join(
        f'<link rel="preload" href="/static/font-{i}.woff2" as="font" crossorigin>' for i in range(4)
    )
    links += "".join(
        f'<link rel="stylesheet" href="/static/css/{n}.css">' for n in ("main", "article", "print")
    )
    return (
        f'<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} | Example News</title>{metas}{links}<style>{css}</style>"
        f"<script>window.__CONFIG__ = {json.dumps(config)};</script>"
        '<script async src="https://www.googletagmanager.com/gtag/js?id=G-XXXX"></script>'
        "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}"
        "gtag('js',new Date());gtag('config','G-XXXX');</script>"
        f'<script type="application/ld+json">{json.dumps(ld)}</script></head>'
    )


def _menu(rng: Random, n: dict, semantic: bool) -> str:
    cols = []
    for section in rng.sample(SECTIONS, rng.randint(8, 10)):
        sub = "".join(
            f'<li class="menu-item"><a href="/{section.lower()}/{i}">{section} topic {i}</a></li>'
            for i in range(rng.randint(10, 16))
        )
        cols.append(
            f'<li class="menu-item has-children"><a href="/{section.lower()}">{section}</a>'
            f'<div class="sub-menu-wrap"><ul class="sub-menu">{sub}</ul></div></li>'
        )
    logo = (
        '<a href="/" class="logo"><img src="/static/logo.svg" alt="Example News" width="180" height="40"></a>'
    )
    search = (
        '<form role="search" action="/search"><input type="search" name="q" placeholder="Search">'
        "<button>Search</button></form>"
    )
    outer = "header" if semantic else "div"
    return (
        f'<a class="skip-link" href="#content">Skip to content</a><{outer} class="{n["header"]}">{logo}'
        f'<nav class="{n["nav"]}"><ul class="menu">{"".join(cols)}</ul></nav>{search}</{outer}>'
    )


def _figure(rng: Random, idx: int, caption: str, lazy: bool) -> str:
    src = f"/media/{rng.randrange(10**6)}-{idx}"
    srcset = ", ".join(f"{src}-{w}.jpg {w}w" for w in (320, 640, 1024))
    attrs = (
        f'class="lazyload" src="data:image/gif;base64,R0lGODlhAQABAAAAACw=" data-src="{src}-640.jpg" '
        f'data-srcset="{srcset}"'
        if lazy
        else f'src="{src}-640.jpg" srcset="{srcset}"'
    )
    return (
        f'<figure class="wp-caption"><img {attrs} alt="{escape(caption)}" width="640" height="427">'
        f"<figcaption>{escape(caption)}</figcaption></figure>"
    )


def _article(
    rng: Random, writer: ProseWriter, n: dict, page: RealisticPage, title: str, semantic: bool
) -> str:
    parts = []
    lead_caption = f"The {writer.people} at {writer.place} on a busy evening"
    parts.append(_figure(rng, 0, lead_caption, lazy=False))
    page.main.append(lead_caption)
    for i in range(rng.randint(8, 18)):
        if i and i % 4 == 0:
            parts.append(f"<h2>{escape(writer.title())}</h2>")
        text = writer.paragraph(rng.randint(2, 5))
        parts.append(f"<p>{escape(text)}</p>")
        page.main += _sentences(text)
        if i == 3:
            items = [writer.paragraph(1) for _ in range(rng.randint(3, 5))]
            parts.append("<ul>" + "".join(f"<li>{escape(t)}</li>" for t in items) + "</ul>")
            page.main += [s for t in items for s in _sentences(t)]
        if i == 5:
            quote = writer.paragraph(1)
            parts.append(f"<blockquote><p>{escape(quote)}</p></blockquote>")
            page.main += _sentences(quote)
        if i in (2, 7):
            caption = f"{writer.name} with the {writer.people}, photographed in {rng.choice(SECTIONS)} week"
            parts.append(_figure(rng, i, caption, lazy=True))
            page.main.append(caption)
        if i == 4:
            also = [ProseWriter(rng, rng.randrange(100)).title() for _ in range(3)]
            parts.append(
                f'<div class="{n["readalso"]}"><strong>Read also</strong><ul>'
                + "".join(f'<li><a href="/story/{rng.randrange(10**6)}">{escape(t)}</a></li>' for t in also)
                + "</ul></div>"
            )
        if i == 6:
            parts.append(
                f'<div class="{n["ad"]}" data-slot="inline-1"><script>googletag.display("inline-1")'
                "</script></div>"
            )
    share = "".join(
        f'<a href="https://share.example/{s}" class="share-{s}">{s.title()}</a>'
        for s in ("facebook", "twitter", "whatsapp", "email")
    )
    tag, body_tag = ("article", "div") if semantic else ("div", "div")
    return (
        f'<{tag} class="{n["article"]}" id="content"><h1>{escape(title)}</h1>'
        f'<div class="byline">By Staff reporter <time datetime="2024-05-01">1 May 2024</time></div>'
        f'<div class="share-bar">{share}</div><{body_tag} class="{n["body"]}">{"".join(parts)}</{body_tag}>'
        f"</{tag}>"
    )


def _chrome(rng: Random, n: dict, page: RealisticPage, semantic: bool) -> tuple[str, str]:
    """(sidebar, after-article block: tags, teaser grid, comments)."""
    most_read = [ProseWriter(rng, rng.randrange(100)).title() + f" ({i + 1})" for i in range(10)]
    page.boilerplate += most_read
    side_tag = "aside" if semantic else "div"
    sidebar = (
        f'<{side_tag} class="{n["sidebar"]}"><section class="widget"><h3>Most read</h3><ol>'
        + "".join(
            f'<li><a href="/story/{rng.randrange(10**6)}"><img src="/thumbs/{i}.jpg" alt="" '
            f'width="80" height="60">{escape(t)}</a></li>'
            for i, t in enumerate(most_read)
        )
        + f'</ol></section><section class="widget newsletter"><p>{NEWSLETTER_LINE}</p>'
        '<form action="/subscribe"><input type="email" name="email"><button>Sign up</button></form></section>'
        f'<div class="{n["ad"]}"><script>googletag.display("rail-1")</script></div></{side_tag}>'
    )
    page.boilerplate.append(NEWSLETTER_LINE)
    tags = (
        '<div class="tags">'
        + "".join(f'<a href="/tag/{s.lower()}">{s}</a>' for s in rng.sample(SECTIONS, 5))
        + "</div>"
    )
    cards = []
    for i in range(rng.randint(8, 16)):
        w = ProseWriter(rng, rng.randrange(100))
        teaser = w.paragraph(1)
        page.boilerplate += _sentences(teaser)
        cards.append(
            f'<div class="{n["card"]}"><a href="/story/{rng.randrange(10**6)}"><img src="/thumbs/c{i}.jpg" '
            f'alt="" loading="lazy" width="300" height="200"><h3>{escape(w.title())}</h3></a>'
            f"<p>{escape(teaser)}</p></div>"
        )
    comments = []
    for i in range(rng.randint(5, 30)):
        text = " ".join(rng.sample(COMMENT_LINES, rng.randint(1, 3)))
        page.boilerplate += _sentences(text)
        comments.append(
            f'<div class="{n["comment"]}" id="c{i}"><div class="meta"><b>reader{rng.randrange(999)}</b> '
            f"<span>{rng.randint(1, 23)} hours ago</span></div><p>{escape(text)}</p>"
            '<a href="#reply" class="reply">Reply</a></div>'
        )
    after = (
        f'{tags}<section class="{n["cards"]}"><h2>More stories</h2>{"".join(cards)}</section>'
        f'<section class="{n["comments"]}"><h2>{len(comments)} comments</h2>{"".join(comments)}</section>'
    )
    return sidebar, after


def _footer(rng: Random, n: dict, page: RealisticPage, semantic: bool) -> str:
    cols = "".join(
        '<div class="col"><ul>'
        + "".join(f'<li><a href="/{s.lower()}/{j}">{s} {j}</a></li>' for j in range(8))
        + "</ul></div>"
        for s in rng.sample(SECTIONS, 5)
    )
    page.boilerplate += list(FOOTER_LINES) + list(COOKIE_LINES)
    tag = "footer" if semantic else "div"
    cookie = (
        f'<div id="cmp" class="consent-dialog"><p>{" ".join(COOKIE_LINES)}</p><button>Accept</button>'
        "<button>Reject</button></div>"
    )
    scripts = "".join(
        f'<script src="/static/js/chunk-{rng.randrange(16**8):08x}.js" defer></script>' for _ in range(6)
    )
    return (
        f'<{tag} class="{n["footer"]}">{cols}<p>{" ".join(FOOTER_LINES)}</p></{tag}>{cookie}{scripts}'
        '<img src="https://pixel.example/p.gif" width="1" height="1" alt="">'
    )


def realistic_page(seed: int, index: int) -> RealisticPage:
    rng = Random(f"realistic-page:{seed}:{index}")
    style = STYLES[index % len(STYLES)]
    n, semantic = _Names.TABLE[style], style == "semantic"
    writer = ProseWriter(rng, rng.randrange(len(TOPICS)))
    page = RealisticPage(html="")
    title = writer.title()
    url = f"https://news.example/{style}/{index}"
    article = _article(rng, writer, n, page, title, semantic)
    sidebar, after = _chrome(rng, n, page, semantic)
    crumbs = (
        '<ol class="breadcrumb"><li><a href="/">Home</a></li><li><a href="/news">News</a></li>'
        '<li><a href="/news/local">Local</a></li></ol>'
    )
    wrap = ("main", "div") if semantic else ("div", "div")
    body = (
        f'<body class="single">{_menu(rng, n, semantic)}{crumbs}<{wrap[0]} class="site-main">'
        f'<div class="layout">{article}{sidebar}</div>{after}</{wrap[0]}>'
        f"{_footer(rng, n, page, semantic)}</body>"
    )
    page.html = f'<!doctype html><html lang="en">{_head(rng, title, url, " ".join(page.main))}{body}</html>'
    main = set(page.main)
    both = main & set(page.boilerplate)
    page.main = sorted(main - both)
    page.boilerplate = sorted(set(page.boilerplate) - both)
    return page


def realistic_pages(seed: int = 0, num_pages: int = 30) -> dict[str, RealisticPage]:
    """{"realistic/NNN.html": page}: the bench's second corpus."""
    return {f"realistic/{i:03d}.html": realistic_page(seed, i) for i in range(num_pages)}
