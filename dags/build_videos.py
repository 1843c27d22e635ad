"""Airflow DAG `build_videos`: video-text lists into frame shards, then the build report.

Trigger with params, e.g. `airflow dags trigger build_videos --conf '{"input": "gs://YOUR_BUCKET/videos/*.csv",
"output": "gs://YOUR_BUCKET/out/videos", "profile": "dataflow"}'`.
"""

from __future__ import annotations

from dags.factory import make_build_dag

dag = make_build_dag(
    "videos",
    default_input="gs://YOUR_BUCKET/videos/*.csv",
    default_output="gs://YOUR_BUCKET/out/videos",
    doc=__doc__,
)
