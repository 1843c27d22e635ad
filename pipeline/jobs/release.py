"""`flamingo dedup` and `flamingo decontaminate`: release steps over finished builds.

Local:
    flamingo dedup --inputs out/m3w out/pairs out/videos --output out/dedup
    flamingo decontaminate --inputs out/dedup --eval eval/eval.csv --output out/clean
Dataflow (any Beam flag passes through; --profile fills in the rest, pipeline/runner/profiles.py):
    flamingo dedup --inputs gs://B/v1/m3w gs://B/v1/pairs gs://B/v1/videos --output gs://B/v1/dedup \\
        --profile dataflow --region europe-west4

Each step reads every sample of every input build (a build folder, or a folder of builds such as
an earlier step's output), judges small per-image probes with a pluggable stage
(pipeline/release/stages.py), applies the verdicts (pipeline/release/probes.py) and re-writes
each build into OUTPUT/<build folder name>/ with WriteShards: same job, shard name and row
schema, so every later tool reads it like the original. A dropped pair or video, or an M3W page
whose text overlaps an eval text, is a reject of this step; a removed M3W image slot is an
image-stage reject and its page is kept. Each output manifest counts the samples read from its
build as inputs (conservation), records the chain of earlier steps under config.lineage, and
OUTPUT/<step>_summary.json lists what was removed per build. Re-runs skip complete shards.

Dedup keeps, of each group of duplicates, the image of the earliest build in --inputs, then the
smallest key: the DAG lists m3w first, so an image seen both in a page and as a pair stays in the
page (interleaved data is the scarcer kind) and the pair is dropped.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems

from filters.phash import DEFAULT_MAX_DISTANCE
from pipeline.dedup.decontaminate import load_eval_sets
from pipeline.io.build_reader import SUMMARY_KEYS, Build, ReadBuilds, resolve_builds
from pipeline.io.readers import InputError
from pipeline.io.shard_files import write_json_atomic
from pipeline.io.shard_writer import MAX_SHARD_BYTES, SAMPLES_PER_SHARD, ShardConfig, WriteShards
from pipeline.release.probes import REJECTS, ApplyVerdicts, extract_probes, sample_id
from pipeline.release.stages import CrossDedup, EvalContamination
from pipeline.report.build_report import write_report
from pipeline.runner.launch import record_throughput, run_pipeline
from pipeline.runner.options import RunConfig, add_run_args, job_parser, parse_job_config, resolved_config
from pipeline.runner.progress import ShowProgress
from schemas import DOCUMENT_SCHEMA, VIDEO_TEXT_PAIR_SCHEMA, RejectRecord

log = logging.getLogger(__name__)

STEPS = ("dedup", "decontaminate")
DESCRIPTIONS = {
    "dedup": "Drop images shared across and within finished builds (exact sha256, then pHash), keeping the "
    "earliest build's copy; re-write each build under OUTPUT/<build folder name>/.",
    "decontaminate": "Drop samples (M3W: image slots) near evaluation images and M3W pages sharing a long "
    "n-gram run with evaluation texts; re-write each build under OUTPUT/<build folder name>/.",
}
# the row schema each job's WriteShards uses (pairs: inferred from img2dataset-style rows)
ROW_SCHEMAS = {"m3w": DOCUMENT_SCHEMA, "pairs": None, "videos": VIDEO_TEXT_PAIR_SCHEMA}


@dataclasses.dataclass(kw_only=True)
class ReleaseConfig:
    """A release step's options (`flamingo dedup` / `flamingo decontaminate`)."""

    inputs: list[str]  # build folders (or folders of builds); for dedup their order is the keep priority
    output: str  # one subfolder per input build
    phash_distance: int = (
        DEFAULT_MAX_DISTANCE  # images at most this many pHash bits apart are the same picture
    )
    samples_per_shard: int | None = None  # None: each input build's own setting
    max_shard_bytes: int | None = None
    perceptual: bool = True  # dedup: pHash duplicates too, not only sha256
    eval: str | None = None  # decontaminate: a CSV of path,caption (paths relative to it), or a glob of CSVs
    ngram: int = 13  # decontaminate: M3W pages sharing this many words in a row with an eval text go
    min_words: int = 8  # decontaminate: shorter eval texts match only as a whole, from this length
    run: RunConfig = dataclasses.field(default_factory=RunConfig)

    def __post_init__(self) -> None:
        self.output = self.output.rstrip("/")


