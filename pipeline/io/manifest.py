"""The build's manifest: what was written, what was rejected and why, and the promise that
every input is accounted for (`inputs == written + sum(rejected by reason)`).

Written last, once every shard and rejects file is final. A build whose counts do not add up
fails loudly here instead of publishing a manifest that hides lost samples. Image-stage rejects
(one image slot of a kept M3W page) are reported apart: they are not page inputs.
"""

from __future__ import annotations

import datetime as dt
import logging
import platform
from collections import Counter
from importlib import metadata
from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipeline.io.dataset_card import write_dataset_card
from pipeline.io.shard_files import remove_stale_temporaries, write_json_atomic
from schemas import Stage

log = logging.getLogger(__name__)

MANIFEST_NAME = "manifest.json"


class ConservationError(RuntimeError):
    """Inputs went missing (or were double-counted) between reading and writing."""


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for dist in ("flamingo-data", "apache-beam", "pyarrow", "webdataset", "img2dataset"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "not installed"
    return out


def build_manifest(
    *,
    job: str,
    name: str,
    config: dict[str, Any],
    num_inputs: int,
    shard_stats: list[dict[str, Any]],
    reject_counts: list[tuple[tuple[str, str], int]],
    rejects_files: list[str],
) -> dict[str, Any]:
    shards = sorted(shard_stats, key=lambda s: s["index"])
    written = sum(s["count"] for s in shards)
    by_reason: Counter[str] = Counter()
    by_stage: Counter[str] = Counter()
    image_by_reason: Counter[str] = Counter()
    for (stage, reason), n in reject_counts:
        if stage == Stage.IMAGE:
            image_by_reason[reason] += n
        else:
            by_reason[reason] += n
            by_stage[stage] += n
    rejected = sum(by_reason.values())
    return {
        "job": job,
        "name": name,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "inputs": num_inputs,
        "written": written,
        "rejected": rejected,
        "rejected_by_reason": dict(sorted(by_reason.items())),
        "rejected_by_stage": dict(sorted(by_stage.items())),
        "image_rejected_by_reason": dict(sorted(image_by_reason.items())),
        "conservation_ok": num_inputs == written + rejected,
        "num_shards": len(shards),
        "shards": [
            {"tar": s["tar"], "count": s["count"], "bytes": s["bytes"], "skipped": s.get("skipped", False)}
            for s in shards
        ],
        "total_bytes": sum(s["bytes"] for s in shards),
        "rejects_files": sorted(rejects_files),
        "config": config,
        "versions": _versions(),
    }


def finalize(output_dir: str, manifest: dict[str, Any], members: list[str] | None = None) -> dict[str, Any]:
    """Check conservation, clear temporaries, write the dataset card and features.json (the
    member names `members` the samples use), then the manifest (last)."""
    if not manifest["conservation_ok"]:
        raise ConservationError(
            f"{manifest['job']} build in {output_dir}: {manifest['inputs']} inputs but "
            f"{manifest['written']} written + {manifest['rejected']} rejected "
            f"({manifest['rejected_by_reason']}); some inputs were lost or counted twice. "
            "No manifest was written."
        )
    remove_stale_temporaries(output_dir)
    write_dataset_card(output_dir, manifest, list(members or ()))
    write_json_atomic(FileSystems.join(output_dir, MANIFEST_NAME), manifest)
    log.info(
        "%s: %d inputs -> %d written in %d shards, %d rejected %s",
        manifest["job"],
        manifest["inputs"],
        manifest["written"],
        manifest["num_shards"],
        manifest["rejected"],
        manifest["rejected_by_reason"],
    )
    return manifest
