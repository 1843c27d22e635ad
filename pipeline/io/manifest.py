"""The build's manifest: what was written, what was rejected and why, and the promise that
every input is accounted for (`inputs == written + sum(rejected by reason)`).

Written last, once every shard and rejects file is final. Conservation is checked per key: the
manifest holds digests of the input keys, the written keys and the rejected keys
(schemas/keys.py), and both the counts and the digests must add up, so a lost key offset by a
doubled one fails too. A build that fails says so loudly here instead of publishing a manifest
that hides lost samples, and its shards are renamed so that nothing reads them as a build. Image-stage rejects
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
from schemas import Stage, digest_hex
from schemas.keys import DIGEST_MODULUS
from schemas.manifest import MANIFEST_NAME

log = logging.getLogger(__name__)

__all__ = ["MANIFEST_NAME", "ConservationError", "build_manifest", "finalize"]


class ConservationError(RuntimeError):
    """Inputs went missing (or were double-counted) between reading and writing."""


FAILED_NAME = "FAILED.json"


def quarantine(output_dir: str, manifest: dict[str, Any], message: str) -> None:
    """A build that failed its checks leaves no shard that looks finished: each tar is renamed
    NAME-SSSSS.tar.failed and its stats removed (a re-run rewrites them), and FAILED.json says why."""
    for shard in manifest["shards"]:
        tar = FileSystems.join(output_dir, shard["tar"])
        stats = tar[: -len(".tar")] + "_stats.json"
        if FileSystems.exists(stats):
            FileSystems.delete([stats])
        if FileSystems.exists(tar):
            FileSystems.rename([tar], [tar + ".failed"])
    write_json_atomic(FileSystems.join(output_dir, FAILED_NAME), {"error": message, "manifest": manifest})


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
    input_keys: tuple[int, int],
    rejected_keys: tuple[int, int],
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
    num_inputs, inputs_digest = input_keys
    written_digest = sum(int(s["keys_digest"], 16) for s in shards) % DIGEST_MODULUS
    keys = {
        "inputs": digest_hex(inputs_digest),
        "written": digest_hex(written_digest),
        "rejected": digest_hex(rejected_keys[1]),
    }
    keys_ok = (inputs_digest - written_digest - rejected_keys[1]) % DIGEST_MODULUS == 0
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
        "conservation_ok": num_inputs == written + rejected == written + rejected_keys[0] and keys_ok,
        "keys_digest": keys,
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
        counts = manifest["inputs"] == manifest["written"] + manifest["rejected"]
        what = (
            "the key digests differ: some key was written or rejected twice and another lost"
            if counts
            else "some inputs were lost or counted twice"
        )
        message = (
            f"{manifest['job']} build in {output_dir}: {manifest['inputs']} inputs but "
            f"{manifest['written']} written + {manifest['rejected']} rejected "
            f"({manifest['rejected_by_reason']}); {what}. No manifest was written, and the shards "
            "were renamed *.tar.failed so that nothing reads them as a build."
        )
        quarantine(output_dir, manifest, message)
        raise ConservationError(message)
    remove_stale_temporaries(output_dir)
    failed = FileSystems.join(output_dir, FAILED_NAME)
    if FileSystems.exists(failed):  # an earlier attempt's failure no longer holds
        FileSystems.delete([failed])
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
