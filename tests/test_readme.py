"""The README's commands are tests, so the documentation cannot drift from the code.

Fenced ```bash blocks preceded by `<!-- readme: run -->` are run as written, line by line, in
a temporary directory (a line ending in `&` starts a background process, waited on until it
prints its first line and stopped at the end). Every other `flamingo ...` line in a bash block
must name a real subcommand, and a build command's own flags must parse.
"""

from __future__ import annotations

import importlib
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.cli import _resolve

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
BLOCK = re.compile(r"(<!-- readme: run -->\s*)?```bash\n(.*?)```", re.S)


def _commands(block: str) -> list[str]:
    lines, current = [], ""
    for raw in block.splitlines():
        line = raw.split(" #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            lines.append(current.strip())
        current = ""
    return lines


BLOCKS = [(bool(m.group(1)), _commands(m.group(2))) for m in BLOCK.finditer(README)]
FLAMINGO_LINES = [c for _, block in BLOCKS for c in block if c.startswith("flamingo ")]


def test_readme_has_the_two_commands_and_runnable_blocks():
    commands = [c for _, block in BLOCKS for c in block]
    assert "make demo" in " ".join(commands) and "make test" in " ".join(commands)
    assert any(run for run, _ in BLOCKS), "no README block is marked to run"


@pytest.mark.parametrize("line", FLAMINGO_LINES)
def test_every_flamingo_command_exists_and_its_flags_parse(line):
    argv = shlex.split(line.rstrip("&").strip())[1:]
    found = _resolve(argv)
    assert found is not None, f"README names an unknown command: {line}"
    target, rest = found
    if target.startswith(("flamingo.", "demo.run")):
        pytest.importorskip("torch", reason="a model command: needs the model extra")
    module = importlib.import_module(target.split(":")[0])
    assert callable(getattr(module, target.split(":")[1]))
    if argv[0] == "build":
        args, _beam_args = module.build_parser().parse_known_args(rest)
        assert args.output


def _venv_bin() -> str:
    return str(Path(sys.executable).parent)


@pytest.mark.parametrize("index", [i for i, (run, _) in enumerate(BLOCKS) if run])
def test_runnable_blocks_run(index, tmp_path):
    env = {**os.environ, "PATH": _venv_bin() + os.pathsep + os.environ.get("PATH", "")}
    background: list[subprocess.Popen] = []
    try:
        for line in BLOCKS[index][1]:
            if line.endswith("&"):
                proc = subprocess.Popen(
                    line[:-1],
                    shell=True,
                    cwd=tmp_path,
                    env=env,
                    text=True,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
                background.append(proc)
                first = proc.stdout.readline()  # the server says where it serves once it is up
                assert proc.poll() is None, f"{line!r} exited: {first}"
                continue
            done = subprocess.run(
                line, shell=True, cwd=tmp_path, env=env, text=True, capture_output=True, timeout=600
            )
            assert done.returncode == 0, (
                f"README command failed: {line}\n{done.stdout[-2000:]}\n{done.stderr[-4000:]}"
            )
    finally:
        for proc in background:
            os.killpg(proc.pid, 15)
            proc.wait(timeout=10)