def build_parser(step: str) -> argparse.ArgumentParser:
    p = job_parser(f"flamingo {step}", DESCRIPTIONS[step])
    p.add_argument(
        "--inputs",
        dest="inputs",
        nargs="+",
        metavar="DIR",
        help="build folders (or folders of builds); for dedup their order is the keep priority",
    )
    p.add_argument("--output", dest="output", help="output folder: one subfolder per input build")
    p.add_argument(
        "--phash-distance",
        dest="phash_distance",
        type=int,
        help=f"images at most this many pHash bits apart (of 64) are the same picture (default "
        f"{DEFAULT_MAX_DISTANCE})",
    )
    p.add_argument(
        "--samples-per-shard", dest="samples_per_shard", type=int, help="default: each input build's setting"
    )
    p.add_argument(
        "--max-shard-bytes", dest="max_shard_bytes", type=int, help="default: each input build's setting"
    )
    if step == "dedup":
        p.add_argument(
            "--no-perceptual", dest="perceptual", action="store_false", help="exact (sha256) duplicates only"
        )
    else:
        p.add_argument(
            "--eval",
            dest="eval",
            metavar="EVAL_CSV",
            help="evaluation set(s): a CSV of path,caption (paths relative to it), or a glob of CSVs",
        )
        p.add_argument(
            "--ngram",
            dest="ngram",
            type=int,
            help="M3W pages sharing this many words in a row are dropped (default 13)",
        )
        p.add_argument(
            "--min-words",
            dest="min_words",
            type=int,
            help="shorter eval texts match only as a whole, from this length (default 8)",
        )
    return add_run_args(p)


def _same_path(a: str, b: str) -> bool:
    return a.rstrip("/") == b.rstrip("/")


def shard_config(build: Build, config: ReleaseConfig) -> ShardConfig:
    """The input build's own shard name and sizes, unless the step's flags say otherwise."""
    shards = (build.manifest.get("config") or {}).get("shards") or {}
    return ShardConfig(
        name=build.shard_name,
        samples_per_shard=config.samples_per_shard or shards.get("samples_per_shard") or SAMPLES_PER_SHARD,
        max_shard_bytes=config.max_shard_bytes or shards.get("max_shard_bytes") or MAX_SHARD_BYTES,
    )


def _split_read(item):
    return beam.pvalue.TaggedOutput("bad", item) if isinstance(item[1], RejectRecord) else item


def _by_sample_id(index: int, sample) -> tuple[str, tuple[int, Any]]:
    return sample_id(index, sample.key), (index, sample)


def _build_of(item: tuple[int, Any], num_builds: int) -> int:
    return item[0]


def build_pipeline(
    p: beam.Pipeline,
    builds: list[Build],
    stage: beam.PTransform,
    step: str,
    config: ReleaseConfig,
    beam_args: list[str],
):
    """Read every build, judge probes with `stage`, write each build's kept samples and rejects."""
    options = dict(stage.probe_options)
    read = p | "ReadBuilds" >> ReadBuilds(builds) | ShowProgress(step, enabled=config.run.progress)
    split = read | "SplitRead" >> beam.Map(_split_read).with_outputs("bad", main="samples")
    keyed = split.samples | "BySampleId" >> beam.MapTuple(_by_sample_id)
    verdicts = (
        keyed
        | "Probes" >> beam.FlatMapTuple(lambda sid, item: extract_probes(sid, item[1], **options))
        | "Judge" >> stage
        | "VerdictById" >> beam.Map(lambda v: (v.sid, v))
    )
    applied = (
        {"sample": keyed, "verdicts": verdicts}
        | "JoinVerdicts" >> beam.CoGroupByKey()
        | "ApplyVerdicts" >> beam.ParDo(ApplyVerdicts()).with_outputs(REJECTS, main="samples")
    )
    rejects = (split.bad, applied[REJECTS]) | "AllRejects" >> beam.Flatten()
    n = len(builds)
    by_build = {
        "samples": applied.samples | "PartitionSamples" >> beam.Partition(_build_of, n),
        "rejects": rejects | "PartitionRejects" >> beam.Partition(_build_of, n),
        "inputs": read | "PartitionInputs" >> beam.Partition(_build_of, n),
    }
    base_config = resolved_config(config, beam_args)
    manifests = []
    for i, build in enumerate(builds):
        parts = {
            what: pcolls[i] | f"Unkey{what.title()}[{build.name}]" >> beam.Map(lambda kv: kv[1])
            for what, pcolls in by_build.items()
        }
        shards = shard_config(build, config)
        own = {
            **base_config,
            "step": step,
            "source": build.path,
            "source_manifest_sha256": build.manifest_sha256,
            "lineage": build.lineage(),
            "shards": dataclasses.asdict(shards),
        }
        manifests.append(
            parts
            | f"Write[{build.name}]"
            >> WriteShards(
                FileSystems.join(config.output, build.name),
                job=build.job,
                shards=shards,
                config=own,
                row_schema=ROW_SCHEMAS[build.job],
            )
        )
    return manifests


