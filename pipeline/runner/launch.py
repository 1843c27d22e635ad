"""Running a build job: parse its config, build its graph under the resolved Beam options, run it,
and read back the manifest the shard writer wrote last.

A job module needs three things: `build_parser()`, its config dataclass (with `output` and
`run` fields) and `build_pipeline(p, config, beam_args)`; `run_job` does the rest: it adds the
run's stage throughput (pipeline/runner/throughput.py, from the PipelineResult's metrics) to the
manifest, then writes report.html next to it (on the machine that launched the job, from the files).
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import sys
from collections.abc import Callable
from typing import Any

import apache_beam as beam
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import StandardOptions

from pipeline.io.manifest import MANIFEST_NAME
from pipeline.io.readers import InputError
from pipeline.io.shard_files import read_json, write_json_atomic
from pipeline.report.build_report import write_report
from pipeline.runner import throughput
from pipeline.runner.input_errors import input_errors_as_one_line
from pipeline.runner.local_runner import runner_for
from pipeline.runner.options import make_pipeline_options, parse_job_config
from pipeline.runner.progress import close_bars
from pipeline.steps.clock import now_ms

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("inputs", "written", "rejected", "rejected_by_reason")


class EmptyInputError(InputError):
    """The inputs hold no rows (an empty or header-only list) and --allow-empty was not given."""


@dataclasses.dataclass(frozen=True)
class FinishedRun:
    """A pipeline that ran to the end: its result (metrics) and the driver's clock around it."""

    result: Any  # beam.runners.runner.PipelineResult
    runner: str
    started_ms: int
    finished_ms: int

    def throughput(self) -> dict[str, Any]:
        return throughput.from_result(self.result, self.started_ms, self.finished_ms, self.runner)


def run_job(
    build_parser: Callable[[], argparse.ArgumentParser],
    config_cls: type,
    build_pipeline: Callable[[beam.Pipeline, Any, list[str]], Any],
    argv: list[str] | None,
) -> dict[str, Any]:
    config, beam_args = parse_job_config(build_parser(), config_cls, argv)
    run = run_pipeline(
        config.run.profile, config.output, beam_args, lambda p: build_pipeline(p, config, beam_args)
    )
    manifest = record_throughput(config.output, run)
    write_report(config.output, manifest)  # never raises: a failure goes to report_error.txt
    if manifest["inputs"] == 0 and not config.run.allow_empty:
        raise EmptyInputError(
            f"no inputs: {getattr(config, 'input', None) or getattr(config, 'urls', None)} holds no rows (an "
            "empty or header-only list?); an empty build was written to "
            f"{config.output}; pass --allow-empty if that is what you meant"
        )
    return manifest


def run_pipeline(
    profile: str, output: str, beam_args: list[str], build: Callable[[beam.Pipeline], Any]
) -> FinishedRun:
    """Build (`build(p)`) and run one pipeline under the options `profile` and the Beam flags
    resolve to, on our local runner when they name FnApiRunner; progress bars are closed after."""
    options = make_pipeline_options(beam_args, profile=profile, output=output)
    started = now_ms()
    try:
        with input_errors_as_one_line(), beam.Pipeline(runner=runner_for(options), options=options) as p:
            build(p)
    finally:
        close_bars()
    runner = str(options.view_as(StandardOptions).runner or "default")
    return FinishedRun(p.result, runner, started, now_ms())


def record_throughput(output_dir: str, run: FinishedRun, builds: list[str] | None = None) -> dict[str, Any]:
    """The build's manifest with the run's `throughput` record added, rewritten in place (atomically:
    a reader sees the old manifest or the new one). Returns the manifest. `builds`: every build the
    one pipeline wrote (a release step), named in the record, whose numbers cover them all."""
    path = FileSystems.join(output_dir, MANIFEST_NAME)
    manifest = read_json(path)
    try:
        manifest["throughput"] = run.throughput()
        if builds and len(builds) > 1:
            manifest["throughput"]["builds_in_run"] = builds
    except NotImplementedError as exc:  # a runner whose result has no metrics API
        log.warning("%s reports no metrics (%s); the manifest has no throughput record", run.runner, exc)
        return manifest
    write_json_atomic(path, manifest)
    return manifest


def log_summary(job: str, manifest: dict[str, Any]) -> int:
    log.info("%s: %s", job, {k: manifest.get(k) for k in SUMMARY_KEYS})
    return 0


def job_main(job: str, run: Callable[[list[str]], dict[str, Any]], argv: list[str]) -> int:
    """A build job's command: its summary, or one clear line on stderr for unusable inputs (exit 2)."""
    try:
        manifest = run(argv)
    except InputError as exc:
        sys.stderr.write(f"flamingo build {job}: {exc}\n")
        return 2
    return log_summary(job, manifest)
