"""Picture series: sample-web pages that repeat one pattern, the way real pages do.

Real pages rarely show unrelated pictures: a gallery keeps its backdrop, a shop page shows one
product in several colours, a class shows every child's drawing of the same shape. Such pages
are what teaches Flamingo to read earlier image-caption pairs (paper §2.4, M3W): a caption is
easier to predict after a similar picture was captioned. Each series page
(`/kids/series/sNNN.html`) keeps one attribute of its pictures fixed (the background, the
shape's colour or the shape) and varies the others; every picture is captioned in the grammar of
the rest of the sample web ("a red circle on a blue background").

Captions of the held-out evaluation split never appear on these pages (`avoid`), so what the
model learns here cannot be a copy of an evaluation answer.
"""

from __future__ import annotations

from random import Random

from demo.sample.media import COLOURS, SHAPES, Scene, placed_scene
from demo.sample.plan import Page, SiteImage, Slot
from demo.sample.prose import ProseWriter

NUM_SERIES_PAGES = 60
THEMES = ("background", "colour", "shape")
INTROS = {
    "background": "All of the drawings in this series were made on the same {value} paper.",
    "colour": "This week the children only had {value} paint for the shapes.",
    "shape": "Every drawing in this series is a {value}.",
}
IMAGE_SIDES = (64, 96)


def _scene(rng: Random, theme: str, value: str) -> Scene:
    shape = value if theme == "shape" else rng.choice(SHAPES)
    colours = sorted(COLOURS)
    if theme == "background":
        background, colour = value, rng.choice([c for c in colours if c != value])
    elif theme == "colour":
        colour, background = value, rng.choice([c for c in colours if c != value])
    else:
        colour, background = rng.sample(colours, 2)
    return placed_scene(rng, shape, colour, background)


def plan_series(
    seed: int, avoid: set[str], num_pages: int = NUM_SERIES_PAGES
) -> tuple[list[Page], list[SiteImage]]:
    """Series pages and their images; no caption in `avoid`, no caption twice on a page."""
    rng = Random(f"flamingo-sample-series:{seed}")
    pages, images = [], []
    for i in range(num_pages):
        theme = THEMES[i % len(THEMES)]
        value = rng.choice(SHAPES if theme == "shape" else sorted(COLOURS))
        writer = ProseWriter(rng, topic_index=rng.randrange(100))
        blocks: list[tuple[str, object]] = [
            ("p", INTROS[theme].format(value=value) + " " + writer.paragraph(2))
        ]
        captions: set[str] = set()
        for _ in range(rng.randint(5, 7)):
            scene = _scene(rng, theme, value)
            while scene.caption in captions or scene.caption in avoid:
                scene = _scene(rng, theme, value)
            captions.add(scene.caption)
            side = rng.randint(*IMAGE_SIDES)
            img = SiteImage(
                path=f"/kids/images/s{len(images):04d}.jpg",
                caption=scene.caption,
                width=side,
                height=side,
                scene=scene,
            )
            images.append(img)
            blocks.append(("img", Slot(image=img, style="figure", alt=scene.caption)))
        # Prose after the pictures, enough that the repeated caption pattern stays under Gopher's
        # repetition limits; with a short intro, a training window (M3W: 128 tokens from a random
        # picture) holds most of the series.
        blocks += [("p", writer.paragraph(4)) for _ in range(3)]
        pages.append(
            Page(
                path=f"/kids/series/s{i:03d}.html",
                title=f"Drawing series {i + 1}: {value}",
                base=None,
                private=False,
                blocks=blocks,
            )
        )
    paths = [p.path for p in pages]
    for page in pages:
        page.related = rng.sample([p for p in paths if p != page.path], 3)
    return pages, images
