"""The sample web's kids' corner: picture series and naming quizzes, written beside the articles.

The corner is additive: its pages live under `site/kids/`, are linked from no article and are
crawled into their own WARCs (`series.warc.gz`, `quiz.warc.gz`), so the article site, its lists
and its WARC stay exactly as they were; its counts are reported separately (`counts["kids"]`).
It also writes the held-out binding episodes (`eval/binding/`), drawn from their own stream.
"""

from __future__ import annotations

import json
from pathlib import Path

from demo.sample import media
from demo.sample.pages import render_page
from demo.sample.plan import BANNER_PATH, CSS_PATH, LOGO_PATH, PIXEL_PATH, Page, SiteImage
from demo.sample.quiz import plan_episodes, plan_quiz
from demo.sample.series import plan_series
from demo.sample.warc import write_warc

BINDING_DIR = "eval/binding"
EPISODES_FILE = "episodes.jsonl"


def _write_pages(site: Path, pages: list[Page], images: list[SiteImage], data_uri: str) -> None:
    for img in images:
        target = site / img.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(media.encode_image(media.draw_scene(img.scene, img.width, img.height), img.fmt))
    titles = {p.path: p.title for p in pages}
    for page in pages:
        target = site / page.path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(render_page(page, titles, data_uri))


def _captures(pages: list[Page]) -> list[str]:
    """Crawl order: each page, then the boilerplate and pictures it shows."""
    order = ["/robots.txt", CSS_PATH]
    for page in pages:
        order += [page.path, LOGO_PATH]
        order += [slot.image.path for kind, slot in page.blocks if kind == "img"]
        order += [BANNER_PATH, PIXEL_PATH]
    return list(dict.fromkeys(order))


def write_binding_eval(out: Path, seed: int) -> int:
    """Held-out episodes as JSON lines ({"support": [[path, name], ...], "query": path, "answer": name})
    with their pictures; returns the number of episodes."""
    folder = out / BINDING_DIR
    (folder / "images").mkdir(parents=True)
    count = 0
    with open(folder / EPISODES_FILE, "w", encoding="utf-8") as f:
        for e, episode in enumerate(plan_episodes(seed)):
            pictures = [scene for scene, _ in episode.support] + [episode.query]
            paths = []
            for n, scene in enumerate(pictures):
                rel = f"images/b{e:03d}-{n}.jpg"
                (folder / rel).write_bytes(media.encode_image(media.draw_scene(scene, 80, 80), "jpg"))
                paths.append(rel)
            support = [[path, name] for path, (_, name) in zip(paths, episode.support, strict=False)]
            f.write(json.dumps({"support": support, "query": paths[-1], "answer": episode.answer}) + "\n")
            count += 1
    return count


def write_kids_corner(out: Path, seed: int, eval_captions: set[str], data_uri: str) -> dict:
    """Write the corner's pages, pictures and WARCs under `out` and the binding episodes; returns counts."""
    site = out / "site"
    counts: dict = {}
    for name, (pages, images) in (
        ("series", plan_series(seed, avoid=eval_captions)),
        ("quiz", plan_quiz(seed)),
    ):
        _write_pages(site, pages, images, data_uri)
        warc = write_warc(site, out / f"{name}.warc.gz", _captures(pages), seed=seed)
        counts[name] = {"pages": len(pages), "images": len(images), "warc_records": warc["records"]}
    counts["binding_episodes"] = write_binding_eval(out, seed)
    return counts
