"""What every job shares on its command line, and the split between our flags and Beam's.

A job's parser declares its own flags with `dest` set to the path of the config field they
fill (`--image-size` -> "resize.image_size") and no defaults of their own: the job's config
dataclass holds every default once. `parse_job_config` merges, in order, the dataclass
defaults, an optional `--config job.yaml`, and the flags given on the command line; whatever
the parser does not know is handed to Beam, so any runner flag (`--runner`, `--project`,
`--temp_location`, `--direct_num_workers`, ...) works on every job; a flag that is not one of
Beam's options either is an error with a "did you mean" hint (pipeline/runner/beam_flags.py).

The local default runner is named explicitly and is the in-process FnApiRunner: Beam's default
(Prism) downloads a binary, which fails offline, and DirectRunner tries Prism first on every run
(a network attempt and ~1 s) before falling back to this same FnApiRunner. `--profile`
(pipeline/runner/profiles.py) fills in the flags for an engine (local, dataflow, spark, flink);
explicit Beam flags win.
"""

from __future__ import annotations

import argparse
import dataclasses
from typing import Any, TypeVar

from apache_beam.options.pipeline_options import PipelineOptions

from pipeline.runner.beam_flags import check_beam_args, common_beam_flags_help
from pipeline.runner.logs import LEVELS, configure_logging
from pipeline.runner.profiles import DEFAULT_PROFILE, PROFILES, expand_profile
from schemas.config import ConfigError, build_config, load_yaml, set_path, to_plain

DEFAULT_RUNNER = "FnApiRunner"
CONFIG_FILE = "config_file"  # the parser's dest for --config: not a config field itself
LOG_LEVEL = "log_level"  # the parser's dest for --log-level: applied at once, not a config field

C = TypeVar("C")


@dataclasses.dataclass(kw_only=True)
class RunConfig:
    """How a job runs (not what it makes): the runner profile and the local progress bars."""

    profile: str = DEFAULT_PROFILE
    progress: bool = True
    allow_empty: bool = False  # an input that holds no rows is an error unless this says it is fine

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(
                f"unknown profile {self.profile!r}; valid profiles: {', '.join(sorted(PROFILES))}"
            )


class JobArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line: a job's full usage is 40 flags long."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n(`{self.prog} --help` lists every flag)\n")


def job_parser(prog: str, doc: str) -> argparse.ArgumentParser:
    """A parser whose flags fill config fields: no defaults (the config dataclass has them).

    `doc` is the job module's docstring: its first paragraph describes the job, the rest (the
    local and Dataflow examples) is shown after the flags, with the common Beam flags. No
    abbreviations: `--image` must not quietly mean `--image-size`.
    """
    description, _, examples = doc.strip().partition("\n\n")
    epilog = "\n\n".join(part for part in (examples.strip(), common_beam_flags_help()) if part)
    return JobArgumentParser(
        prog=prog,
        description=description,
        epilog=epilog,
        argument_default=argparse.SUPPRESS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        allow_abbrev=False,
    )


def add_run_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    g = parser.add_argument_group("running")
    g.add_argument(
        "--config",
        dest=CONFIG_FILE,
        metavar="JOB.yaml",
        help="a YAML file of this job's config fields (flags given here win over it)",
    )
    g.add_argument(
        "--no-progress", dest="run.progress", action="store_false", help="do not show progress bars"
    )
    g.add_argument(
        "--allow-empty",
        dest="run.allow_empty",
        action="store_true",
        help="an input list without rows builds an empty dataset instead of failing",
    )
    g.add_argument(
        "--log-level",
        dest=LOG_LEVEL,
        type=str.upper,
        choices=LEVELS,
        help="default INFO for this project's messages and WARNING for Beam's; a level given applies to both",
    )
    g.add_argument(
        "--profile",
        dest="run.profile",
        choices=sorted(PROFILES),
        help=f"runner profile: Beam flags for local, dataflow, spark or flink (default {DEFAULT_PROFILE}; "
        "explicit Beam flags win); see pipeline/runner/profiles.py",
    )
    return parser


def add_common_args(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The output, shard, filter and run flags of every build job."""
    g = parser.add_argument_group("output")
    g.add_argument("--output", dest="output", help="output directory (local path, gs://, s3://); required")
    g.add_argument("--shard-name", dest="shards.name", help="shard name prefix (default: the job's name)")
    g.add_argument(
        "--samples-per-shard",
        dest="shards.samples_per_shard",
        type=int,
        help="at most this many samples per tar (default 1000)",
    )
    g.add_argument(
        "--max-shard-bytes",
        dest="shards.max_shard_bytes",
        type=int,
        help="at most this many member bytes per tar (default 512 MiB)",
    )
    g.add_argument(
        "--filters", dest="filters", help="YAML file configuring the filter chain (default: the paper's)"
    )
    return add_run_args(parser)


def parse_job_config(
    parser: argparse.ArgumentParser,
    config_cls: type[C],
    argv: list[str] | None,
) -> tuple[C, list[str]]:
    """(the job's config: defaults <- --config YAML <- flags, the Beam flags); a bad value, or a
    flag that is neither the job's nor one of Beam's options, is a usage error (exit 2) that names
    it (pipeline/runner/beam_flags.py)."""
    namespace, beam_args = parser.parse_known_args(argv)
    check_beam_args(parser, beam_args)
    given = vars(namespace)
    if LOG_LEVEL in given:
        configure_logging(given.pop(LOG_LEVEL))
    try:
        data = load_yaml(given.pop(CONFIG_FILE, None))
        for path, value in given.items():
            set_path(data, path, value)
        return build_config(config_cls, data), beam_args
    except (ConfigError, OSError) as exc:
        parser.error(str(exc))


def has_flag(beam_args: list[str], name: str) -> bool:
    return any(a == f"--{name}" or a.startswith(f"--{name}=") for a in beam_args)


def make_pipeline_options(
    beam_args: list[str], *, profile: str | None = None, output: str | None = None, **overrides: Any
) -> PipelineOptions:
    """Beam options from the flags the job did not consume, with an explicit default runner.

    Jobs pass their profile and output; the output lets the dataflow profile put temp/staging
    files in the output's bucket. Without a profile only the runner is defaulted.
    """
    args = list(beam_args)
    if profile is not None:
        args = expand_profile(profile, args, output=output)
    if not has_flag(args, "runner"):
        args.append(f"--runner={DEFAULT_RUNNER}")
    return PipelineOptions(args, **overrides)


def resolved_config(config: Any, beam_args: list[str]) -> dict[str, Any]:
    """The job's resolved configuration as plain JSON (written into the manifest)."""
    return {**to_plain(config), "beam_args": list(beam_args)}
