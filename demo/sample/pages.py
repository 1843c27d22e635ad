"""HTML for the sample site: articles wrapped in the boilerplate real pages carry.

Boilerplate (cookie banner, header with a 16px logo, nav, share links, related articles,
an ad with a 600x100 banner, comments and a form, footer, a 1x1 tracking pixel) surrounds
the article so extractors must separate content from chrome. Links are relative or
root-relative only, never absolute to the site's own host, so the live copy and the WARC
copy (recorded under another host) yield the same documents modulo host.
"""

from __future__ import annotations

import posixpath
from html import escape

from demo.sample.headers import content_type_for
from demo.sample.plan import BANNER_PATH, CSS_PATH, LOGO_PATH, PIXEL_PATH, PLACEHOLDER_PATH, Page, Slot

SITE_NAME = "The Riverside Post"
NAV = (
    ("Home", "/index.html"),
    ("News", "/index.html#news"),
    ("Community", "/index.html#community"),
    ("Events", "/index.html#events"),
    ("Contact", "/index.html#contact"),
)


def _ref(page_dir: str, target: str, relative: bool) -> str:
    """How `page` links to `target`: root-relative, or relative to the page's base/directory."""
    if not relative:
        return target
    return posixpath.relpath(target, page_dir)


def _page_dir(page: Page) -> str:
    return page.base.rstrip("/") if page.base else posixpath.dirname(page.path)


def _attr(text: str) -> str:
    return escape(text, quote=True)


def _image_html(slot: Slot, ref) -> str:
    img = slot.image
    src, alt, cap = ref(img.ref_path), _attr(slot.alt), escape(img.caption)
    if slot.style == "figure":
        return (
            f'<figure class="article-figure"><img src="{src}" alt="{alt}" width="{img.width}" '
            f'height="{img.height}"><figcaption>{cap}</figcaption></figure>'
        )
    if slot.style == "lazy":
        return (
            f'<figure class="article-figure"><img class="lazyload" src="{ref(PLACEHOLDER_PATH)}" '
            f'data-src="{src}" alt="{alt}" loading="lazy"><figcaption>{cap}</figcaption></figure>'
        )
    candidates = ", ".join(f"{ref(p)} {w}w" for p, w, _ in img.variants) + f", {src} {img.width}w"
    smallest = ref(img.variants[0][0]) if img.variants else src
    if slot.style == "srcset":
        return (
            f'<div class="image-wrap"><img src="{smallest}" srcset="{candidates}" '
            f'sizes="(max-width: 640px) 100vw, 640px" alt="{alt}"></div>\n<p class="caption">{cap}</p>'
        )
    if slot.style == "picture":
        return (
            f'<figure class="article-figure"><picture><source type="{content_type_for(img.path)}" '
            f'srcset="{candidates}"><img src="{smallest}" alt="{alt}"></picture>'
            f"<figcaption>{cap}</figcaption></figure>"
        )
    if slot.style == "inline":
        return (
            f'<p class="inline-image"><img src="{src}" alt="{alt}" '
            f'width="{img.width}" height="{img.height}"></p>'
        )
    raise ValueError(f"unknown image style {slot.style!r}")


def _body_html(page: Page, ref, data_uri: str) -> list[str]:
    out = []
    for n, (kind, value) in enumerate(page.blocks):
        if kind == "p":
            out.append(f"<p>{escape(value)}</p>")
        elif kind == "img":
            # Alternate root-relative and relative references; pages with <base> always use relative
            # ones, so that ignoring <base> resolves them to a wrong (404) path.
            out.append(_image_html(value, lambda t, n=n: ref(t, relative=bool(page.base) or n % 2 == 0)))
        elif kind == "ul":
            out.append("<ul>" + "".join(f"<li>{escape(item)}</li>" for item in value) + "</ul>")
        elif kind == "table":
            rows = "".join(f"<tr><td>{escape(a)}</td><td>{escape(b)}</td></tr>" for a, b in value)
            out.append(
                f'<table class="stats"><thead><tr><th>This season</th><th>Count</th></tr></thead>'
                f"<tbody>{rows}</tbody></table>"
            )
        elif kind == "data_uri":
            out.append(
                f'<p class="note"><img src="{data_uri}" alt="" width="8" height="8"> '
                "Items marked with a dot are new this month.</p>"
            )
        else:
            raise ValueError(f"unknown block kind {kind!r} on {page.path}")
    return out


