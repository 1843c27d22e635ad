"""Strict command lines: every flag a job is given is either the job's own or one of Beam's.

Beam itself only logs "Unparseable argument" for a flag it does not know and runs on, so a typo
(`--imge-size 64`, `--tmp_location gs://...`) silently builds with the default. Here the flags a
job's parser did not consume must parse as options of `PipelineOptions`' own subclasses (the
parser Beam builds in `PipelineOptions.get_all_options`); anything left is a usage error that
names the flag and the closest known one.
"""

from __future__ import annotations

import argparse
import difflib

from apache_beam.options.pipeline_options import PipelineOptions, _BeamArgumentParser

# What a user of a build job reaches for most; `--help` lists these (Beam knows ~200 options).
COMMON_BEAM_FLAGS = (
    ("--runner", "FnApiRunner (default here), DataflowRunner, SparkRunner, FlinkRunner, PortableRunner"),
    ("--direct_num_workers", "local workers (with --direct_running_mode multi_threading|multi_processing)"),
    ("--project / --region", "Dataflow: the GCP project and region"),
    ("--temp_location / --staging_location", "Dataflow: gs:// folders for temp and staged files"),
    ("--max_num_workers", "Dataflow: the autoscaling ceiling"),
    ("--setup_file / --sdk_container_image", "how workers get this package (README: Running at scale)"),
    ("--job_endpoint / --environment_type", "PortableRunner: the job server and how workers start"),
)


def beam_parser() -> argparse.ArgumentParser:
    """Beam's own parser of every PipelineOptions subclass imported so far (as get_all_options builds it)."""
    parser = _BeamArgumentParser(allow_abbrev=False)
    seen: dict[str, type] = {}
    for cls in PipelineOptions.__subclasses__():
        seen.setdefault(str(cls), cls)
    for cls in seen.values():
        cls._add_argparse_args(parser)  # noqa: SLF001 - Beam's own way to build its parser
    return parser


def option_strings(parser: argparse.ArgumentParser) -> list[str]:
    return [opt for action in parser._actions for opt in action.option_strings]  # noqa: SLF001


def unknown_flags(args: list[str]) -> list[str]:
    """The flags (and stray words) in `args` that no Beam option parses; [] when all are Beam's."""
    _, unknown = beam_parser().parse_known_args(args)
    return unknown


def did_you_mean(flag: str, candidates: list[str]) -> str:
    """' (did you mean --x?)' for the closest candidate, or ''."""
    name = flag.split("=", 1)[0]
    close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def check_beam_args(job_parser: argparse.ArgumentParser, beam_args: list[str]) -> None:
    """A usage error (exit 2) for the first flag that is neither the job's nor Beam's."""
    unknown = unknown_flags(beam_args)
    if not unknown:
        return
    flags = [a for a in unknown if a.startswith("-")]
    if not flags:
        job_parser.error(f"unexpected argument {unknown[0]!r} (every value follows its --flag)")
    candidates = option_strings(job_parser) + option_strings(beam_parser())
    hint = did_you_mean(flags[0], candidates)
    job_parser.error(f"unknown flag {flags[0].split('=', 1)[0]}{hint}")


def common_beam_flags_help() -> str:
    lines = ["common Beam flags (any Beam pipeline option is accepted; explicit ones win over --profile):"]
    lines += [f"  {name:<40} {text}" for name, text in COMMON_BEAM_FLAGS]
    return "\n".join(lines)
