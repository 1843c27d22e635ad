"""`flamingo export obelics|mmc4 BUILD OUT`: an M3W build as OBELICS parquet or MMC4 jsonl.

    flamingo export obelics out/m3w out/m3w-obelics                  # images as URLs, as OBELICS ships
    flamingo export obelics out/m3w out/m3w-obelics --images bytes   # the fetched bytes, datasets.Image()
    flamingo export mmc4 out/m3w out/m3w-mmc4 --images bytes         # image_base64, as OpenFlamingo reads
    flamingo export mmc4 gs://B/m3w gs://B/m3w-mmc4 --profile dataflow --project P --region R \\
        --temp_location gs://B/tmp

A Beam pipeline over the build's shards, one output file per tar (pipeline/io/exports.py streams
each tar into its file, one row group at a time), spread over workers like any job: a build of
thousands of shards exports in parallel, and no step holds more than one row group. Formats:
pipeline/io/obelics.py and pipeline/io/mmc4.py. OUT also gets `export.json` (the source build and
its manifest's sha256, per-file counts, every skipped page with its reason; inputs == written +
skipped or the export fails) and a dataset card (README.md) whose header declares the features,
so `datasets.load_dataset(OUT)` loads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections import Counter
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from pipeline.io.build_reader import Build, list_shards, load_build
from pipeline.io.dataset_card import write_export_card
from pipeline.io.exports import FORMATS, ExportSpec, export_shard
from pipeline.io.manifest import ConservationError
from pipeline.io.obelics import IMAGE_MODES
from pipeline.io.shard_files import read_json, remove_stale_temporaries, write_json_atomic
from pipeline.runner.launch import run_pipeline
from pipeline.runner.options import RunConfig, add_run_args, job_parser, parse_job_config

log = logging.getLogger(__name__)

EXPORT_NAME = "export.json"


@dataclasses.dataclass(kw_only=True)
class ExportConfig:
    format: str  # obelics | mmc4
    build: str  # an m3w build folder (with manifest.json)
    output: str
    images: str = "urls"  # urls | bytes
    run: RunConfig = dataclasses.field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        if self.format not in FORMATS:
            raise ValueError(f"format must be one of {', '.join(FORMATS)}, got {self.format!r}")
        if self.images not in IMAGE_MODES:
            raise ValueError(f"images must be one of {', '.join(IMAGE_MODES)}, got {self.images!r}")


def build_parser() -> argparse.ArgumentParser:
    p = job_parser("flamingo export", __doc__.split("\n\n")[0] + "\n\n" + __doc__.split("\n\n")[1])
    p.add_argument("format", choices=FORMATS, help="obelics (parquet) or mmc4 (jsonl)")
    p.add_argument("build", help="an m3w build folder (local, gs://, s3://)")
    p.add_argument("output", help="the folder to write the export into")
    p.add_argument(
        "--images",
        dest="images",
        choices=IMAGE_MODES,
        help="images as their URLs (default) or as the fetched bytes",
    )
    return add_run_args(p)


class InputError(ValueError):
    """The command line names a build that cannot be exported; the message says why."""


def _finish(
    _, stats: list[dict[str, Any]], config: ExportConfig, build_manifest: dict, source: dict
) -> dict[str, Any]:
    stats = sorted(stats, key=lambda s: s["shard"])
    skipped = [s for st in stats for s in st["skipped"]]
    summary = {
        "format": config.format,
        "images": config.images,
        "source": source,
        "inputs": sum(s["inputs"] for s in stats),
        "written": sum(s["written"] for s in stats),
        "skipped": len(skipped),
        "skipped_by_reason": dict(sorted(Counter(s["reason"] for s in skipped).items())),
        "image_slots_left_out": sum(s["image_slots_left_out"] for s in stats),
        "files": [{k: s[k] for k in ("file", "shard", "inputs", "written")} for s in stats],
        "skipped_keys": sorted(skipped, key=lambda s: s["key"]),
    }
    expected = build_manifest.get("written")
    if summary["inputs"] != expected or summary["inputs"] != summary["written"] + summary["skipped"]:
        raise ConservationError(
            f"export of {source['path']}: the build holds {expected} samples, {summary['inputs']} were read, "
            f"{summary['written']} written and {summary['skipped']} skipped; no {EXPORT_NAME} was written"
        )
    remove_stale_temporaries(config.output)
    write_export_card(config.output, summary, build_manifest)
    write_json_atomic(FileSystems.join(config.output, EXPORT_NAME), summary)
    return summary


def export_pipeline(p: beam.Pipeline, config: ExportConfig, build: Build, tars: list[str]):
    """The export graph on `p`: one file per tar, then export.json and the card, last."""
    dedup = (build.manifest.get("config") or {}).get("dedup") or {}
    spec = ExportSpec(
        format=config.format,
        images=config.images,
        output=config.output,
        deduplicated=dedup.get("enabled", True) is not False,
    )
    source = {"path": build.path, "job": build.job, "manifest_sha256": build.manifest_sha256}
    stats = (
        p
        | "Shards" >> beam.Create(tars)
        | "SpreadShards" >> beam.Reshuffle()
        | "ExportShards" >> beam.Map(export_shard, spec)
    )
    return (
        p
        | "FinishTrigger" >> beam.Create([None])
        | "WriteSummary" >> beam.Map(_finish, beam.pvalue.AsList(stats), config, build.manifest, source)
    )


def run(argv: list[str] | None = None) -> dict[str, Any]:
    """Run one export; returns its export.json."""
    config, beam_args = parse_job_config(build_parser(), ExportConfig, argv)
    try:
        build = load_build(config.build)
        if build.job != "m3w":
            raise ValueError(
                f"{config.build} is a {build.job} build; OBELICS and MMC4 hold interleaved documents, "
                "so only m3w builds export"
            )
        tars = list_shards(build.path, [s["tar"] for s in build.manifest.get("shards", [])])
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    if config.output.rstrip("/") == build.path:
        raise InputError(f"the export would write into the build {build.path}; choose another folder")
    if not FileSystems.exists(config.output):
        FileSystems.mkdirs(config.output)
    run_pipeline(
        config.run.profile, config.output, beam_args, lambda p: export_pipeline(p, config, build, tars)
    )
    result = read_json(FileSystems.join(config.output, EXPORT_NAME))
    log.info(
        "export %s: %d pages -> %d written, %d skipped %s",
        config.format,
        result["inputs"],
        result["written"],
        result["skipped"],
        result["skipped_by_reason"],
    )
    return result


def main(argv: list[str] | None = None) -> int:
    try:
        run(argv)
    except InputError as exc:  # a usage problem: say it plainly, no traceback
        sys.stderr.write(f"flamingo export: {exc}\n")
        return 2
    return 0
