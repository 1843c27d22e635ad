"""The extractor's vocabulary and thresholds: which tags, roles and class/id tokens mark page
chrome, which mark the article, and the numbers the container pick uses.

crawlers/html/boilerplate.py (the Python passes) and crawlers/html/_fastdom.pyx (the same passes
in C, which reads these through boilerplate at import) share them, so a rule changes in one place.
Every rule added for the real-page bench (bench/extract.py) names the real page shape that showed
it; none names a site to special-case.
"""

from __future__ import annotations

# Never content. `header` is separate: an article's own <header> holds its title.
DROP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "iframe",
        "button",
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
# Dropped like a class-matched element (measured, rescued when it holds most of the page): ASP.NET
# and some CMSs wrap the whole page in one <form> (on the real-page bench, an aljazeera.com story).
SOFT_DROP_TAGS = frozenset({"form"})
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
# `header` marks page chrome (site-header, header-top) except beside a token that names the article
# (entry-header, article-header, post-header): that one holds the story's title and byline. Those
# tokens also keep a <header> element outside <article>/<main>.
HEADER_TOKENS = frozenset({"header"})
ARTICLE_TOKENS = frozenset({"entry", "article", "post", "story"})
# A class-dropped element holding most of the page's text is rescued (the class guessed wrong:
# `Page-ad-margins`, `penci_sidebar` around the whole page), except a comment thread.
COMMENT_PREFIXES = ("comment", "disqus")
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
# The elements whose text credits their parent and grandparent (readability's scoring). Not <li>,
# as in readability: teaser and link lists are lists; on the real-page bench (bench/extract.py) a
# <ul> of ten teasers with summaries outscored the five paragraphs of the story beside it.
PARAGRAPH_TAGS = frozenset({"p", "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "td", "dd"})
# Caption blocks named by class/id (`caption-full` and `caption-truncated` of a gallery, photo
# credits, `wp-caption-text`) lose their text unless they hold the image itself (WordPress's
# `wp-caption` div wraps the <img>); the image stays. Galleries repeat each caption two or three
# times, and the hand-written article bodies of the real-page bench leave captions out: +0.013 F1
# there (bench/extract.py). A <figcaption> keeps its text: it is its own figure's caption, the
# text M3W most wants beside the image (dropping it too gained 0.001 more).
CAPTION_PREFIXES = ("caption",)
# A class-dropped element is rescued when it holds more text than the rest of the page and
# at least this much (a real article, not a two-line widget).
RESCUE_MIN_CHARS = 100
RESCUE_ROUNDS = 3
IMAGE_BONUS = 40  # an image counts like 40 characters of text when scoring containers
