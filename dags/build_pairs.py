"""Airflow DAG `build_pairs`: image-text pair lists into pair shards, then the build report.

Trigger with params, e.g. `airflow dags trigger build_pairs --conf '{"input": "gs://YOUR_BUCKET/pairs/*.parquet",
"output": "gs://YOUR_BUCKET/out/pairs", "profile": "dataflow"}'`.
"""

from __future__ import annotations

from dags.factory import make_build_dag

dag = make_build_dag(
    "pairs",
    default_input="gs://YOUR_BUCKET/pairs/*.parquet",
    default_output="gs://YOUR_BUCKET/out/pairs",
    doc=__doc__,
)
