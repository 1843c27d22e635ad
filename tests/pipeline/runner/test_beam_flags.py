"""A strict, friendly command line: unknown flags are errors with a hint, --help shows examples."""

from __future__ import annotations

import logging

import pytest

from pipeline.cli import main
from pipeline.jobs import m3w, pairs
from pipeline.runner.beam_flags import did_you_mean, unknown_flags
from pipeline.runner.logs import configure_logging
from pipeline.runner.options import parse_job_config


def usage_error(capsys, build_parser, config_cls, argv) -> str:
    with pytest.raises(SystemExit) as exc:
        parse_job_config(build_parser(), config_cls, argv)
    assert exc.value.code == 2
    return capsys.readouterr().err


def test_a_typo_in_a_job_flag_is_an_error_with_the_flag_meant(capsys):
    err = usage_error(
        capsys, pairs.build_parser, pairs.PairsConfig, ["--input", "x", "--output", "y", "--imge-size", "64"]
    )
    assert (
        err.splitlines()[0]
        == "flamingo build pairs: error: unknown flag --imge-size (did you mean --image-size?)"
    )


def test_a_typo_in_a_beam_flag_is_an_error_with_the_beam_flag_meant(capsys):
    argv = ["--input", "x", "--output", "y", "--tmp_location=gs://b/tmp"]
    err = usage_error(capsys, pairs.build_parser, pairs.PairsConfig, argv)
    assert "unknown flag --tmp_location (did you mean --temp_location?)" in err


def test_abbreviations_are_not_taken_for_flags(capsys):
    err = usage_error(
        capsys, m3w.build_parser, m3w.M3WConfig, ["--input", "x", "--output", "y", "--image", "64"]
    )
    assert "unknown flag --image (did you mean --image-size?)" in err


def test_a_stray_word_is_an_error(capsys):
    err = usage_error(capsys, pairs.build_parser, pairs.PairsConfig, ["--input", "x", "--output", "y", "64"])
    assert "unexpected argument '64'" in err


def test_beam_s_own_flags_pass_through_untouched():
    beam = [
        "--runner",
        "DataflowRunner",
        "--project=p",
        "--temp_location",
        "gs://b/t",
        "--direct_num_workers=2",
    ]
    beam += ["--experiments=use_runner_v2", "--max_num_workers", "5", "--setup_file", "./pyproject.toml"]
    config, beam_args = parse_job_config(
        pairs.build_parser(), pairs.PairsConfig, ["--input", "x", "--output", "y", *beam]
    )
    assert beam_args == beam and config.input == "x"
    assert unknown_flags(beam) == []


def test_did_you_mean_offers_nothing_when_nothing_is_close():
    assert did_you_mean("--zzzz", ["--image-size", "--runner"]) == ""


def test_help_shows_the_job_examples_and_the_common_beam_flags(capsys):
    with pytest.raises(SystemExit):
        pairs.build_parser().parse_args(["--help"])
    out = capsys.readouterr().out
    assert "flamingo build pairs --input 'gs://BUCKET/lists/*.parquet'" in out  # the Dataflow example
    assert "common Beam flags" in out and "--temp_location / --staging_location" in out
    assert "--log-level" in out


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.startswith("flamingo-data ")


def test_log_level_is_checked_and_beam_is_quiet_by_default(capsys):
    assert main(["--log-level", "LOUD", "inspect", "x"]) == 2
    assert "unknown log level 'LOUD'" in capsys.readouterr().err
    try:
        configure_logging(None)
        assert logging.getLogger().level == logging.INFO
        assert logging.getLogger("apache_beam").level == logging.WARNING
        configure_logging("debug")
        assert logging.getLogger("apache_beam").level == logging.DEBUG
    finally:
        configure_logging(None)


def test_beam_import_noise_is_filtered_from_the_root_logger(caplog):
    configure_logging(None)
    handler = logging.getLogger().handlers[0]
    noise = logging.LogRecord(
        "root",
        logging.WARNING,
        "/x/apache_beam/io/gcp/internal/clients/b/__init__.py",
        1,
        "apitools not found",
        None,
        None,
    )
    beam_info = logging.LogRecord(
        "apache_beam.runners", logging.INFO, "/x/apache_beam/runners/a.py", 1, "stage", None, None
    )
    ours = logging.LogRecord(
        "pipeline.jobs", logging.INFO, "/x/pipeline/jobs/pairs.py", 1, "done", None, None
    )
    assert [bool(handler.filter(r)) for r in (noise, beam_info, ours)] == [False, False, True]
