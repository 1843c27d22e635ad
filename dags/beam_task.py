"""A build task through the Beam provider's operator, so Airflow can track and cancel a Dataflow job.

The operator runs `PYTHON -m pipeline.jobs.JOB --runner=RUNNER --input=... --output=... --profile=...`
with PYTHON the interpreter of the venv that has flamingo-data ($FLAMINGO_PYTHON, default python3).
With `DataflowRunner` (the dataflow profile) it reads the job id from Beam's log (hence
`--log-level INFO`: the id is one of Beam's INFO lines), waits on the Dataflow job, links it, and
cancels it when the task is killed; other runners run as a child process that the task waits on.

The provider's Python operator (apache-airflow-providers-apache-beam 6.1 and later) refuses to be
built without Airflow's Google provider, whatever the runner, so dags/factory.py takes this form
only where both are installed and falls back to the BashOperator form elsewhere.
"""

from __future__ import annotations

import os

from airflow.providers.apache.beam.operators import beam as beam_operators

from dags.commands import PYTHON_ENV, job_module, parse_extra_args, runner_expr


class FlamingoBuildOperator(beam_operators.BeamRunPythonPipelineOperator):
    """BeamRunPythonPipelineOperator plus `extra_args`: Beam flags typed as one string (a DAG param)."""

    template_fields = (*beam_operators.BeamRunPythonPipelineOperator.template_fields, "extra_args")

    def __init__(self, *, extra_args: str = "", **kwargs):
        super().__init__(**kwargs)
        self.extra_args = extra_args

    def execute(self, context):
        extra = parse_extra_args(self.extra_args)
        self.pipeline_options = {**self.pipeline_options, **extra}
        if isinstance(self.dataflow_config, dict):  # cancel where the job runs, not where it would by default
            where = {"region": "location", "project": "project_id"}
            self.dataflow_config = {
                **self.dataflow_config,
                **{where[k]: v for k, v in extra.items() if k in where},
            }
        return super().execute(context)


def beam_build_task(job: str, *, input_expr: str, output_expr: str, task_id: str | None = None):
    return FlamingoBuildOperator(
        task_id=task_id or f"build_{job}",
        py_file=job_module(job),
        py_options=["-m"],
        py_interpreter=os.environ.get(PYTHON_ENV, "python3"),
        runner=runner_expr(),
        pipeline_options={
            "input": input_expr,
            "output": output_expr,
            "profile": "{{ params.profile }}",  # fills the runner's other flags; explicit ones win
            "no-progress": True,
            "log-level": "INFO",
        },
        extra_args="{{ params.extra_args }}",
        dataflow_config={"job_name": f"flamingo-build-{job}", "append_job_name": True},
    )
