"""Shared Airflow DAG settings and the one-job build DAG (used by build_m3w/pairs/videos.py).

A build task is the Beam provider's operator where Airflow's Beam and Google providers are installed
(Airflow then tracks and cancels a Dataflow job: dags/beam_task.py), else `flamingo build` in a
BashOperator; $FLAMINGO_AIRFLOW_OPERATOR=beam|bash|auto (default auto) chooses.

Retries and timeouts: fetch-heavy builds fail mostly for transient reasons (preempted workers,
a cluster hiccup), so two retries five minutes apart; a task that runs past its timeout is
killed rather than holding a slot forever. A retried build resumes: finished shards are skipped.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

from dags.commands import OPERATOR_ENV, OPERATORS, PROFILES, build_command, report_command

DEFAULT_ARGS = {
    "owner": "flamingo-data",
    "retries": 2,
    "retry_delay": dt.timedelta(minutes=5),
    "retry_exponential_backoff": True,
    "execution_timeout": dt.timedelta(hours=24),  # a web-scale build on Dataflow: hours, not days
}
REPORT_TIMEOUT = dt.timedelta(minutes=30)
START = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)


def common_params(output: str) -> dict[str, Param]:
    return {
        "output": Param(output, type="string", description="output directory (gs://, s3:// or local)"),
        "profile": Param(
            "dataflow", enum=list(PROFILES), description="runner profile (pipeline/runner/profiles.py)"
        ),
        "extra_args": Param("", type="string", description="extra Beam flags, e.g. --max_num_workers 50"),
    }


def build_operator() -> str:
    """ "beam" or "bash": the form build tasks take (see the module docstring)."""
    choice = os.environ.get(OPERATOR_ENV, "auto")
    if choice not in OPERATORS:
        raise ValueError(f"{OPERATOR_ENV}={choice!r}; valid values: {', '.join(OPERATORS)}")
    if choice == "auto":
        found = all(
            importlib.util.find_spec(p) for p in ("airflow.providers.apache.beam", "airflow.providers.google")
        )
        return "beam" if found else "bash"
    return choice


def build_task(job: str, *, input_expr: str, output_expr: str, task_id: str | None = None):
    """A task running the build JOB; the expressions are Jinja over the DAG's params."""
    if build_operator() == "beam":
        from dags.beam_task import beam_build_task

        return beam_build_task(job, input_expr=input_expr, output_expr=output_expr, task_id=task_id)
    return BashOperator(
        task_id=task_id or f"build_{job}",
        bash_command=build_command(job),
        env={
            "INPUT": input_expr,
            "OUTPUT": output_expr,
            "PROFILE": "{{ params.profile }}",
            "EXTRA_ARGS": "{{ params.extra_args }}",
        },
        append_env=True,  # keep PATH, credentials and FLAMINGO_* settings of the worker
    )


def report_task(job: str, *, output_expr: str) -> BashOperator:
    return BashOperator(
        task_id=f"report_{job}",
        bash_command=report_command(),
        env={"OUTPUT": output_expr},
        append_env=True,
        execution_timeout=REPORT_TIMEOUT,
    )


def make_build_dag(job: str, *, default_input: str, default_output: str, doc: str) -> DAG:
    """One job: build, then regenerate its report (a no-op rewrite when the build already wrote it)."""
    with DAG(
        dag_id=f"build_{job}",
        description=f"flamingo build {job}",
        doc_md=doc,
        schedule=None,  # triggered with params; a release DAG or a person decides when
        start_date=START,
        catchup=False,
        max_active_runs=1,  # two runs writing the same output would race on its shards
        default_args=DEFAULT_ARGS,
        params={
            "input": Param(default_input, type="string", description="input glob (lists, WARCs)"),
            **common_params(default_output),
        },
        tags=["flamingo", "build"],
    ) as dag:
        build = build_task(job, input_expr="{{ params.input }}", output_expr="{{ params.output }}")
        build >> report_task(job, output_expr="{{ params.output }}")
    return dag
