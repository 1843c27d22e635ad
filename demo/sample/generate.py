"""Write the embedded sample web: site files, lists, the eval split and the WARC.

Layout under OUT_DIR (every file a pure function of the seed and num_pages):
    site/                 the document root served by `flamingo sample serve`
      index.html robots.txt _headers.json
      articles/YYYY/aNNN.html   private/aNNN.html (disallowed by robots.txt)
      images/pNNNN.{jpg,png,webp} (+ -Ww srcset variants)   private/images/...
      static/ (site.css, blank.gif placeholder, pixel.gif, icons/logo-16.png, ads/banner-600x100.jpg)
      videos/vNNN.mp4
    pairs.csv videos.csv  url,caption with root-relative URLs (see `write_lists` for absolute ones)
    urls.txt              page URLs (root-relative), including private pages and one missing page
    eval/eval.csv eval/images/eNNNN.jpg   held-out captioned images for few-shot evaluation
    eval/binding/episodes.jsonl eval/binding/images/   held-out naming episodes (demo/sample/quiz.py)
    sample.warc.gz        the public site as crawled under http://sample.flamingo.test/
    series.warc.gz quiz.warc.gz   the kids' corner (site/kids/, demo/sample/kids.py), crawled apart
    sample.json           counts and the expected outcome of every pairs.csv row
"""

from __future__ import annotations

import base64
import json
import logging
import shutil
from pathlib import Path
from random import Random

from demo.sample import lists, media
from demo.sample.headers import SiteHeaders
from demo.sample.kids import write_kids_corner
from demo.sample.pages import render_index, render_page
from demo.sample.plan import (
    BANNER_PATH,
    CSS_PATH,
    LOGO_PATH,
    MISSING_PAGE_PATH,
    PIXEL_PATH,
    PLACEHOLDER_PATH,
    SitePlan,
    plan_site,
)
from demo.sample.warc import WARC_BASE_URL, write_warc

logger = logging.getLogger(__name__)

NUM_EVAL = 40
NUM_VIDEOS = 6
CSS = (
    b"body { font-family: Georgia, serif; max-width: 42em; margin: auto; }\n"
    b".cookie-banner { position: fixed; bottom: 0; }\n"
    b".ad { border: 1px solid #ccc; }\n"
)
ROBOTS = b"User-agent: *\nDisallow: /private/\n"


def _eval_split(seed: int, out: Path) -> list[tuple[str, media.Scene, int, int]]:
    rng = Random(f"flamingo-sample-eval:{seed}")
    items, rows = [], []
    (out / "images").mkdir(parents=True)
    for i in range(NUM_EVAL):
        scene = media.random_scene(rng)
        w, h = rng.randint(96, 256), rng.randint(96, 256)
        rel = f"images/e{i:04d}.jpg"
        (out / rel).write_bytes(media.encode_image(media.draw_scene(scene, w, h), "jpg"))
        items.append((rel, scene, w, h))
        rows.append((rel, scene.caption))
    lists.write_csv(out / "eval.csv", ("path", "caption"), rows)
    return items


