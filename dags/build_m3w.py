"""Airflow DAG `build_m3w`: web pages (WARC files) into interleaved M3W document shards, then the
build report.

Trigger with params, e.g. `airflow dags trigger build_m3w --conf '{"input": "gs://YOUR_BUCKET/warc/*.warc.gz",
"output": "gs://YOUR_BUCKET/out/m3w", "profile": "dataflow"}'`.
"""

from __future__ import annotations

from dags.factory import make_build_dag

dag = make_build_dag(
    "m3w",
    default_input="gs://YOUR_BUCKET/warc/*.warc.gz",
    default_output="gs://YOUR_BUCKET/out/m3w",
    doc=__doc__,
)
