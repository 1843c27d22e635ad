"""Packaging: what `pip install flamingo-data` pulls, and a worker install from the sdist that runs the jobs.

The worker test does what Dataflow does with `--setup_file`: Beam's own stager builds the sdist in
this venv (`python -m build --no-isolation --sdist`), and the worker installs it with plain `pip
install` (build isolation on, no extras; docker/install-worker.sh, which the Dockerfile runs too)
into a clean venv. The m3w and pairs jobs then run there on the sample web and must give the counts
the same jobs give from this source tree.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from demo.sample import serve_site, write_lists, write_sample_web
from pipeline.jobs import m3w, pairs

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MODEL_SIDE = {"torch", "transformers", "safetensors", "tokenizers", "matplotlib", "webdataset"}
PEERS = {"img2dataset", "albumentations", "wandb"}
COUNTS = ("inputs", "written", "rejected", "rejected_by_reason", "conservation_ok")


def requirement_names(requirements: list[str]) -> set[str]:
    return {re.split(r"[\s<>=!~;\[]", r, maxsplit=1)[0].lower() for r in requirements}


def test_base_dependencies_are_the_data_jobs_only():
    base = requirement_names(PYPROJECT["project"]["dependencies"])
    assert not base & (MODEL_SIDE | PEERS), base & (MODEL_SIDE | PEERS)
    extras = PYPROJECT["project"]["optional-dependencies"]
    assert set(extras) == {"model", "demo", "airflow", "dev", "bench"}
    assert {"torch", "transformers", "safetensors", "tokenizers"} <= requirement_names(extras["model"])
    assert "flamingo-data" in requirement_names(extras["demo"])  # the demo trains: model extra included


def test_build_requirements_are_installed_here_for_the_stager():
    """Beam's stager runs `python -m build --no-isolation`, which checks [build-system] requires here."""
    from importlib.metadata import PackageNotFoundError, version

    missing = []
    for name in requirement_names(PYPROJECT["build-system"]["requires"]) | {"build"}:
        try:
            version(name)
        except PackageNotFoundError:
            missing.append(name)
    assert not missing, f"not installed (the dev extra declares them): {missing}"


def test_setup_py_imports_cython_and_lxml_only_to_compile():
    import ast

    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    top = {
        alias.name.split(".")[0]
        for node in tree.body
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert top == {"setuptools"}


def _run(args: list[str], cwd: Path, env: dict, timeout: float = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{args}: rc {done.returncode}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _counts(manifest: dict) -> dict:
    return {k: manifest[k] for k in COUNTS}


@pytest.mark.timeout(900)
def test_sdist_installs_on_a_clean_worker_and_runs_the_jobs(tmp_path):
    from apache_beam.runners.portability.stager import Stager

    staged = tmp_path / "staging"
    staged.mkdir()
    tarball = Stager._build_setup_package(str(ROOT / "pyproject.toml"), str(staged), None)
    worker = tmp_path / "worker"
    base_python = getattr(sys, "_base_executable", sys.executable)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV"))}
    env["PATH"] = f"{worker / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    _run([base_python, "-m", "venv", str(worker)], tmp_path, env)
    # cwd is tmp_path: the source tree must not be importable, only what was installed
    _run(["sh", str(ROOT / "docker" / "install-worker.sh"), tarball], tmp_path, {**env, "PYTHON": "python"})
    installed = requirement_names(_run(["python", "-m", "pip", "freeze"], tmp_path, env).splitlines())
    assert not installed & (MODEL_SIDE | PEERS), installed & (MODEL_SIDE | PEERS)
    origin = _run(["python", "-c", "import pipeline; print(pipeline.__file__)"], tmp_path, env)
    assert str(worker) in origin

    web = tmp_path / "web"
    write_sample_web(web, seed=0, num_pages=12)
    warc = str(web / "sample.warc.gz")
    _run(["flamingo", "build", "m3w", "--input", warc, "--output", "w-m3w", "--no-progress"], tmp_path, env)
    here = m3w.run(["--input", warc, "--output", str(tmp_path / "h-m3w"), "--no-progress"])
    on_worker = json.loads((tmp_path / "w-m3w" / "manifest.json").read_text())
    assert _counts(on_worker) == _counts(here) and here["written"] > 0

    with serve_site(web / "site") as base:
        lists = write_lists(web, base, tmp_path / "lists")
        flags = ["--input", str(lists["pairs"]), "--allow-private", "--image-size", "64", "--no-progress"]
        _run(["flamingo", "build", "pairs", *flags, "--output", "w-pairs"], tmp_path, env)
        here = pairs.run([*flags, "--output", str(tmp_path / "h-pairs")])
    on_worker = json.loads((tmp_path / "w-pairs" / "manifest.json").read_text())
    assert _counts(on_worker) == _counts(here) and here["written"] > 0


def test_dockerfile_installs_with_the_script_this_test_runs():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    run_lines = [line for line in dockerfile.splitlines() if line.startswith("RUN sh ")]
    assert run_lines == ["RUN sh /tmp/install-worker.sh /tmp/flamingo_data-*.tar.gz \\"]
    assert "apt-get install -y --no-install-recommends ffmpeg" in dockerfile