def _image_files(plan: SitePlan, eval_dir: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    for img in plan.images:
        if img.kind == "scene":
            picture = media.draw_scene(img.scene, img.width, img.height)
            files[img.path] = media.encode_image(picture, img.fmt)
            for path, w, h in img.variants:
                files[path] = media.encode_image(picture.resize((w, h)), img.fmt)
        elif img.kind == "solid":
            files[img.path] = media.encode_image(
                media.solid_image(img.colour, img.width, img.height), img.fmt
            )
        elif img.kind == "duplicate":
            continue  # copied below, once its original exists
        elif img.kind == "eval_copy":
            files[img.path] = (eval_dir / img.copy_of).read_bytes()
        elif img.kind == "logo":
            logo = media.Scene(shape="circle", colour="blue", background="white", scale=0.8)
            files[img.path] = media.encode_image(media.draw_scene(logo, 16, 16), "png")
        elif img.kind == "banner":
            files[img.path] = media.encode_image(_banner(img.width, img.height), "jpg")
    for img in plan.images:
        if img.kind == "duplicate":
            files[img.path] = files[img.copy_of]
    for img in plan.images:
        if not img.written:
            files.pop(img.path, None)
    return files


def _banner(width: int, height: int):
    picture = media.solid_image("yellow", width, height)
    stripe = media.solid_image("red", width // 6, height)
    for x in range(0, width, width // 3):
        picture.paste(stripe, (x, 0))
    return picture


def _tiny_gif() -> bytes:
    return media.encode_image(media.solid_image("white", 1, 1), "gif")


def _data_uri() -> str:
    dot = media.draw_scene(media.Scene(shape="circle", colour="red", background="white", scale=0.9), 8, 8)
    return "data:image/png;base64," + base64.b64encode(media.encode_image(dot, "png")).decode()


def _videos(seed: int, site: Path) -> tuple[list[tuple[str, str]], str]:
    rng = Random(f"flamingo-sample-videos:{seed}")
    rows, codec = [], ""
    (site / "videos").mkdir(parents=True)
    for i in range(NUM_VIDEOS):
        base = media.random_scene(rng)
        scene = media.Scene(
            shape=base.shape, colour=base.colour, background=base.background, scale=rng.uniform(0.25, 0.4)
        )
        clip = media.Clip(
            scene=scene,
            direction=media.DIRECTIONS[(i + rng.randrange(4)) % 4],
            size=rng.choice((96, 128)),
            seconds=float(rng.choice((9, 10, 12))),
        )
        path = f"/videos/v{i:03d}.mp4"
        codec = media.write_clip(clip, site / path.lstrip("/"))
        rows.append((path, clip.caption))
    return rows, codec


def _warc_captures(plan: SitePlan) -> list[str]:
    """Root-relative paths in crawl order: robots.txt, home, then each public page and its resources."""
    order = ["/robots.txt", "/index.html", CSS_PATH]
    for page in plan.pages:
        if page.private:
            continue  # a polite crawler honoured robots.txt
        order += [page.path, LOGO_PATH]
        for kind, slot in page.blocks:
            if kind != "img":
                continue
            if slot.style == "lazy":
                order.append(PLACEHOLDER_PATH)
            order += [p for p, _, _ in slot.image.variants] + [slot.image.ref_path]
            if slot.image.ref_path in plan.redirects:
                order.append(plan.redirects[slot.image.ref_path])
        order += [BANNER_PATH, PIXEL_PATH]
    return list(dict.fromkeys(order))  # each URL fetched once


def _prepare_dir(path: Path, marker: str) -> None:
    """Remove a previous sample (recognised by its marker file); refuse to clobber anything else."""
    if path.exists():
        if not (path / marker).exists() and any(path.iterdir()):
            raise FileExistsError(
                f"{path} exists and is not a sample written by this tool (no {marker}); "
                "choose an empty or new output directory"
            )
        shutil.rmtree(path)


def write_sample_web(out_dir: str | Path, seed: int = 0, num_pages: int = 50) -> dict:
    """Write the whole sample web under out_dir; returns a summary (paths, counts, expectations)."""
    out = Path(out_dir)
    site, eval_dir = out / "site", out / "eval"
    out.mkdir(parents=True, exist_ok=True)
    _prepare_dir(site, "_headers.json")
    _prepare_dir(eval_dir, "eval.csv")
    eval_items = _eval_split(seed, eval_dir)
    plan = plan_site(seed, num_pages, eval_items)

    files = _image_files(plan, eval_dir)
    titles = {p.path: p.title for p in plan.pages}
    data_uri = _data_uri()
    for page in plan.pages:
        files[page.path] = render_page(page, titles, data_uri)
    gif = _tiny_gif()
    files.update(
        {
            "/index.html": render_index(plan.pages),
            "/robots.txt": ROBOTS,
            CSS_PATH: CSS,
            PLACEHOLDER_PATH: gif,
            PIXEL_PATH: gif,
        }
    )
    for path, data in sorted(files.items()):
        target = site / path.lstrip("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    noai = sorted(img.path for img in plan.images if img.expect == "opted_out")
    SiteHeaders(headers={p: {"X-Robots-Tag": "noai"} for p in noai}, redirects=plan.redirects).save(site)
    video_rows, codec = _videos(seed, site)

    pair_rows = [(img.ref_path, img.caption) for img in plan.images]
    url_rows = [p.path for p in plan.pages] + [MISSING_PAGE_PATH]
    lists.write_csv(out / "pairs.csv", ("url", "caption"), pair_rows)
    lists.write_csv(out / "videos.csv", ("url", "caption"), video_rows)
    (out / "urls.txt").write_text("".join(u + "\n" for u in url_rows))
    warc_counts = write_warc(
        site,
        out / "sample.warc.gz",
        _warc_captures(plan),
        seed=seed,
        revisit_path=next(p.path for p in plan.pages if not p.private),
    )
    kids = write_kids_corner(out, seed, {scene.caption for _, scene, _, _ in eval_items}, data_uri)
    summary = _summary(plan, seed, num_pages, pair_rows, video_rows, codec, warc_counts)
    summary["counts"]["kids"] = kids
    (out / "sample.json").write_text(json.dumps(summary, indent=2, sort_keys=True) + "\n")
    summary["paths"] = {name: str(out / rel) for name, rel in summary["files"].items()}
    logger.info(
        "wrote sample web to %s: %d pages, %d pairs, %d videos, %d WARC records",
        out,
        len(plan.pages),
        len(pair_rows),
        len(video_rows),
        warc_counts["records"],
    )
    return summary


def _summary(
    plan: SitePlan, seed: int, num_pages: int, pair_rows, video_rows, codec: str, warc_counts
) -> dict:
    def by(expect: str) -> list[str]:
        return sorted(img.ref_path for img in plan.images if img.expect == expect)

    duplicates = [[img.copy_of, img.path] for img in plan.images if img.kind == "duplicate"]
    return {
        "seed": seed,
        "num_pages": num_pages,
        "warc_base_url": WARC_BASE_URL,
        "video_codec": codec,
        "files": {
            "site": "site",
            "warc": "sample.warc.gz",
            "pairs": "pairs.csv",
            "videos": "videos.csv",
            "urls": "urls.txt",
            "eval_csv": "eval/eval.csv",
            "summary": "sample.json",
            "series_warc": "series.warc.gz",
            "quiz_warc": "quiz.warc.gz",
            "binding_episodes": "eval/binding/episodes.jsonl",
        },
        "counts": {
            "pages": len(plan.pages),
            "public_pages": sum(not p.private for p in plan.pages),
            "private_pages": sum(p.private for p in plan.pages),
            "pages_with_base": sum(bool(p.base) for p in plan.pages),
            "urls": len(plan.pages) + 1,
            "pairs": len(pair_rows),
            "pairs_ok": len(by("ok")),
            "videos": len(video_rows),
            "eval": NUM_EVAL,
            "warc": warc_counts,
        },
        "expected_pairs": {img.ref_path: img.expect for img in plan.images},
        "noai": by("opted_out"),
        "missing_images": by("http_404"),
        "missing_pages": [MISSING_PAGE_PATH],
        "private_pages": [p.path for p in plan.pages if p.private],
        "redirects": plan.redirects,
        "duplicates": duplicates,
        "eval_contaminated": [[img.copy_of, img.path] for img in plan.images if img.kind == "eval_copy"],
    }
