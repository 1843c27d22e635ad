"""`flamingo publish`: verify finished builds, then write OUTPUT/release.json atomically, last.

    flamingo publish --inputs out/clean --output out/release
    flamingo publish --inputs gs://B/v1/clean --output gs://B/v1/release

Each input is a build folder or a folder of builds (an earlier release step's output). Every
build must have a manifest whose counts add up (inputs == written + rejected, conservation_ok)
and whose shards are all there, numbered 0..N-1 (so one brace pattern names them), each with the
sample count its `_stats.json` sidecar records; the tars themselves are not opened, so
publishing a large release costs one listing and one small read per shard. Any failed check
exits non-zero naming the build and the problem, and no release.json is written.

release.json lists, per build: its job, folder, shard URLs as a brace pattern that
`webdataset.WebDataset` and `flamingo.data.make_loader` expand, sample and byte counts, rejects
by reason (this step's and, under `lineage`, every earlier step's back to the build), its
config and library versions, and the sha256 of its manifest, so a reader can tell that the
data has not changed since publication.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import datetime as dt
import logging
import os
import sys
from typing import Any

from apache_beam.io.filesystems import FileSystems

from pipeline.io.build_reader import Build, resolve_builds
from pipeline.io.shard_files import read_json, write_json_atomic
from schemas import SchemaError, digest_hex
from schemas.manifest import MANIFEST_NAME, shard_names

log = logging.getLogger(__name__)

RELEASE_NAME = "release.json"
RELEASE_FORMAT = "flamingo-release/1"
STATS_READERS = 16  # concurrent sidecar reads: object stores answer each in tens of ms


class PublishError(RuntimeError):
    """A build is not fit to publish (counts, missing files); the message says which and why."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="flamingo publish", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--inputs", nargs="+", required=True, metavar="DIR", help="build folders, or folders of builds"
    )
    p.add_argument("--output", required=True, help="folder to write release.json into")
    return p


def _stats_of(path: str) -> tuple[int | None, str | None]:
    """(sample count, keys digest) a shard's stats record."""
    try:
        stats = read_json(path)
    except (OSError, ValueError) as exc:
        log.warning("cannot read %s: %s", path, exc)
        return None, None
    return stats.get("count"), stats.get("keys_digest")


def verify_build(build: Build) -> list[str]:
    """Problems that make the build unfit to publish (empty when it is fine)."""
    m, where = build.manifest, f"{build.path}/{MANIFEST_NAME}"
    problems = []
    if not m.get("conservation_ok") or m.get("inputs") != m.get("written", 0) + m.get("rejected", 0):
        problems.append(
            f"{where}: counts do not add up: {m.get('inputs')} inputs, {m.get('written')} written, "
            f"{m.get('rejected')} rejected (conservation_ok={m.get('conservation_ok')})"
        )
    try:
        shard_names(m, where)
    except SchemaError as exc:
        return [str(exc)]
    shards = m.get("shards", [])
    if len(shards) != m.get("num_shards") or sum(s["count"] for s in shards) != m.get("written"):
        problems.append(
            f"{where}: {len(shards)} shards holding {sum(s['count'] for s in shards)} samples, "
            f"but num_shards={m.get('num_shards')} and written={m.get('written')}"
        )
    present = {
        p.rsplit("/", 1)[-1]
        for r in FileSystems.match([FileSystems.join(build.path, "*")])
        for p in (x.path for x in r.metadata_list)
    }
    for i, s in enumerate(shards):
        expected = f"{build.shard_name}-{i:05d}.tar"
        if s["tar"] != expected:
            problems.append(
                f"{where}: shard {i} is {s['tar']}, expected {expected} (shards must be numbered 0..N-1)"
            )
        base = s["tar"][: -len(".tar")]
        for name in (s["tar"], f"{base}.parquet", f"{base}_stats.json"):
            if name not in present:
                problems.append(f"{build.path}: missing {name} (listed in the manifest)")
    problems += [
        f"{build.path}: missing {f} (listed in the manifest)"
        for f in m.get("rejects_files", [])
        if f not in present
    ]
    if problems:
        return problems
    stats = [FileSystems.join(build.path, f"{s['tar'][: -len('.tar')]}_stats.json") for s in shards]
    with concurrent.futures.ThreadPoolExecutor(STATS_READERS) as pool:
        recorded = list(pool.map(_stats_of, stats))
    for s, path, (count, _) in zip(shards, stats, recorded, strict=True):
        if count != s["count"]:
            problems.append(f"{path}: {count} samples, but the manifest lists {s['count']} for {s['tar']}")
    digests = [d for _, d in recorded]
    written = (m.get("keys_digest") or {}).get("written")
    if None in digests or written is None:
        problems.append(
            f"{where}: no key digests (a build made before keys were proven unique): build it again"
        )
    elif digest_hex(sum(int(d, 16) for d in digests)) != written:
        problems.append(f"{where}: the shards' keys do not match the manifest's written keys digest")
    return problems


def _url_base(path: str) -> str:
    return path if "://" in path else os.path.abspath(path)


def dataset_entry(build: Build) -> dict[str, Any]:
    m = build.manifest
    config = m.get("config") or {}
    n = len(m.get("shards", []))
    base = _url_base(build.path)
    urls = f"{base}/{build.shard_name}-{{00000..{n - 1:05d}}}.tar" if n else None
    return {
        "name": build.name,
        "job": build.job,
        "shard_name": build.shard_name,
        "path": base,
        "urls": urls,
        "num_shards": n,
        "samples": m.get("written"),
        "total_bytes": m.get("total_bytes"),
        "inputs": m.get("inputs"),
        "rejected": m.get("rejected"),
        "rejected_by_reason": m.get("rejected_by_reason", {}),
        "image_rejected_by_reason": m.get("image_rejected_by_reason", {}),
        "lineage": build.lineage(),
        "config": config,
        "versions": m.get("versions", {}),
        "created": m.get("created"),
        "manifest": f"{base}/{MANIFEST_NAME}",
        "manifest_sha256": build.manifest_sha256,
    }


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Verify every input build and write release.json; raises PublishError naming every problem."""
    args = build_parser().parse_args(argv)
    try:
        builds = resolve_builds(args.inputs)
    except (FileNotFoundError, ValueError) as exc:
        raise PublishError(str(exc)) from None
    problems = [p for b in builds for p in verify_build(b)]
    if problems:
        raise PublishError("not published: " + "; ".join(problems))
    datasets = [dataset_entry(b) for b in builds]
    release = {
        "format": RELEASE_FORMAT,
        "created": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "datasets": datasets,
        "total_samples": sum(d["samples"] for d in datasets),
        "total_bytes": sum(d["total_bytes"] or 0 for d in datasets),
        "samples_by_job": {
            job: sum(d["samples"] for d in datasets if d["job"] == job)
            for job in sorted({d["job"] for d in datasets})
        },
    }
    output = args.output.rstrip("/")
    if not FileSystems.exists(output):
        FileSystems.mkdirs(output)
    write_json_atomic(FileSystems.join(output, RELEASE_NAME), release)
    log.info(
        "published %d datasets, %d samples: %s/%s",
        len(datasets),
        release["total_samples"],
        output,
        RELEASE_NAME,
    )
    return release


def main(argv: list[str]) -> int:
    try:
        run(argv)
    except PublishError as exc:
        sys.stderr.write(f"flamingo publish: {exc}\n")
        return 1
    return 0
