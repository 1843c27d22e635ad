"""Naming quizzes: the sample web's pages that only in-context learning can read, and the
held-out episodes that test it ("fast binding", as in the few-shot evaluations of multimodal
models: invented names bound to pictures inside one context).

A quiz page (`/kids/quiz/qNNN.html`) shows a few objects (a shape in a colour), each twice, on
varying backgrounds, and gives each object an invented name in its figure caption: "ko-ba."
The second time an object appears, its caption says "ko-ba again." (so no caption line
repeats, as Gopher's duplicate-line rule wants). A name is drawn
fresh for every page, so it can only be predicted from an earlier picture of the same object on
the same page.

Names are two syllables joined by a hyphen; the word-level tokenizer reads them as three tokens
("ko", "-", "ba"), as a BPE tokenizer reads an unseen word as known pieces. The name pool is
split by syllable parity: training pages use TRAIN_NAMES, the held-out episodes EVAL_NAMES, so
no evaluation name ever appears in a training page. Within a page or episode no syllable repeats,
so the first syllable already tells the names apart.

Held-out episodes (`eval/binding/episodes.jsonl`, images in `eval/binding/images/`) are drawn
from their own random stream: K support pictures, one per object, each named, then a new
picture (another position, size and background) of one of them, whose name is the answer.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from random import Random

from demo.sample.media import COLOURS, SHAPES, Scene, placed_scene
from demo.sample.plan import Page, SiteImage, Slot
from demo.sample.prose import ProseWriter

SYLLABLES = ("ba", "da", "fe", "gu", "ki", "lo", "mi", "nu", "po", "re", "su", "wi")
_PAIRS = [(i, j) for i, j in itertools.permutations(range(len(SYLLABLES)), 2)]
TRAIN_NAMES = tuple(f"{SYLLABLES[i]}-{SYLLABLES[j]}" for i, j in _PAIRS if (i + j) % 2 == 0)
EVAL_NAMES = tuple(f"{SYLLABLES[i]}-{SYLLABLES[j]}" for i, j in _PAIRS if (i + j) % 2 == 1)
INTRO = "{name}."
REPEAT = "{name} again."  # an episode's query is a repeat: its picture, then "{name} again."
NUM_QUIZ_PAGES = 120
NUM_EPISODES = 80
EPISODE_OBJECTS = 4  # objects (and names) per held-out episode: chance is 1/4
IMAGE_SIDES = (64, 96)  # the jobs' default filters drop images under 64 px


@dataclass(frozen=True, kw_only=True)
class Episode:
    """One held-out binding episode: named support pictures, then a query picture."""

    support: list[tuple[Scene, str]]  # (picture, its name), in prompt order
    query: Scene
    answer: str  # the query object's name: one of the support names

    @property
    def names(self) -> list[str]:
        return [name for _, name in self.support]


def draw_names(rng: Random, pool: tuple[str, ...], k: int) -> list[str]:
    """k names from `pool` sharing no syllable, so that their first tokens differ."""
    for _ in range(1000):
        names = rng.sample(pool, k)
        syllables = [s for n in names for s in n.split("-")]
        if len(set(syllables)) == len(syllables):
            return names
    raise ValueError(f"cannot draw {k} names without a shared syllable from {len(pool)}")


def _objects(rng: Random, k: int) -> list[tuple[str, str]]:
    """k objects (shape, colour) that differ in both shape and colour."""
    return list(zip(rng.sample(SHAPES, k), rng.sample(sorted(COLOURS), k), strict=True))


def _picture(rng: Random, shape: str, colour: str) -> Scene:
    background = rng.choice([c for c in sorted(COLOURS) if c != colour])
    return placed_scene(rng, shape, colour, background)


def plan_quiz(seed: int, num_pages: int = NUM_QUIZ_PAGES) -> tuple[list[Page], list[SiteImage]]:
    """The quiz pages and their images (training data; names from TRAIN_NAMES only)."""
    rng = Random(f"flamingo-sample-quiz:{seed}")
    pages, images = [], []
    for i in range(num_pages):
        k = rng.choice((3, 4))
        objects = _objects(rng, k)
        names = draw_names(rng, TRAIN_NAMES, k)
        order = [n for n in range(k) for _ in range(2)]
        rng.shuffle(order)
        writer = ProseWriter(rng, topic_index=rng.randrange(100))
        blocks: list[tuple[str, object]] = [
            ("p", "Every drawing below has a made-up name. " + writer.paragraph(3)),
        ]
        seen: set[int] = set()
        for n in order:
            shape, colour = objects[n]
            scene = _picture(rng, shape, colour)
            side = rng.randint(*IMAGE_SIDES)
            caption = (REPEAT if n in seen else INTRO).format(name=names[n])
            seen.add(n)
            img = SiteImage(
                path=f"/kids/images/q{len(images):04d}.jpg",
                caption=caption,
                width=side,
                height=side,
                scene=scene,
                expect="ok",
            )
            images.append(img)
            blocks.append(("img", Slot(image=img, style="figure", alt="a drawing")))
        blocks.append(("p", writer.paragraph(4)))
        pages.append(
            Page(
                path=f"/kids/quiz/q{i:03d}.html",
                title=f"Name the drawings, quiz {i + 1}",
                base=None,
                private=False,
                blocks=blocks,
            )
        )
    _link(rng, pages)
    return pages, images


def _link(rng: Random, pages: list[Page]) -> None:
    paths = [p.path for p in pages]
    for page in pages:
        page.related = rng.sample([p for p in paths if p != page.path], 3)
        page.comments = []


def plan_episodes(seed: int, num_episodes: int = NUM_EPISODES, k: int = EPISODE_OBJECTS) -> list[Episode]:
    """Held-out episodes: their own random stream, names from EVAL_NAMES only."""
    rng = Random(f"flamingo-sample-binding-eval:{seed}")
    episodes = []
    for _ in range(num_episodes):
        objects = _objects(rng, k)
        names = draw_names(rng, EVAL_NAMES, k)
        support = [
            (_picture(rng, shape, colour), name) for (shape, colour), name in zip(objects, names, strict=True)
        ]
        rng.shuffle(support)
        target = rng.randrange(k)
        shape, colour = objects[target]
        episodes.append(Episode(support=support, query=_picture(rng, shape, colour), answer=names[target]))
    return episodes
