"""`flamingo inspect PATH`: what is in a shard, a directory of shards, or a manifest.

Reads only sidecars and tar headers (plus a few samples), never the whole dataset, so it is
quick on big builds. Prints a human summary, or JSON with --json.
"""

from __future__ import annotations

import argparse
import json
import sys
import tarfile
from collections import Counter
from pathlib import Path
from typing import Any

from schemas import SchemaError
from schemas.manifest import shard_names

SHOW_SAMPLES = 3


def _tar_summary(path: Path, show: int) -> dict[str, Any]:
    keys: list[str] = []
    exts: Counter[str] = Counter()
    preview: dict[str, dict[str, Any]] = {}
    with tarfile.open(path) as tar:
        for member in tar:
            if not member.isfile():
                continue
            key, _, ext = member.name.rpartition("/")[2].partition(".")
            if not keys or keys[-1] != key:
                keys.append(key)
            exts[ext.split(".")[-1]] += 1
            if len(preview) <= show and ext in ("json", "txt") and (key in preview or len(preview) < show):
                data = tar.extractfile(member).read()
                text = data.decode("utf-8", "replace")
                preview.setdefault(key, {})[ext] = json.loads(text) if ext == "json" else text
    return {"path": str(path), "samples": len(keys), "members_by_extension": dict(exts), "preview": preview}


def summarize(path: Path, show: int = SHOW_SAMPLES) -> dict[str, Any]:
    if path.is_file() and path.suffix == ".tar":
        return {"shard": _tar_summary(path, show)}
    manifest_path = path if path.is_file() else path / "manifest.json"
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text())
        root = manifest_path.parent
        out = {
            k: manifest[k]
            for k in (
                "job",
                "inputs",
                "written",
                "rejected",
                "rejected_by_reason",
                "image_rejected_by_reason",
                "num_shards",
                "total_bytes",
            )
            if k in manifest
        }
        tars = shard_names(manifest, str(manifest_path))
        out["samples_per_shard"] = dict(zip(tars, (s["count"] for s in manifest["shards"]), strict=True))
        if tars:  # the manifest's shards: a reused folder may hold tars of an earlier run
            out["first_shard"] = _tar_summary(root / tars[0], show)
        return out
    if path.is_dir():
        tars = sorted(path.glob("*.tar"))
        if not tars:
            raise FileNotFoundError(f"{path}: no manifest.json and no .tar shards here")
        summaries = [_tar_summary(t, show if i == 0 else 0) for i, t in enumerate(tars)]
        return {
            "num_shards": len(tars),
            "samples_per_shard": {Path(s["path"]).name: s["samples"] for s in summaries},
            "written": sum(s["samples"] for s in summaries),
            "first_shard": summaries[0],
            "note": "no manifest.json: the build did not finish, or this is not a flamingo build",
        }
    raise FileNotFoundError(f"{path}: not a .tar shard, a directory of shards, or a manifest.json")


def _print_human(summary: dict[str, Any], out) -> None:
    for key, value in summary.items():
        if key in ("first_shard", "shard"):
            out.write(
                f"{key}: {value['path']} ({value['samples']} samples, "
                f"members {value['members_by_extension']})\n"
            )
            for sample_key, members in value["preview"].items():
                out.write(f"  {sample_key}: {json.dumps(members, ensure_ascii=False)[:300]}\n")
        elif isinstance(value, dict) and len(value) > 12:
            out.write(f"{key}: {len(value)} entries, {sum(value.values())} in all\n")
        else:
            out.write(f"{key}: {json.dumps(value, ensure_ascii=False)}\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="flamingo inspect", description=__doc__)
    parser.add_argument("path", type=Path, help="a .tar shard, a build directory, or a manifest.json")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a summary")
    parser.add_argument("--samples", type=int, default=SHOW_SAMPLES, help="samples to preview")
    args = parser.parse_args(argv)
    try:
        summary = summarize(args.path, args.samples)
    except (FileNotFoundError, tarfile.TarError, json.JSONDecodeError, SchemaError) as exc:
        sys.stderr.write(f"flamingo inspect: {exc}\n")
        return 2
    if args.json:
        sys.stdout.write(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
    else:
        _print_human(summary, sys.stdout)
    return 0