def make_stage(step: str, builds: list[Build], config: ReleaseConfig) -> beam.PTransform:
    names = [b.name for b in builds]
    if step == "dedup":
        return CrossDedup(names, config.phash_distance, perceptual=config.perceptual)
    if not config.eval:
        raise ValueError("decontaminate needs --eval EVAL_CSV (the evaluation set to remove)")
    images, texts = load_eval_sets(config.eval)
    return EvalContamination(
        names, images, texts, config.phash_distance, ngram=config.ngram, min_words=config.min_words
    )


def prepare(argv: list[str] | None, step: str):
    """(config, beam_args, builds, stage) for `step`, checked before any pipeline starts."""
    if step not in STEPS:
        raise ValueError(f"unknown release step {step!r}; valid steps: {', '.join(STEPS)}")
    config, beam_args = parse_job_config(build_parser(step), ReleaseConfig, argv)
    try:
        builds = resolve_builds(config.inputs)
        stage = make_stage(step, builds, config)
    except (FileNotFoundError, ValueError) as exc:
        raise InputError(str(exc)) from None
    targets = [config.output] + [FileSystems.join(config.output, b.name) for b in builds]
    for x in builds:
        if any(_same_path(t, x.path) for t in targets):
            raise InputError(
                f"--output {config.output} would overwrite the input build {x.path}; choose another folder"
            )
    return config, beam_args, builds, stage


def run(argv: list[str] | None = None, step: str = "dedup") -> dict[str, Any]:
    """Run `step` ("dedup" or "decontaminate"); returns {build name: its output manifest}."""
    config, beam_args, builds, stage = prepare(argv, step)
    finished = run_pipeline(
        config.run.profile,
        config.output,
        beam_args,
        lambda p: build_pipeline(p, builds, stage, step, config, beam_args),
    )
    manifests = {}
    for b in builds:
        out = FileSystems.join(config.output, b.name)
        # one pipeline wrote every build: each manifest gets the pipeline's throughput record
        manifests[b.name] = record_throughput(out, finished, [x.name for x in builds])
        write_report(out, manifests[b.name])
    summary = {
        name: {"job": m["job"], **{k: m.get(k) for k in SUMMARY_KEYS}} for name, m in manifests.items()
    }
    write_json_atomic(
        FileSystems.join(config.output, f"{step}_summary.json"), {"step": step, "builds": summary}
    )
    for name, counts in summary.items():
        log.info("%s %s: %s", step, name, counts)
    return manifests


def run_dedup(argv: list[str] | None = None) -> dict[str, Any]:
    return run(argv, "dedup")


def run_decontaminate(argv: list[str] | None = None) -> dict[str, Any]:
    return run(argv, "decontaminate")


def _main(argv: list[str], step: str) -> int:
    try:
        run(argv, step)
    except InputError as exc:  # a usage problem: say it plainly, no traceback
        sys.stderr.write(f"flamingo {step}: {exc}\n")
        return 2
    return 0


def dedup_main(argv: list[str]) -> int:
    return _main(argv, "dedup")


def decontaminate_main(argv: list[str]) -> int:
    return _main(argv, "decontaminate")
