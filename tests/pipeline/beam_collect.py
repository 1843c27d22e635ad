"""Run a small in-process (FnApiRunner) pipeline and read its outputs back (test helper)."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions


def _dump(items, path):
    Path(path).write_bytes(pickle.dumps(items))


def run_collect(inputs, transform, tmp_path, tags=("kept", "rejects"), args=()):
    """Apply `transform` to `inputs`; return {tag: list of elements} (a plain PCollection: tag None)."""
    run_dir = Path(tmp_path) / uuid.uuid4().hex
    run_dir.mkdir()
    options = PipelineOptions(["--runner=FnApiRunner", *args])
    with beam.Pipeline(options=options) as p:
        result = p | "Create" >> beam.Create(list(inputs)) | "Under" >> transform
        outputs = {None: result} if isinstance(result, beam.PCollection) else {t: result[t] for t in tags}
        for tag, pcoll in outputs.items():
            (
                pcoll
                | f"List{tag}" >> beam.combiners.ToList()
                | f"Dump{tag}" >> beam.Map(_dump, str(run_dir / f"{tag}.pkl"))
            )
    return {tag: pickle.loads((run_dir / f"{tag}.pkl").read_bytes()) for tag in outputs}


SPLITS = [
    (),
    ("--direct_num_workers=2", "--direct_running_mode=multi_threading"),
]


def input_keys(samples, rejects, num_inputs: int) -> list[str]:
    """`num_inputs` input keys for a writer test: the samples' and the page-level rejects' keys
    (what a job's inputs are), cut short or padded with keys nothing accounts for, so that a test
    can make the counts disagree on purpose."""
    keys = [s.key for s in samples] + [r.key for r in rejects if r.stage != "image"]
    return (keys + [f"unaccounted{i}" for i in range(num_inputs)])[:num_inputs]
