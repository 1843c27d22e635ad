"""`flamingo export obelics|mmc4`: read back with `datasets` and with readers written from the
formats' documented fields (the HuggingFaceM4/OBELICS card; the allenai/mmc4 README and how
OpenFlamingo's MMC4 loader uses them)."""

from __future__ import annotations

import base64
import io
import json
import shutil

import datasets
import pyarrow.parquet as pq
import pytest
from PIL import Image

from pipeline.cli import main as cli_main
from pipeline.io.manifest import ConservationError
from pipeline.jobs.export import run
from tests.pipeline.builds import M3W_PAGES, RUNNER, write_builds

SIX = "a600000000000000000000000"
SEVEN = "a700000000000000000000000"
EIGHT = "a800000000000000000000000"


@pytest.fixture(scope="module")
def exports(tmp_path_factory):
    root = tmp_path_factory.mktemp("export")
    builds = write_builds(root / "builds")
    out = {"builds": builds}
    for fmt in ("obelics", "mmc4"):
        for images in ("urls", "bytes"):
            target = root / f"{fmt}-{images}"
            out[fmt, images] = (
                target,
                run([fmt, str(builds["m3w"]), str(target), "--images", images, RUNNER]),
            )
    return out


def obelics_documents(rows):
    """An OBELICS consumer, from the dataset card's words: `images` and `texts` are lists of one
    size with exactly one element set per index; `metadata` is a JSON list of that size with a
    dict at each image; `general_metadata` a JSON dict with the document's URL."""
    docs = {}
    for row in rows:
        assert len(row["images"]) == len(row["texts"])
        assert all((i is None) != (t is None) for i, t in zip(row["images"], row["texts"], strict=True))
        meta = json.loads(row["metadata"])
        assert len(meta) == len(row["images"])
        assert all((m is None) == (i is None) for m, i in zip(meta, row["images"], strict=True))
        general = json.loads(row["general_metadata"])
        docs[general["key"]] = (row["images"], row["texts"], meta, general)
    return docs


def openflamingo_interleaved(doc, sim_threshold=0.24):
    """An MMC4 consumer after OpenFlamingo's loader: per image its `matched_text_index` and that
    column of its `similarity_matrix` row; one image per sentence, below the threshold dropped;
    `<|endofchunk|><image>` before each matched sentence, sentences joined by spaces."""
    sentences = list(doc["text_list"])
    images, used = [], []
    for info, sims in zip(doc["image_info"], doc["similarity_matrix"], strict=True):
        assert len(sims) == len(sentences)
        index = info["matched_text_index"]
        if index in used or sims[index] < sim_threshold:
            continue
        if "image_base64" in info:
            images.append(Image.open(io.BytesIO(base64.b64decode(info["image_base64"]))).convert("RGB"))
        else:
            images.append(info["raw_url"])
        used.append(index)
    for index in used:
        sentences[index] = f"<|endofchunk|><image>{sentences[index]}"
    text = " ".join(sentences).replace("<|endofchunk|>", "", 1)
    return images, f"{text}<|endofchunk|>"


def test_obelics_urls_is_the_documented_layout(exports):
    target, summary = exports["obelics", "urls"]
    assert (summary["inputs"], summary["written"], summary["skipped"]) == (len(M3W_PAGES), len(M3W_PAGES), 0)
    docs = obelics_documents(pq.read_table(target / "m3w-00000.parquet").to_pylist())
    images, texts, meta, general = docs[SIX]
    url = f"http://x.test/{SIX}"
    assert images == [f"{url}/0.img", None, f"{url}/2.img", None, f"{url}/4.img", None]
    assert texts == [None, "caption of six", None, "middle", None, "end of six"]
    assert meta[2] == {
        "document_url": f"{url}.html",
        "src": f"{url}/2.img",
        "alt_text": f"alt {SIX} 2",
        "original_width": 256,
        "original_height": 256,
        "width": 128,
        "height": 128,
        "sha256": M3W_PAGES[5].document.images[2].sha256,
        "source_attr": "src",
    }
    assert general["url"] == f"{url}.html"
    assert (general["warc_filename"], general["warc_record_offset"]) == ("crawl.warc.gz", 6)


def test_obelics_loads_with_datasets_from_its_card_and_as_parquet(exports, tmp_path):
    target, _ = exports["obelics", "urls"]
    ds = datasets.load_dataset(str(target), split="train", cache_dir=str(tmp_path / "a"))
    assert ds.num_rows == len(M3W_PAGES) and list(ds.features) == [
        "images",
        "texts",
        "metadata",
        "general_metadata",
    ]

    target, summary = exports["obelics", "bytes"]
    assert summary["image_slots_left_out"] == 1  # page six's unfetched slot has no bytes to give
    ds = datasets.load_dataset(
        "parquet", data_files=str(target / "*.parquet"), split="train", cache_dir=str(tmp_path)
    )
    six = next(r for r in ds if json.loads(r["general_metadata"])["key"] == SIX)
    assert six["texts"] == [None, "caption of six", None, "middle", "end of six"]
    first, png = six["images"][0], six["images"][2]
    assert isinstance(first, Image.Image) and first.size == (128, 128) and png.format == "PNG"
    assert six["images"][1] is None
    raw = ds.cast_column("images", datasets.List(datasets.Image(decode=False)))
    six_raw = next(r for r in raw if json.loads(r["general_metadata"])["key"] == SIX)
    assert six_raw["images"][2]["bytes"] == M3W_PAGES[5].images[2].data