def render_page(page: Page, titles: dict[str, str], data_uri: str) -> bytes:
    page_dir = _page_dir(page)

    def ref(target: str, relative: bool = True) -> str:
        return _ref(page_dir, target, relative)

    year = page.path.split("/")[2] if page.path.startswith("/articles/") else "2024"
    nav = "".join(f'<li><a href="{ref(href)}">{label}</a></li>' for label, href in NAV)
    related = "".join(f'<li><a href="{ref(p)}">{escape(titles[p])}</a></li>' for p in page.related)
    comments = "".join(
        f'<div class="comment"><p class="author">{escape(name)} wrote:</p><p>{escape(text)}</p></div>'
        for name, text in page.comments
    )
    base = f'<base href="{page.base}">\n' if page.base else ""
    title = escape(page.title)
    parts = [
        "<!doctype html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        f"<title>{title} | {SITE_NAME}</title>",
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f'<meta name="description" content="{_attr(page.title)}">',
        base + f'<link rel="stylesheet" href="{ref(CSS_PATH, relative=False)}">',
        "<script>window.dataLayer = window.dataLayer || []; "
        "function track(e) { dataLayer.push(e); }</script>",
        "</head>",
        "<body>",
        '<div id="cookie-banner" class="cookie-banner" role="dialog"><p>We use cookies to improve your '
        "experience on our site. By continuing to browse you agree to our use of cookies.</p>"
        "<button>Accept all</button> <button>Manage preferences</button></div>",
        f'<header class="site-header"><a href="{ref("/index.html")}">'
        f'<img class="logo" src="{ref(LOGO_PATH, False)}" '
        f'width="16" height="16" alt="{SITE_NAME} logo"></a> <span class="site-name">{SITE_NAME}</span>',
        f'<nav class="main-nav"><ul>{nav}</ul></nav></header>',
        "<main>",
        '<article class="post">',
        f"<h1>{title}</h1>",
        f'<p class="byline">By our community reporter, {year}</p>',
        '<div class="share">Share this: '
        '<a href="https://twitter.com/intent/tweet" class="share-twitter">Twitter</a> '
        '<a href="https://www.facebook.com/sharer/sharer.php" class="share-facebook">Facebook</a> '
        '<a href="mailto:?subject=Riverside%20Post" class="share-email">Email</a></div>',
        *_body_html(page, ref, data_uri),
        "</article>",
        f'<aside class="related"><h2>Related articles</h2><ul>{related}</ul></aside>',
        '<div class="ad" id="ad-slot-1"><span class="ad-label">Advertisement</span>'
        f'<a href="https://ads.example.com/click?slot=1"><img src="{ref(BANNER_PATH, False)}" width="600" '
        'height="100" alt="Advertisement"></a></div>',
        f'<section class="comments"><h2>Comments ({len(page.comments)})</h2>{comments}',
        '<form class="comment-form" action="/comments" method="post"><label>Name <input name="name"></label> '
        '<label>Comment <textarea name="comment"></textarea></label> '
        '<button type="submit">Post comment</button>'
        "</form></section>",
        "</main>",
        f'<footer class="site-footer"><p>&copy; {year} {SITE_NAME}. All rights reserved.</p><p>'
        f'<a href="{ref("/index.html")}#privacy">Privacy</a> | '
        f'<a href="{ref("/index.html")}#terms">Terms</a></p></footer>',
        f'<img src="{ref(PIXEL_PATH, False)}" width="1" height="1" alt="" style="display:none">',
        "</body>",
        "</html>",
    ]
    return ("\n".join(parts) + "\n").encode("utf-8")


def render_index(pages: list[Page]) -> bytes:
    """The home page: links (relative) to every public article."""
    items = "".join(
        f'<li><a href="{posixpath.relpath(p.path, "/")}">{escape(p.title)}</a></li>'
        for p in pages
        if not p.private
    )
    return (
        f'<!doctype html>\n<html lang="en">\n<head><meta charset="utf-8"><title>{SITE_NAME}</title>'
        f'<link rel="stylesheet" href="{CSS_PATH}"></head>\n<body><header><h1>{SITE_NAME}</h1></header>\n'
        f'<main><h2 id="news">Latest articles</h2><ul>{items}</ul></main>\n'
        f"<footer><p>&copy; 2024 {SITE_NAME}</p></footer>\n</body>\n</html>\n"
    ).encode()
