"""Pair dedup + decontamination on the embedded sample web: exactly its planted cases, nothing else."""

from __future__ import annotations

import csv

import pytest

from crawlers.media.images import ImageProcessor, ResizeConfig
from demo.sample import write_sample_web
from pipeline.dedup.decontaminate import load_eval_csv
from pipeline.dedup.deduplicate import Deduplicate
from schemas import ImageTextPair, MediaFile, PairSample, RejectReason, url_key
from tests.pipeline.beam_collect import run_collect


@pytest.fixture(scope="module")
def sample_web(tmp_path_factory):
    out = tmp_path_factory.mktemp("web")
    return out, write_sample_web(out, seed=0)


def test_pairs_dedup_finds_the_planted_copies_only(sample_web, tmp_path):
    out, info = sample_web
    proc = ImageProcessor(
        ResizeConfig(image_size=224, resize_mode="border", encode_format="jpg", encode_quality=95)
    )
    samples = []
    for row in csv.DictReader((out / "pairs.csv").open()):
        path = out / "site" / row["url"].lstrip("/")
        if not path.exists():
            continue
        img = proc.process(path.read_bytes())
        if not img.ok:
            continue
        pair = ImageTextPair(
            key=url_key(row["url"]),
            url=row["url"],
            caption=row["caption"],
            sha256=img.sha256,
            original_width=img.original_width,
            original_height=img.original_height,
        )
        samples.append(PairSample(pair, MediaFile(img.data, img.ext)))
    images, texts = load_eval_csv(str(out / "eval" / "eval.csv"))
    result = run_collect(samples, Deduplicate("pair", eval_images=images, eval_texts=texts), tmp_path)
    rejects = {r.source: r for r in result["rejects"]}
    [[original, copy]] = info["duplicates"]
    [[eval_file, contaminated]] = info["eval_contaminated"]
    assert sorted(rejects) == sorted([copy, contaminated])
    assert rejects[copy].reason == RejectReason.DUPLICATE_EXACT and rejects[copy].kept_key == url_key(
        original
    )
    assert rejects[contaminated].reason == RejectReason.EVAL_CONTAMINATION
    assert rejects[contaminated].detail.endswith(f"of eval image {eval_file}")
    assert len(result["kept"]) == len(samples) - 2