def test_mmc4_matches_images_to_the_text_after_them(exports):
    target, summary = exports["mmc4", "urls"]
    assert summary["skipped_by_reason"] == {"no_text": 1}
    assert summary["skipped_keys"] == [
        {
            "key": SEVEN,
            "reason": "no_text",
            "detail": f"page {SEVEN} has no text block to match its images to",
        }
    ]
    assert summary["written"] + summary["skipped"] == summary["inputs"] == len(M3W_PAGES)
    docs = {d["key"]: d for d in map(json.loads, (target / "m3w-00000.jsonl").read_text().splitlines())}
    assert sorted(docs) == sorted(p.key for p in M3W_PAGES if p.key != SEVEN)
    six = docs[SIX]
    assert six["text_list"] == ["caption of six", "middle", "end of six"]
    assert [i["matched_text_index"] for i in six["image_info"]] == [0, 1, 2]
    assert six["similarity_matrix"] == [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]]
    assert six["similarity_source"] == "dom_order" and six["could_have_url_duplicate"] == 0
    assert [i["image_name"].rsplit(".", 1)[1] for i in six["image_info"]] == ["jpg", "png", "jpg"]
    images, text = openflamingo_interleaved(six)
    assert (
        text
        == "<image>caption of six <|endofchunk|><image>middle <|endofchunk|><image>end of six<|endofchunk|>"
    )
    assert images == [f"http://x.test/{SIX}/{i}.img" for i in (0, 2, 4)]
    # an image after the last text belongs to that text
    one = docs["a100000000000000000000000"]
    assert openflamingo_interleaved(one)[1] == "intro 1 <image>outro 1<|endofchunk|>"


def test_mmc4_exports_a_computed_similarity_as_it_is(exports):
    target, _ = exports["mmc4", "urls"]
    docs = {d["key"]: d for d in map(json.loads, (target / "m3w-00000.jsonl").read_text().splitlines())}
    eight = docs[EIGHT]
    assert eight["similarity_source"] == "clip-test"
    assert eight["similarity_matrix"] == [[0.3, 0.2]]
    assert eight["image_info"][0]["matched_text_index"] == 1 and eight["image_info"][0]["matched_sim"] == 0.2
    # below OpenFlamingo's threshold, the reader drops it, as it would drop a real MMC4 image
    assert openflamingo_interleaved(eight) == ([], "first second<|endofchunk|>")


def test_mmc4_bytes_decode_as_openflamingo_decodes_them(exports, tmp_path):
    target, summary = exports["mmc4", "bytes"]
    assert summary["image_slots_left_out"] == 1
    ds = datasets.load_dataset(str(target), split="train", cache_dir=str(tmp_path))
    six = next(r for r in ds if r["key"] == SIX)
    images, text = openflamingo_interleaved(six)
    assert text == "<image>caption of six <|endofchunk|><image>middle end of six<|endofchunk|>"
    expected = [Image.open(io.BytesIO(M3W_PAGES[5].images[p].data)).convert("RGB") for p in (0, 2)]
    assert [i.tobytes() for i in images] == [e.tobytes() for e in expected]


def test_only_m3w_builds_export_and_the_cli_says_why(exports, tmp_path, capsys):
    pairs = exports["builds"]["pairs"]
    assert cli_main(["export", "mmc4", str(pairs), str(tmp_path / "x"), RUNNER]) == 2
    assert "is a pairs build; OBELICS and MMC4 hold interleaved documents" in capsys.readouterr().err
    assert cli_main(["export", "mmc4", str(tmp_path / "none"), str(tmp_path / "x"), RUNNER]) == 2
    assert "no manifest.json (not a finished build)" in capsys.readouterr().err


def test_a_build_whose_shards_hold_fewer_samples_than_its_manifest_fails(exports, tmp_path):
    build = tmp_path / "m3w"
    shutil.copytree(exports["builds"]["m3w"], build)
    manifest = json.loads((build / "manifest.json").read_text())
    manifest["written"] += 1
    (build / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(Exception) as info:  # the runner may wrap it
        run(["obelics", str(build), str(tmp_path / "out"), RUNNER])
    assert isinstance(info.value, ConservationError) or "ConservationError" in str(info.value)
    assert "the build holds 9 samples, 8 were read, 8 written and 0 skipped" in str(info.value)
    assert not (tmp_path / "out" / "export.json").exists()
