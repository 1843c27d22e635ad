"""Arguments every build job shares, and the split between ours and Beam's.

A job parses its own flags with argparse (`parse_known_args`); whatever it does not know is
handed to Beam untouched, so any runner flag (`--runner`, `--project`, `--temp_location`,
`--direct_num_workers`, ...) works on every job. The local default runner is named explicitly and
is the in-process FnApiRunner: Beam's default (Prism) downloads a binary, which fails offline, and
DirectRunner tries Prism first on every run (a network attempt and ~1 s) before falling back to
this same FnApiRunner. `--profile` (pipeline/runner/profiles.py)
fills in the flags for an engine (local, dataflow, spark, flink); explicit Beam flags win.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.io.shard_writer import MAX_SHARD_BYTES, SAMPLES_PER_SHARD
from pipeline.runner.profiles import DEFAULT_PROFILE, PROFILES, expand_profile

DEFAULT_RUNNER = "FnApiRunner"


def add_common_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    g = parser.add_argument_group("output")
    g.add_argument("--output", required=True, help="output directory (local path, gs://, s3://)")
    g.add_argument("--shard-name", default=None, help="shard name prefix (default: the job's name)")
    g.add_argument("--samples-per-shard", type=int, default=SAMPLES_PER_SHARD, help="at most this many samples per tar")
    g.add_argument(
        "--max-shard-bytes", type=int, default=MAX_SHARD_BYTES, help="at most this many member bytes per tar"
    )
    g.add_argument("--filters", default=None, help="YAML file configuring the filter chain (default: the paper's)")
    g.add_argument("--no-progress", action="store_true", help="do not show a progress bar")
    g.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default=DEFAULT_PROFILE,
        help="runner profile: Beam flags for local, dataflow, spark or flink (explicit Beam flags win); "
        "see pipeline/runner/profiles.py",
    )
    return parser


def has_flag(beam_args: list[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in beam_args)


def make_pipeline_options(
    beam_args: list[str], *, profile: str | None = None, output: str | None = None, **overrides: Any
) -> PipelineOptions:
    """Beam options from the flags the job did not consume, with an explicit default runner.

    Jobs pass `profile=args.profile, output=args.output`; the output lets the dataflow profile
    put temp/staging files in the output's bucket. Without a profile only the runner is defaulted.
    """
    args = list(beam_args)
    if profile is not None:
        args = expand_profile(profile, args, output=output)
    if not has_flag(args, "runner"):
        args.append(f"--runner={DEFAULT_RUNNER}")
    return PipelineOptions(args, **overrides)


def resolved_config(args: argparse.Namespace, beam_args: list[str]) -> dict[str, Any]:
    """The job's resolved configuration as plain JSON (written into the manifest)."""
    config = {k: v for k, v in vars(args).items() if _jsonable(v)}
    config["beam_args"] = list(beam_args)
    return config


def _jsonable(value: Any) -> bool:
    try:
        json.dumps(value)
    except TypeError:
        return False
    return True
