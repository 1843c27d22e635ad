"""A build's dataset card (README.md) and `features.json`: how Hugging Face `datasets` loads it.

Written by `manifest.finalize` just before the manifest, for every build and every re-written
release build, so they are never staler than the shards:

- `features.json`: the features of the build's samples (schemas/hf_features.py) in the
  `Features.to_dict()` form, with every member name any sample uses (an M3W page's image
  members vary in number):

      features = datasets.Features.from_dict(json.load(open("out/m3w/features.json")))
      ds = datasets.load_dataset("webdataset", data_files="out/m3w/m3w-*.tar", features=features)

- `README.md`: a dataset card whose YAML header declares the same features, the shards as the
  `train` split and its sample count (so `datasets.load_dataset("out/m3w")` works too, and a
  leftover tar from an earlier, larger run makes the load fail on the count instead of adding
  samples), then the counts, the filters, dedup and the licence notes in prose.
"""

from __future__ import annotations

import json
from typing import Any

import yaml
from apache_beam.io.filesystems import FileSystems

from crawlers.http.optout import DEFAULT_DISALLOWED
from filters.defaults import default_config
from pipeline.io import mmc4, obelics
from schemas.hf_features import shard_features, to_yaml_list

CARD_NAME = "README.md"
FEATURES_NAME = "features.json"
# The filter kinds each job's samples go through (filters/defaults.py).
FILTER_KINDS = {"m3w": ("document",), "pairs": ("pair",), "videos": ("video",)}
_WHAT = {
    "m3w": "web pages with their texts and images interleaved in DOM order (the paper's M3W)",
    "pairs": "images with their alt-text or caption (the paper's ALIGN / LTIP pairs)",
    "videos": "short video clips sampled to frames, with their text (the paper's VTP)",
}
_MEMBERS = {
    "json": "the record as JSON (see the features above)",
    "txt": "the caption",
    "mp4": "the sampled clip (undecoded; cast to `datasets.Video()` where torchcodec is installed)",
}


def write_dataset_card(output_dir: str, manifest: dict[str, Any], members: list[str]) -> dict[str, Any]:
    """Write features.json and README.md for the build in `output_dir`; returns the features."""
    features = shard_features(manifest["job"], members)
    _write_text(FileSystems.join(output_dir, FEATURES_NAME), json.dumps(features, indent=2) + "\n")
    _write_text(FileSystems.join(output_dir, CARD_NAME), render_card(manifest, features))
    return features


