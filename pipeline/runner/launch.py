"""Running a build job: parse its flags, build its graph under the resolved Beam options, run it,
and read back the manifest the shard writer wrote last."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable
from typing import Any

import apache_beam as beam

from pipeline.io.manifest import MANIFEST_NAME
from pipeline.io.shard_files import read_json
from pipeline.runner.local_runner import runner_for
from pipeline.runner.options import make_pipeline_options
from pipeline.runner.progress import close_bars

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("inputs", "written", "rejected", "rejected_by_reason")


def run_job(
    build_parser: Callable[[], argparse.ArgumentParser],
    build_pipeline: Callable[[beam.Pipeline, argparse.Namespace, list[str]], Any],
    argv: list[str] | None,
    *,
    check: Callable[[argparse.Namespace], None] | None = None,
) -> dict[str, Any]:
    args, beam_args = build_parser().parse_known_args(argv)
    if check is not None:
        check(args)
    run_pipeline(args, beam_args, lambda p: build_pipeline(p, args, beam_args))
    return read_json(f"{args.output.rstrip('/')}/{MANIFEST_NAME}")


def run_pipeline(args: argparse.Namespace, beam_args: list[str], build: Callable[[beam.Pipeline], Any]) -> None:
    """Build (`build(p)`) and run one pipeline under the options `--profile` and the Beam flags
    resolve to, on our local runner when they name FnApiRunner; progress bars are closed after."""
    options = make_pipeline_options(beam_args, profile=args.profile, output=args.output)
    try:
        with beam.Pipeline(runner=runner_for(options), options=options) as p:
            build(p)
    finally:
        close_bars()


def log_summary(job: str, manifest: dict[str, Any]) -> int:
    log.info("%s: %s", job, {k: manifest.get(k) for k in SUMMARY_KEYS})
    return 0
