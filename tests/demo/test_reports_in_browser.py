"""The demo's four reports (three builds and the demo's own) opened in headless Chromium, as a new
user would: headings above their charts, galleries holding the expected images, every image
decoded, no request leaving the file, and a screenshot of each for people to look at
(next to each report, and copied to out/test-screenshots/ in the repository)."""

from __future__ import annotations

import json
import math
import re
import shutil
from pathlib import Path

import pytest

from pipeline.report import galleries
from pipeline.report.page import CSP
from tests.browser import headings_and_figures, render

SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "test-screenshots"
MAX_PAGE_BYTES = 2 * 2**20


def _rendered(report: Path, name: str):
    shot = report.with_suffix(".png")
    rendered = render(report, shot)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, SCREENSHOTS / f"{name}.png")
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 10_000
    return rendered


def _between(dom: str, start: str, end: str | None) -> str:
    i = dom.index(start)
    return dom[i : dom.index(end, i + len(start)) if end else len(dom)]


def _expected_pairs(manifest: dict) -> int:
    """How many samples the pairs gallery reads: the first ceil(N / shards) of each spaced shard."""
    shards = [s for s in manifest["shards"] if s["count"]]
    spaced = galleries.evenly_spaced(shards, galleries.MAX_SHARDS)
    per_shard = math.ceil(galleries.NUM_PAIRS / len(spaced))
    return min(galleries.NUM_PAIRS, sum(min(per_shard, s["count"]) for s in spaced))


def test_probe_sees_requests_and_broken_images(tmp_path):
    """The checks below can fail: a page that reaches out and holds a broken image is caught."""
    page = tmp_path / "bad.html"
    page.write_text(
        f'<!doctype html><html><head><meta http-equiv="Content-Security-Policy" content="{CSP}"></head>'
        '<body><h1>bad</h1><img src="http://127.0.0.1:9/x.png"><img src="data:image/jpeg;base64,AAAA">'
        "</body></html>"
    )
    rendered = render(page, tmp_path / "bad.png")
    assert rendered.blocked == ["http://127.0.0.1:9/x.png"]
    assert [img.get("data-decoded") for img in rendered.images()] == ["0", "0"]


@pytest.mark.parametrize("job", ["pairs", "m3w", "videos"])
def test_build_report_in_a_browser(demo_run, job):
    out, _ = demo_run
    build = out / "shards" / job
    manifest = json.loads((build / "manifest.json").read_text())
    report = build / "report.html"
    assert report.stat().st_size <= MAX_PAGE_BYTES
    r = _rendered(report, f"{job}-build-report")
    assert r.resources == [] and r.blocked == []  # nothing left the file
    order = headings_and_figures(r.dom)
    assert order[0] == ("h1", f"{job} build: {job}")
    figures = [i for i, (tag, _) in enumerate(order) if tag == "figure"]
    assert len(figures) >= 5 and all(order[i - 1][0] == "h3" for i in figures)  # each chart under its heading
    h2 = [text for tag, text in order if tag == "h2"]
    assert h2[:1] == ["Kept samples"] and h2[-3:] == [
        "Throughput",
        "Rejects by stage and reason",
        "Counts and distributions",
    ]
    assert ("h3", "Stage activity over the run") in order and ("h3", "Processing time per step") in order
    assert r.dom.index('class="summary"') < r.dom.index("<h2>")  # the summary on top

    images = r.images()
    assert images and all(img["data-decoded"] == "1" for img in images)  # every thumbnail decodes
    kept = _between(r.dom, "<h2>Kept samples</h2>", "<h2>")
    if job == "pairs":
        assert len(re.findall(r"<img ", kept)) == _expected_pairs(manifest)
        rejected = _between(r.dom, "<h2>Rejected inputs</h2>", "<h2>")
        # the demo's flat-colour image was decoded before the filter dropped it: its picture shows
        single = _between(rejected, "single_colour", "</div>")
        assert (
            len(re.findall(r'<img class="thumb"', single)) == manifest["rejected_by_reason"]["single_colour"]
        )
    elif job == "m3w":
        docs = re.findall(r'<article class="doc">(.*?)</article>', kept, re.S)
        assert len(docs) == galleries.NUM_DOCS
        for doc in docs:
            said = re.search(r"(\d+) text blocks and (\d+) images in this order", doc)
            assert len(re.findall(r'<p class="block">', doc)) == int(said.group(1))
            assert len(re.findall(r"<img ", doc)) == int(said.group(2)) >= 1
    else:
        strips = re.findall(r'<div class="strip">(.*?)</div>', kept, re.S)
        assert len(strips) == manifest["written"]  # the demo's 6 videos, fewer than NUM_VIDEOS
        assert [len(re.findall(r"<img ", s)) for s in strips] == [4] * len(strips)  # --num-frames 4
    stages = re.findall(r"<tr><td>(\w+)</td>", _between(r.dom, '<table class="stages">', "</table>"))
    assert stages == [s["stage"] for s in manifest["throughput"]["stages"]]


def test_demo_report_in_a_browser(demo_run):
    out, report = demo_run
    r = _rendered(out / "report.html", "demo-report")
    assert r.resources == [] and r.blocked == []
    assert all(img["data-decoded"] == "1" for img in r.images()) and r.images()[0]["alt"] == "loss curves"
    order = headings_and_figures(r.dom)
    assert order[0][0] == "h1" and r.dom.index('class="summary"') < r.dom.index("<h2>")
    examples = re.findall(r'<div class="example (?:correct|wrong)">(.*?)</div></div>', r.dom, re.S)
    assert len(examples) == len(report["eval"]["examples"]) == 4
    for html, example in zip(examples, report["eval"]["examples"], strict=True):
        query = _between(html, '<figure class="query">', "</figure>")
        assert len(re.findall(r"<img ", query)) == 1 and f"query {example['key']}" in query
        assert len(re.findall(r'<figure class="shot"><img ', html)) == 4  # its prompt's 4 support images
    links = re.findall(r'<a href="([^"]+)">', r.dom)
    assert links == ["shards/pairs/report.html", "shards/m3w/report.html", "shards/videos/report.html"]
