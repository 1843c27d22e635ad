"""dags/: the commands the tasks run (main venv) and the DAGs as Airflow loads them (.venv-airflow)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dags import commands
from pipeline.cli import COMMANDS

REPO = Path(__file__).resolve().parents[2]
AIRFLOW_PYTHON = REPO / ".venv-airflow" / "bin" / "python"
# Loads dags/ with Airflow's DagBag and prints the graph as JSON on the last line.
DAGBAG_SCRIPT = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])


def _task(t):
    timeout = t.execution_timeout.total_seconds() if t.execution_timeout else None
    out = {"upstream": sorted(t.upstream_task_ids), "retries": t.retries, "timeout_s": timeout,
           "operator": type(t).__name__}
    if hasattr(t, "bash_command"):
        out.update(env=t.env, bash=t.bash_command)
    else:
        out.update(py_file=t.py_file, py_options=t.py_options, runner=t.runner, options=t.pipeline_options,
                   extra_args=t.extra_args, py_interpreter=t.py_interpreter)
    return out


out = {"import_errors": {k: str(v) for k, v in bag.import_errors.items()}, "dags": {}}
for dag_id, dag in bag.dags.items():
    out["dags"][dag_id] = {
        "params": sorted(dag.params.keys()),
        "max_active_runs": dag.max_active_runs,
        "tasks": {t.task_id: _task(t) for t in dag.tasks},
    }
print("\\n" + json.dumps(out))
"""


def _cli_has(words: tuple[str, ...]) -> bool:
    return any(entry[0] == words for entry in COMMANDS)


def test_build_and_report_commands_are_cli_subcommands():
    for words in [*commands.BUILD_WORDS.values(), commands.REPORT_WORDS]:
        assert _cli_has(words), words


def test_release_step_commands_are_cli_subcommands():
    missing = [" ".join(w) for w in commands.cli_words() if not _cli_has(w)]
    if missing:
        pytest.skip(
            f"pipeline/cli.py has no subcommand yet for: {', '.join(missing)} (dataset_release needs them)"
        )


def test_unknown_job_is_an_error_listing_valid_ones():
    with pytest.raises(ValueError, match="valid jobs: m3w, pairs, videos"):
        commands.build_command("audio")


def test_build_command_keeps_each_param_one_argument(tmp_path):
    """Params reach the CLI as single arguments whatever they contain; EXTRA_ARGS is word-split."""
    fake = tmp_path / "flamingo"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n')
    fake.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "FLAMINGO_BIN": str(fake),
        "INPUT": "gs://b/my lists/*.csv; rm -rf /",
        "OUTPUT": "gs://b/out",
        "PROFILE": "dataflow",
        "EXTRA_ARGS": "--region europe-west4",
    }
    res = subprocess.run(
        ["bash", "-c", commands.build_command("pairs")], env=env, capture_output=True, text=True
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.split("\n")[:-1] == [
        "[build]",
        "[pairs]",
        "[--input]",
        "[gs://b/my lists/*.csv; rm -rf /]",
        "[--output]",
        "[gs://b/out]",
        "[--profile]",
        "[dataflow]",
        "[--no-progress]",
        "[--region]",
        "[europe-west4]",
    ]


def test_release_steps_take_the_beam_flags(tmp_path):
    """dedup and decontaminate are Beam pipelines too: EXTRA_ARGS reaches them, word-split."""
    fake = tmp_path / "flamingo"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "[$a]"; done\n')
    fake.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "FLAMINGO_BIN": str(fake),
        "PROFILE": "dataflow",
        "EXTRA_ARGS": "--region europe-west4",
        "M3W_OUT": "m",
        "PAIRS_OUT": "p",
        "VIDEOS_OUT": "v",
        "DEDUP_OUT": "d",
        "CLEAN_OUT": "c",
        "EVAL_INPUT": "gs://b/eval/*.csv",
    }
    for command in (commands.dedup_command(), commands.decontaminate_command()):
        res = subprocess.run(["bash", "-c", command], env=env, capture_output=True, text=True)
        assert res.returncode == 0, res.stderr
        assert res.stdout.split("\n")[-4:-1] == ["[--no-progress]", "[--region]", "[europe-west4]"]


def _airflow_env(home: Path, operator: str) -> dict:
    if not AIRFLOW_PYTHON.exists():
        if os.environ.get("FLAMINGO_REQUIRE_AIRFLOW"):
            pytest.fail(f"{AIRFLOW_PYTHON} missing: run `make airflow-venv`")
        pytest.skip(f"{AIRFLOW_PYTHON} missing: run `make airflow-venv` to load dags/ with Airflow")
    return {
        **os.environ,
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "PYTHONPATH": str(REPO),
        commands.OPERATOR_ENV: operator,
        commands.PYTHON_ENV: sys.executable,  # the venv with flamingo-data: the beam operator runs it
    }


