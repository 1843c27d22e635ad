"""Running a build job: parse its config, build its graph under the resolved Beam options, run it,
and read back the manifest the shard writer wrote last.

A job module needs three things: `build_parser()`, its config dataclass (with `output` and
`run` fields) and `build_pipeline(p, config, beam_args)`; `run_job` does the rest, then writes
report.html next to the manifest (on the machine that launched the job, from the files).
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
from collections.abc import Callable
from typing import Any

import apache_beam as beam

from pipeline.io.manifest import MANIFEST_NAME
from pipeline.io.readers import InputError
from pipeline.io.shard_files import read_json
from pipeline.report.build_report import write_report
from pipeline.runner.local_runner import runner_for
from pipeline.runner.options import make_pipeline_options, parse_job_config
from pipeline.runner.progress import close_bars

log = logging.getLogger(__name__)

SUMMARY_KEYS = ("inputs", "written", "rejected", "rejected_by_reason")


class EmptyInputError(InputError):
    """The inputs hold no rows (an empty or header-only list) and --allow-empty was not given."""


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
    if manifest["inputs"] == 0 and not config.run.allow_empty:
        raise EmptyInputError(
            f"no inputs: {getattr(config, 'input', None) or getattr(config, 'urls', None)} holds no rows (an "
            "empty or header-only list?); an empty build was written to "
            f"{config.output}; pass --allow-empty if that is what you meant"
        )
    return manifest


def input_error_in(exc: BaseException) -> str | None:
    """The message of the InputError behind a failed run (raised here, or on a worker, where Beam
    wraps it into its own error's text), else None."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, InputError):
            return BEAM_SUFFIX.sub("", str(exc))
        exc = exc.__cause__ or exc.__context__
    return None


def _worker_input_error(text: str) -> str | None:
    """The InputError line in the text of an error Beam raised for a worker's failure."""
    found = INPUT_ERROR_LINE.findall(text)
    return BEAM_SUFFIX.sub("", found[-1]).strip() if found else None


INPUT_ERROR_LINE = re.compile(r"(?:^|\n)\S*InputError: ([^\n]+)")
BEAM_SUFFIX = re.compile(r" \[while running '[^']*'\]$")


class _HideInputErrorTraces(logging.Filter):
    """Beam logs a worker's exception with its whole traceback; for an input error the one line the
    command prints says it all."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None and input_error_in(record.exc_info[1]):
            return False
        return "InputError: " not in record.getMessage()


class _StderrWithoutInputErrorTraces:
    """sys.stderr, minus the tracebacks Beam's in-process workers print for an input error (they
    `print` them before logging them; the command's one line says it all)."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        if text.lstrip().startswith("Traceback") and "InputError: " in text:
            return len(text)
        return self._stream.write(text)

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def run_pipeline(
    profile: str, output: str, beam_args: list[str], build: Callable[[beam.Pipeline], Any]
) -> None:
    """Build (`build(p)`) and run one pipeline under the options `profile` and the Beam flags
    resolve to, on our local runner when they name FnApiRunner; progress bars are closed after."""
    options = make_pipeline_options(beam_args, profile=profile, output=output)
    quiet = _HideInputErrorTraces()
    handlers = logging.getLogger().handlers
    for handler in handlers:
        handler.addFilter(quiet)
    stderr, sys.stderr = sys.stderr, _StderrWithoutInputErrorTraces(sys.stderr)
    try:
        with beam.Pipeline(runner=runner_for(options), options=options) as p:
            build(p)
    except Exception as exc:
        message = input_error_in(exc) or _worker_input_error(str(exc))
        if message is None:
            raise
        raise InputError(message) from None
    finally:
        sys.stderr = stderr
        for handler in handlers:
            handler.removeFilter(quiet)
        close_bars()


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
