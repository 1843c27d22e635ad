"""The sample site's plan: which pages exist, which images they show, and how each is referenced.

All random draws happen here, from string-seeded `random.Random` streams (string seeds are
hashed with SHA-512, so the draws do not depend on PYTHONHASHSEED or the machine). Rendering
and writing are then pure functions of the plan.

Every image carries `expect`: the outcome a correct pipeline should reach for it, so that
downstream tests can assert exact reasons (RejectReason values, or "ok").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from demo.sample.media import COLOURS, Scene, random_scene
from demo.sample.prose import ProseWriter

# Styles in which an article references an image; pages cycle through them so every
# extraction path (figure, lazy data-src, srcset, <picture>, bare inline img) is exercised.
STYLES = ("figure", "lazy", "srcset", "picture", "inline")
FORMATS = ("jpg", "jpg", "png", "webp")  # JPEG-heavy, like the web
NUM_NOAI, NUM_MISSING = 5, 4
NUM_PRIVATE_PAGES = 2
MIN_PAGES = 8
LOGO_PATH = "/static/icons/logo-16.png"
BANNER_PATH = "/static/ads/banner-600x100.jpg"
PIXEL_PATH = "/static/pixel.gif"
PLACEHOLDER_PATH = "/static/blank.gif"
CSS_PATH = "/static/site.css"
MISSING_PAGE_PATH = "/articles/2021/removed.html"


@dataclass(kw_only=True)
class SiteImage:
    path: str  # root-relative path the file is served at
    caption: str
    kind: str = "scene"  # scene | solid | logo | banner | eval_copy | duplicate
    fmt: str = "jpg"
    width: int
    height: int
    scene: Scene | None = None
    colour: str | None = None  # for solid images
    variants: list[tuple[str, int, int]] = field(default_factory=list)  # smaller srcset candidates
    expect: str = "ok"
    written: bool = True  # False: referenced but never written (HTTP 404 on purpose)
    ref_path: str = ""  # path pages link to (a redirect for one image); defaults to `path`
    copy_of: str | None = None  # duplicate: the site path whose bytes it copies; eval_copy: eval file

    def __post_init__(self) -> None:
        self.ref_path = self.ref_path or self.path


@dataclass(kw_only=True)
class Slot:
    image: SiteImage
    style: str
    alt: str


@dataclass(kw_only=True)
class Page:
    path: str
    title: str
    base: str | None  # <base href> (root-relative, so live and WARC copies resolve alike)
    private: bool
    blocks: list[
        tuple[str, object]
    ]  # ("p", str) | ("img", Slot) | ("ul", [str]) | ("table", rows) | ("data_uri", None)
    related: list[str] = field(default_factory=list)
    comments: list[tuple[str, str]] = field(default_factory=list)


@dataclass(kw_only=True)
class SitePlan:
    pages: list[Page]
    images: list[SiteImage]  # every image in pairs.csv order (no srcset variants, no boilerplate gifs)
    redirects: dict[str, str]


def _alt_for(rng: Random, caption: str) -> str:
    # Mostly the caption; sometimes an unhelpful alt, as on the real web.
    return rng.choice((caption, caption, caption, "photo", ""))


def _page_path(i: int, private: bool) -> str:
    return f"/private/a{i:03d}.html" if private else f"/articles/{2022 + i % 3}/a{i:03d}.html"


def _new_scene_image(rng: Random, number: int, private: bool) -> SiteImage:
    scene = random_scene(rng)
    fmt = rng.choice(FORMATS)
    folder = "/private/images" if private else "/images"
    return SiteImage(
        path=f"{folder}/p{number:04d}.{fmt}",
        caption=scene.caption,
        fmt=fmt,
        width=rng.randint(96, 256),
        height=rng.randint(96, 256),
        scene=scene,
        expect="robots_disallowed" if private else "ok",
    )


def _add_variants(img: SiteImage) -> None:
    # srcset candidates at 1/2 and 3/4 width; the largest candidate is the real image.
    stem, ext = img.path.rsplit(".", 1)
    for frac in (0.5, 0.75):
        w, h = max(8, round(img.width * frac)), max(8, round(img.height * frac))
        img.variants.append((f"{stem}-{w}w.{ext}", w, h))


def _article_blocks(rng: Random, writer: ProseWriter, slots: list[Slot], with_data_uri: bool) -> list:
    blocks: list[tuple[str, object]] = [("p", writer.paragraph(4))]
    for n, slot in enumerate(slots):
        spelled = slot.image.caption if slot.style == "inline" else None  # inline images show no caption
        blocks.append(("p", writer.paragraph(rng.randint(2, 4)) + " " + writer.figure_lead(spelled)))
        blocks.append(("img", slot))
        if n == 1:
            blocks.append(("ul", [writer.paragraph(1) for _ in range(3)]))
        if n == 2 and with_data_uri:
            blocks.append(("data_uri", None))
    blocks.append(
        ("table", [(name, str(rng.randint(2, 40))) for name in ("Sessions", "Volunteers", "Visitors")])
    )
    blocks.append(("p", writer.paragraph(3)))
    return blocks


def plan_site(seed: int, num_pages: int, eval_items: list[tuple[str, Scene, int, int]]) -> SitePlan:
    """Draw the whole site. `eval_items[0]` (path, scene, width, height) is copied once into the site."""
    if num_pages < MIN_PAGES:
        raise ValueError(
            f"num_pages must be at least {MIN_PAGES} (got {num_pages}): "
            "the special images sit on public pages 1, 3, 4 and 5"
        )
    rng = Random(f"flamingo-sample-site:{seed}")
    num_private = NUM_PRIVATE_PAGES
    pages: list[Page] = []
    images: list[SiteImage] = []
    number = 0
    for i in range(num_pages):
        private = i >= num_pages - num_private
        writer = ProseWriter(rng, topic_index=rng.randrange(100))
        slots = []
        for j in range(rng.randint(3, 5)):
            img = _new_scene_image(rng, number, private)
            number += 1
            style = STYLES[(i + j) % len(STYLES)]
            if style in ("srcset", "picture"):
                _add_variants(img)
            images.append(img)
            slots.append(Slot(image=img, style=style, alt=_alt_for(rng, img.caption)))
        base = "/articles/" if (not private and i % 5 == 2) else None
        page = Page(
            path=_page_path(i, private),
            title=writer.title(),
            base=base,
            private=private,
            blocks=_article_blocks(rng, writer, slots, with_data_uri=i % 5 == 0),
        )
        page.comments = [
            (name, writer.paragraph(1)) for name in rng.sample(("Sam", "Alex", "Jo", "Chris"), 2)
        ]
        pages.append(page)

    # Special images, placed on the first public pages (num_pages >= 6 guarantees them).
    eligible = [k for k, im in enumerate(images) if im.expect == "ok" and not im.variants]
    picks = rng.sample(eligible, NUM_NOAI + NUM_MISSING + 1)
    for k in picks[:NUM_NOAI]:
        images[k].expect = "opted_out"
    for k in picks[NUM_NOAI : NUM_NOAI + NUM_MISSING]:
        images[k].expect, images[k].written = "http_404", False
    redirected = images[picks[-1]]
    redirected.ref_path = "/go/" + redirected.path.rsplit("/", 1)[1]
    redirects = {redirected.ref_path: redirected.path}

    extras: list[tuple[int, SiteImage]] = []
    for page_index, colour in ((1, rng.choice(sorted(COLOURS))), (3, rng.choice(sorted(COLOURS)))):
        extras.append(
            (
                page_index,
                SiteImage(
                    path=f"/images/p{number:04d}.png",
                    caption=f"a plain {colour} picture",
                    kind="solid",
                    fmt="png",
                    width=160,
                    height=120,
                    colour=colour,
                    expect="single_colour",
                ),
            )
        )
        number += 1
    original = next(im for im in images if im.expect == "ok" and not im.variants and im.ref_path == im.path)
    extras.append(
        (
            4,
            SiteImage(
                path=f"/images/p{number:04d}.{original.fmt}",
                caption=original.caption,
                kind="duplicate",
                fmt=original.fmt,
                width=original.width,
                height=original.height,
                scene=original.scene,
                copy_of=original.path,
                expect="duplicate_exact",
            ),
        )
    )
    number += 1
    eval_path, eval_scene, eval_w, eval_h = eval_items[0]
    extras.append(
        (
            5,
            SiteImage(
                path=f"/images/p{number:04d}.jpg",
                caption=eval_scene.caption,
                kind="eval_copy",
                width=eval_w,
                height=eval_h,
                scene=eval_scene,
                copy_of=eval_path,
                expect="eval_contamination",
            ),
        )
    )
    for page_index, img in extras:
        images.append(img)
        pages[page_index].blocks.insert(-2, ("img", Slot(image=img, style="figure", alt=img.caption)))
    images.append(
        SiteImage(
            path=LOGO_PATH,
            caption="the logo of the riverside post",
            kind="logo",
            fmt="png",
            width=16,
            height=16,
            expect="logo_url",
        )
    )
    images.append(
        SiteImage(
            path=BANNER_PATH,
            caption="a wide advertising banner",
            kind="banner",
            width=600,
            height=100,
            expect="aspect_ratio",
        )
    )

    public = [p.path for p in pages if not p.private]
    for page in pages:
        page.related = rng.sample([p for p in public if p != page.path], 3)
    return SitePlan(pages=pages, images=images, redirects=redirects)
