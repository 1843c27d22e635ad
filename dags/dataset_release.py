"""Airflow DAG `dataset_release`: the three builds, dedup across them, decontamination, publish.

    build_m3w ────┐
    build_pairs ──┼─> dedup_across_jobs ─> decontaminate ─> publish_manifest
    build_videos ─┘

Each build dedups within its own output; the same image also turns up as a pair, inside an M3W
page and as a video frame, so a second, cross-job pass keeps one copy (Flamingo trains on the
mixture). Decontamination then drops training samples that match the evaluation sets, and the
release manifest is written last, so a reader never sees a half-published release. Every
output lives under `OUTPUT_ROOT/RELEASE/...` (params `output_root`, `release`), not under a run
id, and every step is idempotent, so clearing a failed task (or re-triggering the release)
resumes it: finished shards are skipped.
"""

from __future__ import annotations

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Param

from dags.commands import JOBS, decontaminate_command, dedup_command, publish_command
from dags.factory import DEFAULT_ARGS, START, build_task, common_params

ROOT = "{{ params.output_root }}/{{ params.release }}"
INPUT_DEFAULTS = {
    "m3w": "gs://YOUR_BUCKET/warc/*.warc.gz",
    "pairs": "gs://YOUR_BUCKET/pairs/*.parquet",
    "videos": "gs://YOUR_BUCKET/videos/*.csv",
}
STEP_ENV = {
    "PROFILE": "{{ params.profile }}",
    "EXTRA_ARGS": "{{ params.extra_args }}",  # Beam flags for the dedup and decontamination pipelines
    **{f"{job.upper()}_OUT": f"{ROOT}/{job}" for job in JOBS},
    "DEDUP_OUT": f"{ROOT}/dedup",
    "CLEAN_OUT": f"{ROOT}/clean",
    "EVAL_INPUT": "{{ params.eval_input }}",
    "RELEASE_OUT": f"{ROOT}/release",
}

params = common_params("gs://YOUR_BUCKET/releases")
params["output_root"] = params.pop("output")
params["release"] = Param("v1", type="string", description="release name: the folder under output_root")
params["eval_input"] = Param(
    "gs://YOUR_BUCKET/eval/*", type="string", description="evaluation sets to decontaminate against"
)
for job, default in INPUT_DEFAULTS.items():
    params[f"{job}_input"] = Param(default, type="string", description=f"input glob of the {job} build")

with DAG(
    dag_id="dataset_release",
    description="three builds, cross-job dedup, decontamination, release manifest",
    doc_md=__doc__,
    schedule=None,
    start_date=START,
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULT_ARGS,
    params=params,
    tags=["flamingo", "release"],
) as dag:
    builds = [
        build_task(job, input_expr=f"{{{{ params.{job}_input }}}}", output_expr=f"{ROOT}/{job}")
        for job in JOBS
    ]
    dedup = BashOperator(
        task_id="dedup_across_jobs", bash_command=dedup_command(), env=STEP_ENV, append_env=True
    )
    decontaminate = BashOperator(
        task_id="decontaminate", bash_command=decontaminate_command(), env=STEP_ENV, append_env=True
    )
    publish = BashOperator(
        task_id="publish_manifest", bash_command=publish_command(), env=STEP_ENV, append_env=True
    )
    builds >> dedup >> decontaminate >> publish
