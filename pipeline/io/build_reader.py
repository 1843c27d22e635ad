"""Reading finished builds back: which builds a folder holds, and their samples, typed.

    builds = resolve_builds(["out/m3w", "out/pairs"])   # or a release folder holding several builds
    read = p | ReadBuilds(builds)                        # (build index, typed sample | RejectRecord)

A folder with a manifest.json is one build; a folder without one stands for the builds in its
immediate subfolders (the layout `flamingo dedup` and `flamingo decontaminate` write), in name
order. Manifests are small and read on the driver (the graph needs each build's job and shard
name); the shards are listed from each manifest on a worker, spread one tar per element, and read
there, so nothing large passes through the driver. Only the shards the manifest lists are read:
a tar left over from an earlier, larger run of the same folder is not part of the build.

Each sample is decoded by its job's codec (schemas/samples.py: the only reader of the member
layout) from its tar members and its shard's parquet sidecar row; a tar sample with no sidecar
row, or one the codec cannot read, is an input too, and becomes a MALFORMED_RECORD reject
instead of being lost.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from collections.abc import Iterator
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.metrics import Metrics

from pipeline.io.readers import TarDamage, read_webdataset_tar
from pipeline.io.shard_files import read_parquet
from schemas import SAMPLE_TYPES, RejectReason, RejectRecord, SchemaError, ShardSample, Stage, decode_sample
from schemas.manifest import MANIFEST_NAME, shard_names

log = logging.getLogger(__name__)

JOBS = tuple(SAMPLE_TYPES)


# A build's counts as release steps summarise and record them (lineage, release.json).
SUMMARY_KEYS = ("inputs", "written", "rejected", "rejected_by_reason", "image_rejected_by_reason")


@dataclasses.dataclass(frozen=True)
class Build:
    """One finished build: where it is, what wrote it, and the name its re-written copy gets."""

    path: str  # the build folder, no trailing slash
    name: str  # the folder's own name: the subfolder of a release step's output
    job: str  # the manifest's job: m3w, pairs or videos
    shard_name: str  # NAME of NAME-SSSSS.tar
    manifest: dict[str, Any]
    manifest_sha256: str

    def lineage(self) -> list[dict[str, Any]]:
        """The steps that made this build (from its config), then this build itself as the last."""
        config = self.manifest.get("config") or {}
        own = {
            "step": config.get("step", "build"),
            "job": self.job,
            "path": self.path,
            "manifest_sha256": self.manifest_sha256,
            **{k: self.manifest.get(k) for k in SUMMARY_KEYS},
        }
        return [*(config.get("lineage") or []), own]


def _basename(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def load_build(path: str) -> Build:
    """The build in `path`; an error names a missing manifest or a job we cannot re-write."""
    path = path.rstrip("/")
    manifest_path = FileSystems.join(path, MANIFEST_NAME)
    if not FileSystems.exists(manifest_path):
        raise FileNotFoundError(f"{path}: no {MANIFEST_NAME} (not a finished build)")
    with FileSystems.open(manifest_path) as f:
        raw = f.read()
    manifest = json.loads(raw.decode("utf-8"))
    job = manifest.get("job")
    if job not in JOBS:
        raise ValueError(f"{manifest_path}: job {job!r} is not one of {', '.join(JOBS)}")
    shard_names(manifest, manifest_path)  # a name that is not a plain file of this folder: refused here
    return Build(
        path, _basename(path), job, manifest.get("name") or job, manifest, hashlib.sha256(raw).hexdigest()
    )


def resolve_builds(inputs: list[str]) -> list[Build]:
    """The builds named by `inputs` (build folders, or folders of builds), in the order given."""
    builds: list[Build] = []
    for item in inputs:
        item = item.rstrip("/")
        if FileSystems.exists(FileSystems.join(item, MANIFEST_NAME)):
            builds.append(load_build(item))
            continue
        pattern = FileSystems.join(item, "*", MANIFEST_NAME)
        found = sorted(m.path for m in FileSystems.match([pattern])[0].metadata_list)
        if not found:
            raise FileNotFoundError(f"{item}: no {MANIFEST_NAME}, and no subfolder holds one (not a build)")
        builds.extend(load_build(p[: -len(MANIFEST_NAME) - 1]) for p in found)
    names: dict[str, str] = {}
    for b in builds:
        if b.name in names:
            raise ValueError(
                f"two inputs share the folder name {b.name!r} ({names[b.name]} and {b.path}); "
                "their re-written copies would collide"
            )
        names[b.name] = b.path
    return builds


def list_shards(build_path: str, tars: list[str]) -> list[str]:
    """The paths of a build's tars (`tars`: the names its manifest lists, read once on the driver).

    One listing of the folder checks them all (not one existence call per shard: tens of ms
    each on an object store); a listed tar that is gone is an error.
    """
    listed = FileSystems.match([FileSystems.join(build_path, "*.tar")])[0].metadata_list
    present = {m.path.rsplit("/", 1)[-1] for m in listed}
    missing = [t for t in tars if t not in present]
    if missing:
        raise FileNotFoundError(
            f"{build_path}: manifest lists {len(missing)} missing shard(s), e.g. {missing[0]}"
        )
    return [FileSystems.join(build_path, t) for t in tars]


def _sidecar_rows(tar_path: str) -> dict[str, dict[str, Any]]:
    return {row["key"]: row for row in read_parquet(tar_path[: -len(".tar")] + ".parquet").to_pylist()}


def read_shard(tar_path: str, job: str) -> Iterator[Any]:
    """The typed samples of one shard of a `job` build; a sample the sidecar lacks, or that its
    codec cannot read, is a reject."""
    rows = _sidecar_rows(tar_path)
    for source, group in read_webdataset_tar(tar_path):
        key = source.rsplit(":", 1)[-1]
        row = rows.pop(key, None)
        try:
            if isinstance(group, TarDamage):
                raise SchemaError(f"the rest of the shard is unreadable: {group.detail}")
            if group.skipped:
                raise SchemaError("; ".join(detail for _, detail in group.skipped)[:500])
            if row is None:
                raise SchemaError(f"no row for {key} in the shard's parquet sidecar")
            yield decode_sample(job, ShardSample(key, group.members, row))
        except SchemaError as exc:
            Metrics.counter("release", "read_malformed").inc()
            log.warning("%s: %s", source, exc)
            yield RejectRecord(key or source, source, Stage.READ, RejectReason.MALFORMED_RECORD, str(exc))
    if rows:  # rows without a sample are metadata only: nothing to carry over, but say so
        Metrics.counter("release", "sidecar_rows_without_sample").inc(len(rows))
        log.warning(
            "%s: %d sidecar rows have no sample in the tar, e.g. %s", tar_path, len(rows), next(iter(rows))
        )


def _shards_of(index: int, job: str, build_path: str, tars: list[str]):
    for tar in list_shards(build_path, tars):
        yield index, (job, tar)


def _samples_of(index: int, where: tuple[str, str]):
    job, tar_path = where
    for item in read_shard(tar_path, job):  # streamed: a shard may hold hundreds of MB
        yield index, item


class ReadBuilds(beam.PTransform):
    """builds -> (build index, typed sample | RejectRecord) for every sample of every build."""

    def __init__(self, builds: list[Build], label: str | None = None):
        super().__init__(label)
        self._paths = [(i, b.job, b.path, shard_names(b.manifest, b.path)) for i, b in enumerate(builds)]

    def expand(self, pbegin):
        return (
            pbegin
            | "Builds" >> beam.Create(self._paths)
            | "ListShards" >> beam.FlatMapTuple(_shards_of)
            | "SpreadShards" >> beam.Reshuffle()
            | "ReadShards" >> beam.FlatMapTuple(_samples_of)
        )
