"""Bad inputs end in one clear line and exit 2, not a Beam traceback; an empty list is an error
unless --allow-empty (issue 16, item 15)."""

from __future__ import annotations

import dataclasses

import pytest

from pipeline.cli import main


@dataclasses.dataclass
class Done:
    returncode: int
    stderr: str


@pytest.fixture
def flamingo(capsys):
    """The command in this process (stderr captured): what a person sees, without a subprocess."""

    def run(*argv: str) -> Done:
        code = main(list(argv))
        return Done(code, capsys.readouterr().err)

    return run


@pytest.mark.parametrize(
    "name,content,message",
    [
        ("list.parquet", b"PAR1 not really", "is not a parquet file"),
        ("list.json", b'{"url": "http://x.test/a.jpg"}', "is a JSON dict, not an array of row objects"),
        ("list.csv", b"\xff\xfeurl,caption\n", "its header (line 1) cannot be read"),
    ],
)
def test_an_unreadable_list_is_one_line(flamingo, tmp_path, name, content, message):
    (tmp_path / name).write_bytes(content)
    done = flamingo(
        "build",
        "pairs",
        "--input",
        str(tmp_path / name),
        "--output",
        str(tmp_path / "out"),
        "--no-progress",
        "--runner",
        "FnApiRunner",
    )
    assert done.returncode == 2
    assert f"flamingo build pairs: {tmp_path / name}" in done.stderr and message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_missing_input_is_one_line(flamingo, tmp_path):
    done = flamingo(
        "build",
        "videos",
        "--input",
        str(tmp_path / "nope-*.csv"),
        "--output",
        str(tmp_path / "o"),
        "--no-progress",
        "--runner",
        "FnApiRunner",
    )
    assert done.returncode == 2 and "no input files match" in done.stderr and "Traceback" not in done.stderr


def test_a_header_only_list_fails_unless_empty_is_allowed(flamingo, tmp_path):
    (tmp_path / "list.csv").write_text("url,caption\n")
    argv = [
        "build",
        "pairs",
        "--input",
        str(tmp_path / "list.csv"),
        "--no-progress",
        "--runner",
        "FnApiRunner",
    ]
    done = flamingo(*argv, "--output", str(tmp_path / "a"))
    assert done.returncode == 2 and "no inputs" in done.stderr and "--allow-empty" in done.stderr
    assert flamingo(*argv, "--output", str(tmp_path / "b"), "--allow-empty").returncode == 0
