"""`flamingo build m3w --languages all` on a WARC of real article text in six languages, made here
with images in the archive: articles kept, chrome-only pages rejected for their text, an image
missing from the archive rejected as not_in_archive, a truncated record kept with
--keep-truncated and marked in its metadata."""

from __future__ import annotations

import io
import json
import tarfile

import pyarrow.parquet as pq
from PIL import Image, ImageDraw
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipeline.jobs import m3w
from tests.filters.real_article_texts import ARTICLES, BOILERPLATE

SITE = "http://news.test"


def _jpeg(seed: int) -> bytes:
    img = Image.new("RGB", (160, 120), (30 * seed % 255, 90, 160))
    ImageDraw.Draw(img).ellipse((20, 10, 120, 100), fill=(240, 200 - 20 * seed % 200, 40))
    buf = io.BytesIO()
    img.save(buf, "JPEG")
    return buf.getvalue()


def _page(text: str, images: list[str]) -> bytes:
    paragraphs = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
    figures = "".join(f"<figure><img src='{src}' alt='photo'></figure>" for src in images)
    return (
        f"<html><body><nav>Home | News</nav><article>{figures}{paragraphs}</article></body></html>".encode()
    )


def _warc(path) -> None:
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=True)

        def record(url, ctype, body, warc_headers=None):
            http = StatusAndHeaders("200 OK", [("Content-Type", ctype)], protocol="HTTP/1.1")
            w.write_record(
                w.create_warc_record(
                    url,
                    "response",
                    payload=io.BytesIO(body),
                    http_headers=http,
                    warc_headers_dict=warc_headers,
                )
            )

        for i, (lang, text) in enumerate(sorted(ARTICLES.items())):
            images = [f"/img/{lang}.jpg"] + (["/img/missing.jpg"] if lang == "es" else [])
            headers = {"WARC-Truncated": "length"} if lang == "fr" else None
            record(f"{SITE}/{lang}/story.html", "text/html; charset=utf-8", _page(text, images), headers)
            record(f"{SITE}/img/{lang}.jpg", "image/jpeg", _jpeg(i))
        for lang in ("de", "ja"):
            record(
                f"{SITE}/{lang}/index.html",
                "text/html; charset=utf-8",
                _page(BOILERPLATE[lang], [f"/img/{lang}.jpg"]),
            )


def test_languages_all_keeps_real_articles_and_rejects_chrome_pages(tmp_path):
    warc = tmp_path / "news.warc.gz"
    _warc(warc)
    out = tmp_path / "out"
    argv = ["--input", str(warc), "--output", str(out), "--languages", "all", "--keep-truncated"]
    manifest = m3w.run([*argv, "--runner", "FnApiRunner", "--no-progress", "--no-dedup"])
    assert manifest["conservation_ok"]
    docs = {}
    for shard in out.glob("m3w-*.tar"):
        with tarfile.open(shard) as tar:
            for m in tar.getmembers():
                if m.name.endswith(".json"):
                    doc = json.loads(tar.extractfile(m).read())
                    docs[doc["metadata"]["language"]] = doc
    assert sorted(docs) == sorted(ARTICLES)  # every article kept, each with its image
    for lang, doc in docs.items():
        assert [i["url"] for i in doc["images"] if i] == [f"{SITE}/img/{lang}.jpg"]
    assert docs["fr"]["metadata"]["warc_truncated"] == "WARC-Truncated: length"
    assert "warc_truncated" not in docs["de"]["metadata"]
    rejects = [r for f in out.glob("rejects-*.parquet") for r in pq.read_table(f).to_pylist()]
    by_source = {(r["source"], r["reason"]): r["detail"] for r in rejects}
    assert by_source[(f"{SITE}/img/missing.jpg", "not_in_archive")].startswith(
        "not among the archive's image"
    )
    chrome = sorted((r["reason"], r["detail"].split(" ")[1]) for r in rejects if r["stage"] == "filter")
    assert chrome == [("text_quality", "letter"), ("text_quality", "word")]
