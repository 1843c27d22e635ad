"""The M3W job end to end on the sample web: WARC mode, URL mode, and WARC == live (modulo host)."""

from __future__ import annotations

import json
import tarfile
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import apache_beam as beam
import pyarrow.parquet as pq
import pytest
import webdataset as wds

from crawlers import extract_document
from crawlers.html.charset import decode_html
from crawlers.warc import WarcPage, iter_warc
from demo.sample import serve_site, write_sample_web
from pipeline.jobs import m3w
from pipeline.runner.local_runner import LocalRunner
from pipeline.runner.options import make_pipeline_options
from pipeline.steps.m3w import TEXT_FILTERS, document_chains, url_of_line


@pytest.fixture(scope="module")
def web(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("web")
    write_sample_web(out, seed=0, num_pages=12)
    return out


def _samples(out: Path) -> dict[str, dict[str, bytes]]:
    samples: dict[str, dict[str, bytes]] = {}
    for shard in sorted(out.glob("m3w-*.tar")):
        with tarfile.open(shard) as tar:
            for m in tar.getmembers():
                key, ext = m.name.split(".", 1)
                samples.setdefault(key, {})[ext] = tar.extractfile(m).read()
    return samples


def _rejects(out: Path) -> list[dict]:
    return [r for f in sorted(out.glob("rejects-*.parquet")) for r in pq.read_table(f).to_pylist()]


def _shape(doc: dict) -> list:
    """A document modulo host: texts, and image URL paths."""
    return [
        t if t is not None else ("IMG", urlsplit(i["url"]).path)
        for t, i in zip(doc["texts"], doc["images"], strict=False)
    ]


def test_warc_job_conserves_inputs_and_writes_consistent_samples(web, tmp_path):
    out = tmp_path / "out"
    manifest = m3w.run(["--input", str(web / "sample.warc.gz"), "--output", str(out), "--no-progress"])
    assert manifest["conservation_ok"] and manifest["inputs"] == manifest["written"] + manifest["rejected"]
    samples = _samples(out)
    assert len(samples) == manifest["written"] > 0
    shards = sorted(str(p) for p in out.glob("m3w-*.tar"))
    by_webdataset = {  # webdataset 1.x groups KEY.json, KEY.000.jpg, ... into one sample as we do
        s["__key__"]: {k: v for k, v in s.items() if not k.startswith("__")}
        for s in wds.WebDataset(shards, shardshuffle=False)
    }
    assert by_webdataset == samples
    for key, members in samples.items():
        doc = json.loads(members["json"])
        assert doc["key"] == key
        names = doc["metadata"]["image_members"]
        slots = [i for i in doc["images"] if i is not None]
        assert len(names) == len(slots) >= 1  # the paper keeps pages with at least one image
        assert sorted(n for n in names if n) == sorted(m for m in members if m != "json")
        assert all(s["url"].startswith("http://sample.flamingo.test/") and s["width"] == 224 for s in slots)
    rejects = _rejects(out)
    assert {"read": 1} == {r["stage"]: 1 for r in rejects if r["reason"] == "duplicate_exact"}  # the revisit
    image_reasons = {r["reason"] for r in rejects if r["stage"] == "image"}
    assert image_reasons <= {
        "not_in_archive",
        "opted_out",
        "single_colour",
        "image_too_small",
        "aspect_ratio",
        "logo_url",
    }


def test_warc_and_live_site_give_the_same_documents(web):
    warc_docs = {}
    with open(web / "sample.warc.gz", "rb") as fh:
        for item in iter_warc(fh, "sample.warc.gz"):
            if isinstance(item, WarcPage):
                text, _ = decode_html(item.html, item.charset)
                warc_docs[urlsplit(item.url).path] = _shape(extract_document(text, item.url).to_dict())
    assert len(warc_docs) >= 10
    with serve_site(web / "site") as base:
        for path, shape in warc_docs.items():
            with urllib.request.urlopen(base.rstrip("/") + path) as resp:
                charset = resp.headers.get_content_charset()
                text, _ = decode_html(resp.read(), charset)
            live = _shape(extract_document(text, base.rstrip("/") + path).to_dict())
            assert live == shape, path


def test_url_mode_crawls_the_live_site(web, tmp_path):
    paths = (web / "urls.txt").read_text().split()[:4]
    with serve_site(web / "site") as base:
        urls = tmp_path / "urls.txt"
        # comments and blank lines are not inputs
        urls.write_text("# the sample site\n\n" + "".join(base.rstrip("/") + p + "\n" for p in paths))
        out = tmp_path / "out"
        manifest = m3w.run(
            [
                "--urls",
                str(urls),
                "--output",
                str(out),
                "--no-progress",
                "--allow-private",
                "--per-host-interval",
                "0",
            ]
        )
    assert manifest["conservation_ok"] and manifest["inputs"] == 4
    for members in _samples(out).values():
        doc = json.loads(members["json"])
        assert doc["metadata"]["final_url"].startswith(base.rstrip("/"))
        assert "fetch_time" in doc["metadata"]


def test_document_chains_follow_languages_flag():
    text_all, _ = document_chains(None, ["all"])
    text_en, post = document_chains(None, ["en"])
    assert "language" not in text_all.names and text_en.names[0] == "language"
    assert "image_count" in post.names and not set(post.names) & TEXT_FILTERS
    # the paper's English rules by default; per-language rules for any other --languages
    quality = {name: f for name, f in zip(text_en.names, text_en.filters, strict=True)}["text_quality"]
    assert quality.languages == ()
    quality = {name: f for name, f in zip(text_all.names, text_all.filters, strict=True)}["text_quality"]
    assert list(quality.languages) == ["all"]


def test_document_chains_keep_configured_language_settings(tmp_path):
    cfg = tmp_path / "filters.yaml"
    cfg.write_text("document:\n  - image_count: {}\n  - language: {languages: [fr], min_score: 0.9}\n")
    text, _ = document_chains(str(cfg), ["en", "de"])
    lang = text.filters[0]
    assert text.names[0] == "language" and lang.min_score == 0.9 and list(lang.languages) == ["en", "de"]


def test_url_list_is_read_by_text_io_in_splits(tmp_path):
    """`--urls` is read with Beam's text IO, whose source splits a file by byte ranges (one split per
    worker bundle) instead of one worker reading the whole list; every line lands in one split."""
    lines = [f"http://h{i % 7}.test/page/{i}" for i in range(2000)] + ["", "# a comment", "\xff\xfe"]
    path = tmp_path / "urls.txt"
    path.write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    config = m3w.M3WConfig(urls=str(path), output=str(tmp_path / "out"))
    p = beam.Pipeline(runner=LocalRunner(), options=make_pipeline_options([]))
    m3w.read_pages(p, config)
    reads = [t for t in p.to_runner_api().components.transforms.values() if t.unique_name == "ReadUrls"]
    assert len(reads) == 1  # the job's graph reads the list with ReadFromText
    source = beam.io.ReadFromText(str(path), coder=beam.coders.BytesCoder())._source
    bundles = list(source.split(desired_bundle_size=8192))
    assert len(bundles) >= 5
    got = []
    for b in bundles:
        for line in b.source.read(b.source.get_range_tracker(b.start_position, b.stop_position)):
            got += url_of_line(line)
    assert sorted(got) == sorted(lines[:2000] + ["\ufffd\ufffd"])  # the bad bytes decoded, not fatal
