"""Main-content / boilerplate labels for every sample-web page, from the generator's own plan.

demo.sample draws each page's article (paragraphs, list items, figure captions) and its
chrome (cookie banner, related-article titles, comments, footer) in `plan_site`, and renders
them with fixed boilerplate (demo/sample/pages.py). Re-drawing the plan with the same seed
gives the ground truth for all pages instead of three hand-labelled ones.

Labels are sentences, matched as substrings of an extractor's whitespace-collapsed output.
Left out on purpose: the title (it is also in <title>, so keeping or dropping it proves
nothing), the table (each extractor formats cells differently), and one-word chrome (nav
labels, "Advertisement": a substring match on a single word is meaningless). A sentence
that occurs in both the article and the chrome of a page (comments reuse the article's
templates) is dropped from both.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

from demo.sample.generate import write_sample_web
from demo.sample.media import Scene
from demo.sample.plan import plan_site

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CAPTION = re.compile(r"^an? (\S+) (\S+) on an? (\S+) background$")
# Chrome sentences every article page carries (demo/sample/pages.py render_page).
FIXED_BOILERPLATE = (
    "We use cookies to improve your experience on our site.",
    "By continuing to browse you agree to our use of cookies.",
    "Share this: Twitter Facebook Email",
    "All rights reserved.",
)
DATA_URI_NOTE = "Items marked with a dot are new this month."


def _sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text.strip()) if s]


def _first_eval_item(sample_dir: Path) -> tuple[str, Scene, int, int]:
    """plan_site only reads the caption of eval item 0; eval.csv holds it."""
    with open(sample_dir / "eval" / "eval.csv", newline="") as f:
        row = next(csv.DictReader(f))
    m = _CAPTION.match(row["caption"])
    if m is None:
        raise ValueError(f"unexpected eval caption {row['caption']!r}: demo.sample's Scene changed")
    colour, shape, background = m.groups()
    return row["path"], Scene(shape=shape, colour=colour, background=background), 0, 0


def _page_labels(page, titles: dict[str, str]) -> dict[str, list[str]]:
    main: list[str] = []
    for kind, value in page.blocks:
        if kind == "p":
            main += _sentences(value)
        elif kind == "ul":
            for item in value:
                main += _sentences(item)
        elif kind == "img" and value.style != "inline":  # inline images have no caption
            main.append(value.image.caption)
        elif kind == "data_uri":
            main.append(DATA_URI_NOTE)
    boiler = list(FIXED_BOILERPLATE) + [titles[p] for p in page.related]
    for _, text in page.comments:
        boiler += _sentences(text)
    main_set, boiler_set = set(main), set(boiler)
    both = main_set & boiler_set
    return {"main": sorted(main_set - both), "boilerplate": sorted(boiler_set - both)}


def sample_labels(sample_dir: str | Path, seed: int = 0, num_pages: int = 50) -> dict:
    """{"pages": {relative path: {"main": [...], "boilerplate": [...]}}}, extract_labels.json's shape.

    `sample_dir` is what write_sample_web(sample_dir, seed, num_pages) wrote; each page's
    labelled sentences are checked to be in its file, so a drifted generator fails loudly.
    """
    sample_dir = Path(sample_dir)
    plan = plan_site(seed, num_pages, [_first_eval_item(sample_dir)])
    titles = {p.path: p.title for p in plan.pages}
    pages = {}
    for page in plan.pages:
        labels = _page_labels(page, titles)
        source = (sample_dir / "site" / page.path.lstrip("/")).read_text("utf-8")
        flat = " ".join(html.unescape(source).split())
        missing = [s for s in labels["main"] if " ".join(s.split()) not in flat]
        if missing:
            raise ValueError(
                f"{page.path}: planned sentences not in the page, e.g. {missing[0]!r}; "
                "demo.sample's plan and pages disagree"
            )
        pages[page.path.lstrip("/")] = labels
    return {"about": __doc__.split("\n\n")[0], "pages": pages}


if __name__ == "__main__":  # a quick look: python -m bench.sample_truth
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        write_sample_web(tmp, seed=0)
        labels = sample_labels(tmp)["pages"]
        print(
            len(labels),
            sum(len(v["main"]) for v in labels.values()),
            sum(len(v["boilerplate"]) for v in labels.values()),
        )