def render_card(manifest: dict[str, Any], features: dict[str, Any]) -> str:
    job, name = manifest["job"], manifest["name"]
    header = {
        "pretty_name": f"{name} ({job} build)",
        "license": "other",
        "tags": ["flamingo-data", job, "webdataset"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": f"{name}-*.tar"}]}],
        "dataset_info": {
            "config_name": "default",
            "features": to_yaml_list(features),
            # num_bytes: the shards' member bytes (datasets checks only the count)
            "splits": [
                {"name": "train", "num_bytes": manifest["total_bytes"], "num_examples": manifest["written"]}
            ],
        },
    }
    sections = [
        "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---",
        f"# {name}: a flamingo-data `{job}` build\n\n{_WHAT[job][0].upper()}{_WHAT[job][1:]}, "
        f"written by flamingo-data {manifest.get('versions', {}).get('flamingo-data', '')} "
        f"on {manifest.get('created', '')} as WebDataset tars (`{name}-SSSSS.tar`), each with a "
        "parquet sidecar of one metadata row per sample. `manifest.json` holds the full "
        "resolved config, the library versions and the counts below.",
        _loading(name),
        _members_table(job, features),
        _counts(manifest),
        _filters(manifest),
        _licence(manifest),
    ]
    return "\n\n".join(sections) + "\n"


def _loading(name: str) -> str:
    return (
        "## Loading\n\n```python\nimport json, datasets\n\n"
        'features = datasets.Features.from_dict(json.load(open("BUILD/features.json")))\n'
        f'ds = datasets.load_dataset("webdataset", data_files={{"train": "BUILD/{name}-*.tar"}},\n'
        '                          features=features, split="train")\n'
        '# or, with the features of this card\'s header: datasets.load_dataset("BUILD", split="train")\n'
        "```\n\nThe features must be given: `datasets` otherwise guesses them from the first five "
        "samples and silently drops members the later ones add. `webdataset.WebDataset` and "
        "`flamingo.data.make_loader` read the tars as they are."
    )


def _members_table(job: str, features: dict[str, Any]) -> str:
    rows = ["## Features\n", "| column | type | holds |", "|---|---|---|"]
    for column, feature in features.items():
        kind = feature.get("_type", "struct")
        kind = feature["dtype"] if kind == "Value" else kind
        if column in ("__key__", "__url__"):
            holds = "the sample key (a hash of its source)" if column == "__key__" else "the tar it came from"
        elif column in _MEMBERS:
            holds = _MEMBERS[column]
        elif job == "videos":
            holds = "one sampled frame, in time order"
        elif job == "m3w":
            holds = "one fetched image slot (json.metadata.image_members names each slot's member)"
        else:
            holds = "the image"
        rows.append(f"| `{column}` | {kind} | {holds} |")
    return "\n".join(rows)


def _counts(manifest: dict[str, Any]) -> str:
    lines = [
        "## Counts\n",
        f"- inputs: {manifest['inputs']}; written: {manifest['written']} samples in "
        f"{manifest['num_shards']} shards ({manifest.get('total_bytes', 0)} member bytes); "
        f"rejected: {manifest['rejected']} (each in `rejects-*.parquet` with its reason)",
    ]
    for title, key in (
        ("rejected by reason", "rejected_by_reason"),
        ("image slots removed", "image_rejected_by_reason"),
    ):
        counts = manifest.get(key) or {}
        if counts:
            lines.append(f"- {title}: " + ", ".join(f"{r} {n}" for r, n in counts.items()))
    return "\n".join(lines)


def _filters(manifest: dict[str, Any]) -> str:
    config = manifest.get("config") or {}
    out = []
    if config.get("step"):
        out.append(
            f"This build is the output of the release step `{config['step']}` over earlier builds "
            "(`manifest.json` config.lineage names them); their cards list the filters they applied."
        )
    elif config.get("filters"):
        out.append(f"Filters from the config file `{config['filters']}` (recorded in `manifest.json`).")
    else:
        for kind in FILTER_KINDS.get(manifest["job"], ()):
            entries = [e if isinstance(e, str) else json.dumps(e) for e in default_config(kind)]
            out.append(
                f"The paper's default `{kind}` filters, in order: " + "; ".join(f"`{e}`" for e in entries)
            )
    if config.get("languages"):
        out.append(f"Languages kept: {', '.join(config['languages'])}.")
    dedup = config.get("dedup")
    if isinstance(dedup, dict):
        state = "on" if dedup.get("enabled", True) else "off"
        params = ", ".join(f"{k}={v}" for k, v in dedup.items() if k != "enabled")
        out.append(f"Deduplication within the build: {state}" + (f" ({params})." if params else "."))
    return "## Filters and dedup\n\n" + "\n\n".join(out)


def _licence(manifest: dict[str, Any]) -> str:
    config = manifest.get("config") or {}
    fetch = config.get("fetch") or {}
    if config.get("step"):
        honoured = "Opt-out handling is that of the builds this one was made from (config.lineage)."
    elif fetch:
        honoured = (
            f"X-Robots-Tag opt-outs ({', '.join(sorted(DEFAULT_DISALLOWED))}): "
            f"{'honoured' if fetch.get('honour_x_robots_tag') else 'NOT honoured'}; robots.txt for "
            f"crawled pages: {'honoured' if fetch.get('respect_robots') else 'not consulted'} "
            "(`fetch` in manifest.json)."
        )
    else:
        honoured = "The build's config records no fetch settings."
    return (
        "## Licence notes\n\nThe texts, images and videos were published by third parties on the web "
        "and remain theirs; this card grants no licence to them. Anyone redistributing or training "
        "on the data is responsible for the terms that apply to them and for acting on removal "
        f"requests. {honoured} The code that made the build, flamingo-data, is Apache-2.0."
    )


def _write_text(path: str, text: str) -> None:
    with FileSystems.create(path) as f:
        f.write(text.encode("utf-8"))


_EXPORT_WHAT = {
    "obelics": (
        "parquet",
        "OBELICS (HuggingFaceM4/OBELICS): `images` and `texts` are parallel lists in DOM order, exactly "
        "one set at each position; `metadata` is a JSON list (a dict per image position, None at "
        "texts); `general_metadata` a JSON dict (`url`, `warc_filename`, `warc_record_offset`, ...). "
        "See pipeline/io/obelics.py.",
    ),
    "mmc4": (
        "jsonl",
        "MMC4 (allenai/mmc4): `text_list`, `image_info` (`image_name`, `raw_url`, `matched_text_index`, "
        "`matched_sim`, `face_detections`, and `image_base64` with --images bytes), "
        "`similarity_matrix`, `could_have_url_duplicate`. No CLIP similarity is computed by the build: "
        'unless a page carries one, `similarity_source` is "dom_order" and the matrix is a one-hot '
        "placeholder of the DOM placement (1.0 at the text after each image), not a similarity. "
        "See pipeline/io/mmc4.py.",
    ),
}


def write_export_card(output_dir: str, summary: dict[str, Any], build_manifest: dict[str, Any]) -> None:
    """README.md of an export folder: its format, features, counts and source build."""
    fmt, images = summary["format"], summary["images"]
    ext, what = _EXPORT_WHAT[fmt]
    loader = "parquet" if ext == "parquet" else "json"
    features = (obelics.FEATURES if fmt == "obelics" else mmc4.FEATURES)[images]
    header = {
        "pretty_name": f"{build_manifest['name']} as {fmt}",
        "license": "other",
        "tags": ["flamingo-data", fmt, "interleaved"],
        "configs": [{"config_name": "default", "data_files": [{"split": "train", "path": f"*.{ext}"}]}],
        "dataset_info": {
            "config_name": "default",
            "features": to_yaml_list(features),
            "splits": [{"name": "train", "num_bytes": 0, "num_examples": summary["written"]}],
        },
    }
    source = summary["source"]
    body = [
        "---\n" + yaml.safe_dump(header, sort_keys=False, allow_unicode=True) + "---",
        f"# {build_manifest['name']} as {fmt} (images as {images})\n\n{what}",
        "## Loading\n\n```python\nimport datasets\n\n"
        'ds = datasets.load_dataset("EXPORT", split="train")\n'
        f'# or: datasets.load_dataset("{loader}", data_files="EXPORT/*.{ext}", split="train")\n```',
        f"## Counts\n\n- source: the m3w build `{source['path']}` "
        f"(manifest sha256 {source['manifest_sha256']})\n"
        f"- pages read: {summary['inputs']}; written: {summary['written']}; skipped: {summary['skipped']} "
        f"{summary['skipped_by_reason']} (each key in `export.json`)\n"
        f"- image slots left out for want of bytes: {summary['image_slots_left_out']}",
        _licence(build_manifest),
    ]
    _write_text(FileSystems.join(output_dir, CARD_NAME), "\n\n".join(body) + "\n")