def _load(home: Path, operator: str) -> dict:
    res = subprocess.run(
        [str(AIRFLOW_PYTHON), "-c", DAGBAG_SCRIPT, str(REPO / "dags")],
        env=_airflow_env(home, operator),
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def dagbag(tmp_path_factory) -> dict:
    """The DAGs as Airflow loads them by default: the Beam provider's operator (.venv-airflow has it)."""
    return _load(tmp_path_factory.mktemp("airflow_home"), "auto")


@pytest.fixture(scope="module")
def bash_dagbag(tmp_path_factory) -> dict:
    """The fallback form, as where the Beam provider is not installed."""
    return _load(tmp_path_factory.mktemp("airflow_home"), "bash")


def test_dagbag_loads_without_import_errors(dagbag):
    assert dagbag["import_errors"] == {}
    assert sorted(dagbag["dags"]) == ["build_m3w", "build_pairs", "build_videos", "dataset_release"]


def _check_build_dag(bag: dict, job: str) -> dict:
    dag = bag["dags"][f"build_{job}"]
    assert dag["params"] == ["extra_args", "input", "output", "profile"]
    assert dag["max_active_runs"] == 1
    tasks = dag["tasks"]
    assert {t: v["upstream"] for t, v in tasks.items()} == {
        f"build_{job}": [],
        f"report_{job}": [f"build_{job}"],
    }
    build = tasks[f"build_{job}"]
    assert (build["retries"], build["timeout_s"]) == (2, 24 * 3600)
    assert tasks[f"report_{job}"]["timeout_s"] == 30 * 60
    return build


@pytest.mark.parametrize("job", commands.JOBS)
def test_build_dag_runs_the_job_through_the_beam_provider(dagbag, job):
    build = _check_build_dag(dagbag, job)
    assert build["operator"] == "FlamingoBuildOperator"
    assert (build["py_options"], build["py_file"]) == (["-m"], f"pipeline.jobs.{job}")
    assert build["runner"] == commands.runner_expr() and build["py_interpreter"] == sys.executable
    assert build["options"]["input"] == "{{ params.input }}" and build["options"]["log-level"] == "INFO"


@pytest.mark.parametrize("job", commands.JOBS)
def test_build_dag_falls_back_to_bash(bash_dagbag, job):
    build = _check_build_dag(bash_dagbag, job)
    assert build["operator"] == "BashOperator"
    assert build["bash"] == commands.build_command(job)
    assert build["env"]["INPUT"] == "{{ params.input }}"


def test_extra_args_become_operator_options():
    got = commands.parse_extra_args("--region europe-west4 --max_num_workers=50 --use_public_ips --x 'a b'")
    assert got == {"region": "europe-west4", "max_num_workers": "50", "use_public_ips": True, "x": "a b"}
    assert commands.parse_extra_args("") == {}
    with pytest.raises(ValueError, match="expected a --flag"):
        commands.parse_extra_args("europe-west4")


# Runs the build_m3w DAG's build task as Airflow would (templates rendered from the params, then
# execute): the Beam provider's hook starts `python -m pipeline.jobs.m3w --runner=FnApiRunner ...`.
EXECUTE_SCRIPT = """
import json, sys
from airflow.dag_processing.dagbag import DagBag
bag = DagBag(dag_folder=sys.argv[1])
task = bag.dags["build_m3w"].get_task("build_m3w")
params = {"input": sys.argv[2], "output": sys.argv[3], "profile": "local",
          "extra_args": "--direct_num_workers 1"}
context = {"params": params, "task": task}
task.render_template_fields(context)
task.execute(context)
print("\\n" + json.dumps({"runner": task.runner, "options": task.pipeline_options}))
"""


def test_beam_operator_runs_the_build(tmp_path):
    from demo.sample import write_sample_web

    write_sample_web(tmp_path / "web", seed=0, num_pages=8)
    out = tmp_path / "out"
    res = subprocess.run(
        [
            str(AIRFLOW_PYTHON),
            "-c",
            EXECUTE_SCRIPT,
            str(REPO / "dags"),
            str(tmp_path / "web" / "sample.warc.gz"),
            str(out),
        ],
        env=_airflow_env(tmp_path / "home", "auto"),
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert res.returncode == 0, (res.stdout[-3000:], res.stderr[-3000:])
    rendered = json.loads(res.stdout.strip().splitlines()[-1])
    assert rendered["runner"] == "FnApiRunner"
    assert rendered["options"]["direct_num_workers"] == "1"  # from extra_args
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["conservation_ok"] and manifest["written"] > 0
    assert manifest["config"]["beam_args"][0] == "--runner=FnApiRunner"


def test_release_dag_graph(dagbag):
    dag = dagbag["dags"]["dataset_release"]
    assert dag["params"] == [
        "eval_input",
        "extra_args",
        "m3w_input",
        "output_root",
        "pairs_input",
        "profile",
        "release",
        "videos_input",
    ]
    upstream = {t: v["upstream"] for t, v in dag["tasks"].items()}
    assert upstream == {
        "build_m3w": [],
        "build_pairs": [],
        "build_videos": [],
        "dedup_across_jobs": ["build_m3w", "build_pairs", "build_videos"],
        "decontaminate": ["dedup_across_jobs"],
        "publish_manifest": ["decontaminate"],
    }
    assert all(t["retries"] == 2 and t["timeout_s"] for t in dag["tasks"].values())
    # each build writes under the release folder, which the later steps read
    root = "{{ params.output_root }}/{{ params.release }}"
    assert dag["tasks"]["build_pairs"]["options"]["output"] == f"{root}/pairs"
    assert dag["tasks"]["dedup_across_jobs"]["env"]["PAIRS_OUT"] == f"{root}/pairs"
    assert dag["tasks"]["decontaminate"]["env"]["EXTRA_ARGS"] == "{{ params.extra_args }}"


def test_dags_import_neither_beam_nor_torch():
    code = "import sys, dags.commands; bad = {'apache_beam', 'torch'} & set(sys.modules); print(sorted(bad))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert res.stdout.strip() == "[]"
