"""Running a build job: parse its config, build its graph under the resolved Beam options, run it,
and read back the manifest the shard writer wrote last.

A job module needs three things: `build_parser()`, its config dataclass (with `output` and
`run` fields) and `build_pipeline(p, config, beam_args)`; `run_job` does the rest, then writes
report.html next to the manifest (on the machine that launched the job, from the files).
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

import apache_beam as beam

from pipeline.io.manifest import MANIFEST_NAME
from pipeline.io.shard_files import read_json
from pipeline.report.build_report import write_report
from pipeline.runner.local_runner import runner_for
from pipeline.runner.options import make_pipeline_options, parse_job_config
from pipeline.runner.progress import close_bars

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("inputs", "written", "rejected", "rejected_by_reason")


def run_job(
    build_parser: Callable[[], argparse.ArgumentParser],
    config_cls: type,
    build_pipeline: Callable[[beam.Pipeline, Any, list[str]], Any],
    argv: list[str] | None,
) -> dict[str, Any]:
    config, beam_args = parse_job_config(build_parser(), config_cls, argv)
    run_pipeline(config.run.profile, config.output, beam_args, lambda p: build_pipeline(p, config, beam_args))
    manifest = read_json(f"{config.output.rstrip('/')}/{MANIFEST_NAME}")
    write_report(config.output, manifest)  # never raises: a failure goes to report_error.txt
    return manifest


def run_pipeline(
    profile: str, output: str, beam_args: list[str], build: Callable[[beam.Pipeline], Any]
) -> None:
    """Build (`build(p)`) and run one pipeline under the options `profile` and the Beam flags
    resolve to, on our local runner when they name FnApiRunner; progress bars are closed after."""
    options = make_pipeline_options(beam_args, profile=profile, output=output)
    try:
        with beam.Pipeline(runner=runner_for(options), options=options) as p:
            build(p)
    finally:
        close_bars()


def log_summary(job: str, manifest: dict[str, Any]) -> int:
    log.info("%s: %s", job, {k: manifest.get(k) for k in SUMMARY_KEYS})
    return 0
