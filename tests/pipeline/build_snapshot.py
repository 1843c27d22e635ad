"""A build folder as plain data, to compare two runs of a job byte for byte.

Everything a reader of the build sees is in the snapshot, exactly: the file names, every tar's
members (name, sha256) and the tar's own sha256, every parquet file's rows (shard sidecars,
rejects, reject previews), every `_stats.json`, `features.json`, the manifest and the dataset card.

Left out, because they legitimately differ between two runs of the same job on the same input:
- the manifest's `created` (the wall clock when the build finished) and `throughput` (the run's
  timings and per-step seconds, and the runner's name);
- the manifest's `config.beam_args` and `config.output`: the runner flags are what differs between
  the runs compared, and each run writes to its own folder;
- the dataset card's build time (`on 2026-01-01T00:00:00+00:00`), which it takes from `created`;
- `report.html`, which renders the manifest's throughput record and timings;
- with `same_install=False` only, the manifest's `versions` (the libraries installed where the
  manifest was written), for builds made by two different installs of this package.
"""

from __future__ import annotations

import hashlib
import json
import re
import tarfile
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

UNTIMED_MANIFEST_KEYS = ("created", "throughput")
NOT_COMPARED_FILES = ("report.html",)
CARD_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(\+00:00|Z)")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tar(path: Path) -> dict[str, Any]:
    with tarfile.open(path) as tar:
        members = [(m.name, _sha256(tar.extractfile(m).read())) for m in tar.getmembers()]
    return {"sha256": _sha256(path.read_bytes()), "members": members}


def _manifest(path: Path, same_install: bool) -> dict[str, Any]:
    manifest = json.loads(path.read_text(encoding="utf-8"))
    for key in UNTIMED_MANIFEST_KEYS if same_install else (*UNTIMED_MANIFEST_KEYS, "versions"):
        manifest.pop(key, None)
    for key in ("beam_args", "output"):
        manifest.get("config", {}).pop(key, None)
    return manifest


def snapshot(build: Path, same_install: bool = True) -> dict[str, Any]:
    """{file name: its comparable content} for every file of the build folder."""
    out: dict[str, Any] = {}
    for path in sorted(build.iterdir()):
        name = path.name
        if name in NOT_COMPARED_FILES:
            out[name] = "not compared"
        elif name == "manifest.json":
            out[name] = _manifest(path, same_install)
        elif name.endswith(".tar"):
            out[name] = _tar(path)
        elif name.endswith(".parquet"):
            out[name] = pq.read_table(path).to_pylist()
        elif name.endswith(".json"):
            out[name] = json.loads(path.read_text(encoding="utf-8"))
        elif name.endswith(".md"):
            out[name] = CARD_TIME.sub("TIME", path.read_text(encoding="utf-8"))
        else:
            out[name] = _sha256(path.read_bytes())
    return out


def _leaf_differences(a: Any, b: Any, where: str) -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        return [
            d
            for k in sorted(a.keys() | b.keys(), key=str)
            for d in _leaf_differences(a.get(k, "<absent>"), b.get(k, "<absent>"), f"{where}.{k}")
        ]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _leaf_differences(x, y, f"{where}[{i}]")
        ]
    return (
        []
        if a == b
        else [f"{where}: {json.dumps(a, sort_keys=True)[:300]} != {json.dumps(b, sort_keys=True)[:300]}"]
    )


def differences(a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    """Where two snapshots differ (file, then the path inside it); [] when they are equal."""
    return _leaf_differences(a, b, "build")
