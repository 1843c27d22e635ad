"""The embedded sample web: determinism, the WARC copy, the live copy, and the lists."""

from __future__ import annotations

import csv
import hashlib
import json
import re
import subprocess
from collections import Counter
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from bs4 import BeautifulSoup
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from crawlers.media.ffmpeg_bin import ffmpeg_exe
from demo.sample import write_sample_web
from demo.sample.media import COLOURS, SHAPES
from demo.sample.warc import WARC_BASE_URL
from filters import TextQualityFilter, TextRepetitionFilter
from schemas import Document, url_key

CAPTION = re.compile(rf"^a ({'|'.join(COLOURS)}) ({'|'.join(SHAPES)}) on a ({'|'.join(COLOURS)}) background$")
VIDEO_CAPTION = re.compile(
    rf"^a ({'|'.join(COLOURS)}) ({'|'.join(SHAPES)}) moving (left|right|up|down) "
    rf"on a ({'|'.join(COLOURS)}) background$"
)
STOP_WORDS = {"the", "be", "to", "of", "and", "that", "have", "with"}  # Gopher's required stop words


def _digests(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _rows(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# -- determinism --------------------------------------------------------------------------------


def test_same_seed_gives_identical_bytes_for_every_file(sample, tmp_path):
    out, _ = sample
    write_sample_web(tmp_path, seed=0)
    first, second = _digests(out), _digests(tmp_path)
    assert first == second
    assert {
        "pairs.csv",
        "videos.csv",
        "urls.txt",
        "sample.warc.gz",
        "eval/eval.csv",
        "site/robots.txt",
        "site/_headers.json",
        "site/videos/v000.mp4",
    } <= set(first)


def test_rewrite_with_other_seed_replaces_the_sample_but_refuses_foreign_dirs(tmp_path):
    write_sample_web(tmp_path, seed=1, num_pages=8)
    first_pairs = (tmp_path / "pairs.csv").read_bytes()
    stale = tmp_path / "site/images/stale.jpg"
    stale.write_bytes(b"x")
    write_sample_web(tmp_path, seed=2, num_pages=8)
    assert not stale.exists()
    assert (tmp_path / "pairs.csv").read_bytes() != first_pairs
    (tmp_path / "other/site").mkdir(parents=True)
    (tmp_path / "other/site/mine.txt").write_text("keep me")
    with pytest.raises(FileExistsError, match="not a sample written by this tool"):
        write_sample_web(tmp_path / "other", seed=1, num_pages=8)
    assert (tmp_path / "other/site/mine.txt").read_text() == "keep me"


def test_too_few_pages_is_a_specific_error(tmp_path):
    with pytest.raises(ValueError, match="num_pages must be at least 8"):
        write_sample_web(tmp_path, num_pages=3)


# -- contents -----------------------------------------------------------------------------------


def test_lists_and_counts(sample):
    out, info = sample
    pairs, videos, evals = _rows(out / "pairs.csv"), _rows(out / "videos.csv"), _rows(out / "eval/eval.csv")
    urls = (out / "urls.txt").read_text().splitlines()
    counts = info["counts"]
    assert (counts["pages"], counts["public_pages"], counts["private_pages"]) == (50, 48, 2)
    assert len(pairs) == counts["pairs"] and 180 <= len(pairs) <= 260
    assert len(videos) == 6 and len(evals) == 40 and len(urls) == 51
    assert [r["url"] for r in pairs] == list(info["expected_pairs"])
    assert Counter(info["expected_pairs"].values()) == Counter(
        {
            "ok": counts["pairs_ok"],
            "opted_out": 5,
            "http_404": 4,
            "robots_disallowed": counts["pairs"] - counts["pairs_ok"] - 15,
            "single_colour": 2,
            "duplicate_exact": 1,
            "eval_contamination": 1,
            "logo_url": 1,
            "aspect_ratio": 1,
        }
    )
    scene_rows = [
        r
        for r in pairs
        if info["expected_pairs"][r["url"]] not in ("single_colour", "logo_url", "aspect_ratio")
    ]
    assert all(CAPTION.match(r["caption"]) for r in scene_rows + evals)
    assert all(VIDEO_CAPTION.match(r["caption"]) for r in videos)
    assert [u for u in urls if u.startswith("/private/")] == info["private_pages"]
    assert json.loads((out / "sample.json").read_text())["counts"] == counts


def test_images_have_the_planned_sizes_and_defects(sample):
    out, info = sample
    site = out / "site"
    for url, expect in info["expected_pairs"].items():
        path = site / url.lstrip("/")
        if expect == "http_404" or url in info["redirects"]:
            assert not path.exists()
            continue
        with Image.open(path) as img:
            img.load()
            w, h = img.size
            if expect in ("ok", "opted_out", "robots_disallowed", "duplicate_exact", "eval_contamination"):
                assert 96 <= w <= 256 and 96 <= h <= 256, url
                assert len(img.convert("RGB").getcolors(1 << 16)) >= 2, url  # a shape on a background
            elif expect == "logo_url":
                assert (w, h) == (16, 16) and "logo" in url
            elif expect == "aspect_ratio":
                assert w / h > 3
            elif expect == "single_colour":
                assert len(img.convert("RGB").getcolors()) == 1
    formats = Counter(Path(u).suffix for u, e in info["expected_pairs"].items() if e == "ok")
    assert set(formats) == {".jpg", ".png", ".webp"}
    ((original, copy),) = info["duplicates"]
    assert (site / original.lstrip("/")).read_bytes() == (site / copy.lstrip("/")).read_bytes()
    ((eval_file, site_copy),) = info["eval_contaminated"]
    assert (out / "eval" / eval_file).read_bytes() == (site / site_copy.lstrip("/")).read_bytes()


def test_every_page_reference_resolves_only_when_base_is_honoured(sample):
    out, info = sample
    site, base = out / "site", "http://h/"
    special = set(info["missing_images"]) | set(info["redirects"])
    pages = [u for u in (out / "urls.txt").read_text().splitlines() if u not in info["missing_pages"]]
    seen_styles = Counter()
    for page_url in pages:
        soup = BeautifulSoup((site / page_url.lstrip("/")).read_bytes(), "lxml")
        base_tag = soup.find("base")
        doc_base = (
            urljoin(base + page_url.lstrip("/"), base_tag["href"])
            if base_tag
            else base + page_url.lstrip("/")
        )
        refs = []
        for img in soup.find_all(["img", "source"]):
            refs += [img.get("src"), img.get("data-src")]
            refs += [c.split()[0] for c in img.get("srcset", "").split(",") if c.strip()]
            seen_styles.update(k for k in ("data-src", "srcset") if img.get(k))
        for ref in filter(None, refs):
            if ref.startswith("data:"):
                seen_styles["data:"] += 1
                continue
            path = urlsplit(urljoin(doc_base, ref)).path
            assert path in special or (site / path.lstrip("/")).is_file(), (page_url, ref)
            if base_tag and not ref.startswith("/"):
                wrong = urlsplit(urljoin(base + page_url.lstrip("/"), ref)).path
                assert not (site / wrong.lstrip("/")).exists(), (page_url, ref)
        text = " ".join(p.get_text(" ") for p in soup.select("article p"))
        words = text.lower().split()
        assert len(words) >= 50 and len(STOP_WORDS & set(words)) >= 2
        assert 3 <= sum(map(len, words)) / len(words) <= 10
        assert soup.select("figure figcaption") or soup.find("img", srcset=True)
        for selector in (
            "nav",
            "footer",
            ".cookie-banner",
            ".share",
            ".related",
            ".comments",
            ".ad",
            "form",
            "table",
            "ul",
            'img[width="1"][height="1"]',
        ):
            assert soup.select(selector), (page_url, selector)
    assert info["counts"]["pages_with_base"] == 10
    assert seen_styles["data-src"] and seen_styles["srcset"] and seen_styles["data:"]


def test_article_text_passes_the_gopher_rules(sample):
    # The demo needs documents that survive the default text filters; build each page's text
    # blocks (paragraphs, list items, captions) into a Document and run the quality rules on it.
    out, info = sample
    rules = (TextQualityFilter(), TextRepetitionFilter())
    verdicts = Counter()
    for page_url in (out / "urls.txt").read_text().splitlines():
        if page_url in info["missing_pages"]:
            continue
        soup = BeautifulSoup((out / "site" / page_url.lstrip("/")).read_bytes(), "lxml")
        texts = [
            el.get_text(" ", strip=True)
            for el in soup.select("article h1, article p, article li, figcaption")
        ]
        texts = [t for t in texts if t]
        doc = Document(key=url_key(page_url), url=page_url, texts=texts, images=[None] * len(texts))
        verdicts.update(type(rule.filter(doc)).__name__ for rule in rules)
    assert verdicts == Counter({"Keep": 2 * 50})


def test_videos_are_small_mp4_long_enough_for_the_default_sampling(sample):
    out, info = sample
    assert info["video_codec"] in ("libx264", "mpeg4")
    for row in _rows(out / "videos.csv"):
        probe = subprocess.run(
            [ffmpeg_exe(), "-hide_banner", "-i", str(out / "site" / row["url"].lstrip("/"))],
            capture_output=True,
            text=True,
            check=False,
        ).stderr
        seconds = float(re.search(r"Duration: 00:00:(\d+\.\d+)", probe).group(1))
        w, h = map(int, re.search(r"Video: \w+.*?, (\d+)x(\d+)", probe).groups())
        # the videos job samples 8 frames at 1 fps by default: clips must last at least 8 s
        assert 9 <= seconds <= 12 and 96 <= w == h <= 128


# -- the WARC copy ------------------------------------------------------------------------------


def test_warc_records_match_the_site(sample):
    out, info = sample
    site, noai = out / "site", set(info["noai"])
    types, statuses, kinds = Counter(), Counter(), Counter()
    revisits = []
    with open(out / "sample.warc.gz", "rb") as f:
        for record in ArchiveIterator(f):
            kinds[record.rec_type] += 1
            uri = record.rec_headers.get_header("WARC-Target-URI")
            if record.rec_type == "revisit":
                revisits.append(record)
            if record.rec_type != "response":
                continue
            assert uri.startswith(WARC_BASE_URL)
            path = urlsplit(uri).path
            status = record.http_headers.get_statuscode()
            ctype = record.http_headers.get_header("Content-Type")
            body = record.content_stream().read()
            statuses[status] += 1
            types[ctype.split(";")[0]] += 1
            assert not path.startswith("/private/")  # the crawl honoured robots.txt
            if status == "200":
                assert body == (site / path.lstrip("/")).read_bytes()
                assert int(record.http_headers.get_header("Content-Length")) == len(body)
            elif status == "404":
                assert path in info["missing_images"]
            else:
                assert (
                    status == "301" and record.http_headers.get_header("Location") == info["redirects"][path]
                )
            assert (record.http_headers.get_header("X-Robots-Tag") == "noai") == (path in noai)
    warc = info["counts"]["warc"]
    assert dict(kinds) == {
        "warcinfo": 1,
        "request": warc["request"],
        "response": warc["response"],
        "revisit": 1,
    }
    assert warc["request"] == warc["response"] + 1  # the revisit has its request too
    assert dict(types) == warc["responses_by_type"] and dict(statuses) == warc["responses_by_status"]
    assert types["text/html"] == 48 + 1 + 4 + 1  # public pages, home, 404 bodies, the redirect body
    assert {"image/jpeg", "image/png", "image/webp", "image/gif", "text/css", "text/plain"} <= set(types)
    assert statuses["404"] == 4 and statuses["301"] == 1
    (revisit,) = revisits
    assert revisit.rec_headers.get_header("WARC-Refers-To-Target-URI") == revisit.rec_headers.get_header(
        "WARC-Target-URI"
    )
    assert revisit.rec_headers.get_header("WARC-Profile").endswith("identical-payload-digest")


def test_written_bytes_are_small(sample):
    out, _ = sample
    assert sum(p.stat().st_size for p in out.rglob("*") if p.is_file()) < 8 << 20
