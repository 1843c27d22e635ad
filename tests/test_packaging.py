"""Packaging: what `pip install flamingo-data` pulls, and a worker install from the sdist that runs the jobs.

The worker test does what Dataflow does with the dataflow profile's `--setup_file`: Beam's own
Stager.create_job_resources builds the sdist in this venv (`python -m build --no-isolation
--sdist`) and names it workflow.tar.gz, and the worker installs that file with plain `pip install`
(build isolation on, no extras; docker/install-worker.sh, which the Dockerfile runs too) into a
clean venv. The m3w job then runs there, and the pairs job runs on a job server and an EXTERNAL
worker pool started from that venv; both must give the bytes the same jobs give from this tree.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib
from apache_beam.options.pipeline_options import SetupOptions

from demo.sample import serve_site, write_lists, write_sample_web
from pipeline.jobs import m3w, pairs
from pipeline.runner.options import make_pipeline_options
from pipeline.runner.profiles import expand_profile
from tests.pipeline.build_snapshot import differences, snapshot
from tests.pipeline.portable import portable_services, venv_env

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
MODEL_SIDE = {"torch", "transformers", "safetensors", "tokenizers", "matplotlib", "webdataset"}
PEERS = {"img2dataset", "albumentations", "wandb"}


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


def stage_setup_package(staging: Path) -> Path:
    """The package as Beam stages it for the dataflow profile's `--setup_file`: Stager's own
    create_job_resources (it runs `python -m build --no-isolation --sdist` in this venv) from the
    profile's options; returns the artifact Beam uploads as workflow.tar.gz."""
    from apache_beam.portability.api import beam_runner_api_pb2
    from apache_beam.runners.portability.stager import WORKFLOW_TARBALL_FILE, Stager

    args = expand_profile(
        "dataflow", [], output="gs://flamingo-test/out", env={"GOOGLE_CLOUD_PROJECT": "p-1"}
    )
    options = make_pipeline_options(args)
    assert options.view_as(SetupOptions).setup_file == str(ROOT / "pyproject.toml")
    staged = {}
    for artifact in Stager.create_job_resources(options, str(staging)):
        role = beam_runner_api_pb2.ArtifactStagingToRolePayload.FromString(artifact.role_payload)
        source = beam_runner_api_pb2.ArtifactFilePayload.FromString(artifact.type_payload)
        staged[role.staged_name] = Path(source.path)
    assert WORKFLOW_TARBALL_FILE in staged, sorted(staged)
    # the worker receives it under the staged name, and Beam's boot pip-installs that file
    workflow = staging / "worker-download" / WORKFLOW_TARBALL_FILE
    workflow.parent.mkdir()
    shutil.copyfile(staged[WORKFLOW_TARBALL_FILE], workflow)
    return workflow


@pytest.mark.timeout(900)
def test_staged_package_installs_on_a_clean_worker_and_runs_the_jobs(tmp_path):
    """Staged as --setup_file stages it, installed as a worker installs it; then m3w runs in the
    worker venv (its own driver), and pairs runs from here on a job server and worker pool started
    from the worker venv, so every DoFn executes from the installed package. Both builds are the
    in-tree builds' bytes (tests/pipeline/build_snapshot.py; the manifests' `versions` differ, as
    this venv has the extras)."""
    workflow = stage_setup_package(tmp_path / "staging")
    worker = tmp_path / "worker"
    base_python = getattr(sys, "_base_executable", sys.executable)
    env = venv_env(str(worker / "bin" / "python"))
    _run([base_python, "-m", "venv", str(worker)], tmp_path, env)
    # cwd is tmp_path: the source tree must not be importable, only what was installed
    _run(
        ["sh", str(ROOT / "docker" / "install-worker.sh"), str(workflow)],
        tmp_path,
        {**env, "PYTHON": "python"},
    )
    installed = requirement_names(_run(["python", "-m", "pip", "freeze"], tmp_path, env).splitlines())
    assert not installed & (MODEL_SIDE | PEERS), installed & (MODEL_SIDE | PEERS)
    origin = _run(["python", "-c", "import pipeline; print(pipeline.__file__)"], tmp_path, env)
    assert str(worker) in origin

    web = tmp_path / "web"
    write_sample_web(web, seed=0, num_pages=12)
    m3w_flags = ["--input", str(web / "sample.warc.gz"), "--samples-per-shard", "4", "--no-progress"]
    _run(["flamingo", "build", "m3w", *m3w_flags, "--output", "w-m3w"], tmp_path, env)
    here = m3w.run([*m3w_flags, "--output", str(tmp_path / "h-m3w")])
    assert here["written"] > 0 and here["num_shards"] >= 2
    assert differences(snapshot(tmp_path / "h-m3w", False), snapshot(tmp_path / "w-m3w", False)) == []

    services = tmp_path / "services"
    services.mkdir()
    with (
        serve_site(web / "site") as base,
        portable_services(services, str(worker / "bin" / "python")) as portable,
    ):
        lists = write_lists(web, base, tmp_path / "lists")
        flags = ["--input", str(lists["pairs"]), "--allow-private", "--image-size", "64", "--no-progress"]
        here = pairs.run([*flags, "--output", str(tmp_path / "h-pairs")])
        on_worker = pairs.run([*flags, "--output", str(tmp_path / "w-pairs"), *portable])
    assert here["written"] > 0 and on_worker["written"] == here["written"]
    assert differences(snapshot(tmp_path / "h-pairs", False), snapshot(tmp_path / "w-pairs", False)) == []
    # the manifest is written by a DoFn (WriteShards' finalize step): the worker venv has no webdataset
    assert (here["versions"]["webdataset"] != "not installed") and on_worker["versions"][
        "webdataset"
    ] == "not installed"
    assert "Starting worker with command" in (services / "worker_pool.log").read_text()


def test_dockerfile_installs_with_the_script_this_test_runs():
    dockerfile = (ROOT / "docker" / "Dockerfile").read_text(encoding="utf-8")
    run_lines = [line for line in dockerfile.splitlines() if line.startswith("RUN sh ")]
    assert run_lines == ["RUN sh /tmp/install-worker.sh /tmp/flamingo_data-*.tar.gz \\"]
    assert "apt-get install -y --no-install-recommends ffmpeg" in dockerfile
