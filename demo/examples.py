"""The demo report's few-shot predictions as a person checks them: each held-out query image with
its true caption and the model's prediction, beside the support images (with their captions) that
RICES put in its prompt.

Query images are the eval split's files (their keys are paths relative to the eval CSV); support
images are read back from the pair shards by key (flamingo/eval/fewshot.py records the keys of each
prompt's shots). Every image is an inline JPEG thumbnail (pipeline/report/thumbnails.py) under the
page's size budget, every text escaped.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from pipeline.io.build_reader import read_shard
from pipeline.io.manifest import MANIFEST_NAME
from pipeline.io.shard_files import read_json
from pipeline.report.galleries import Budget
from pipeline.report.page import esc
from pipeline.report.thumbnails import thumbnail
from schemas import RejectRecord
from schemas.manifest import shard_names

log = logging.getLogger(__name__)


def pair_images(pairs_dir: str, keys: set[str]) -> dict[str, tuple[bytes, str]]:
    """{key: (image bytes, caption)} for the wanted keys of a pairs build (stops once all are found)."""
    found: dict[str, tuple[bytes, str]] = {}
    manifest = read_json(str(Path(pairs_dir) / MANIFEST_NAME))
    for tar in shard_names(manifest, pairs_dir, non_empty=True):
        for sample in read_shard(str(Path(pairs_dir) / tar), "pairs"):
            if isinstance(sample, RejectRecord):
                log.warning("support image %s does not decode: %s", sample.key, sample.detail)
            elif sample.key in keys:
                found[sample.key] = (sample.image.data, sample.pair.caption or "")
        if len(found) == len(keys):
            break
    return found


def _query_image(query_dir: str | None, key: str) -> bytes | None:
    path = Path(query_dir) / key if query_dir else None
    if path is None or not path.is_file():
        return None
    return path.read_bytes()


def examples_section(ev: dict[str, Any], pairs_dir: str | None, budget: Budget | None = None) -> str:
    """One row per prediction: query thumbnail, truth, prediction, then the prompt's support images."""
    examples = ev.get("examples", [])
    if not examples:
        return "<p>no predictions recorded</p>"
    budget = budget or Budget()
    wanted = {k for e in examples for k in e.get("support", [])}
    support = pair_images(pairs_dir, wanted) if wanted and pairs_dir else {}
    rows = []
    for e in examples:
        verdict = "correct" if e["correct"] else "wrong"
        query = _query_image(ev.get("query_dir"), e["key"])
        shots = []
        for key in e.get("support", []):
            data, caption = support.get(key, (None, "(not found in the pair shards)"))
            image = budget.img(thumbnail(data) if data else None, caption, missing="not in the pair shards")
            shots.append(f'<figure class="shot">{image}<figcaption>{esc(caption)}</figcaption></figure>')
        rows.append(
            f'<div class="example {verdict}"><figure class="query">'
            f"{budget.img(thumbnail(query) if query else None, e['truth'], missing='query image not found')}"
            f"<figcaption>query {esc(e['key'])}<br>truth: {esc(e['truth'])}<br>"
            f"prediction: <b>{esc(e['prediction'])}</b> ({verdict})</figcaption></figure>"
            f'<div class="gallery support">{"".join(shots)}</div></div>'
        )
    return (
        '<p class="note">Each query image (left) with its true caption and the model\'s prediction, '
        "then the support images and captions its prompt held, in prompt order.</p>" + "".join(rows)
    )
