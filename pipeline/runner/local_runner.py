"""The local runner: Beam's FnApiRunner with the data plane's timed flush turned off.

Why: in `--direct_running_mode=multi_threading` (our local profile) the FnApiRunner runs its SDK
workers in-process over gRPC, and Beam 2.77 gives their output streams a time-based flush
(`worker_handlers.DATA_BUFFER_TIME_LIMIT_MS`, 1 s): a timer thread calls
`TimeBasedBufferingClosableOutputStream.flush`, which sends `get()` and then `_clear()`s the
buffer, while the bundle thread keeps encoding elements into that same buffer without the lock
(`bundle_processor.DataOutputOperation.process`). An element written between the two calls is
dropped without an error. Any bundle that runs for more than a second and sends its output to
another stage can lose elements this way. We measured it on the pairs bench (1 sample lost in about
one run in four at 2000 images; `ConservationError`), and Beam-only with a `time.sleep` DoFn between
two Reshuffles (1-3 of 20 000 lost in 3 of 4 runs at `sys.setswitchinterval(1e-5)`). Every loss
matched a timed flush during which the buffer grew.

The runner's own end of the data plane has the same race: `worker_handlers.GrpcServer` builds its
`BeamFnDataServicer` with the module's `DATA_BUFFER_TIME_LIMIT_MS`, so the streams that carry a
bundle's input from the runner to a worker (in-process gRPC workers and `multi_processing`
subprocess workers alike) are time-flushed while the runner thread writes whole encoded chunks into
them. A chunk written between the timer's `get()` and `_clear()` would be dropped, hundreds of
elements without an error. bench/scale.py met losses of that size twice with only the worker side
fixed (an m3w build of 5,000 pages whose input count was 381 short, caught by the manifest's
conservation check; 695 against 696 perceptual duplicates between the two modes on 10,000 images);
a Beam-only stress run (200,000 elements of 2 KB through two Reshuffles and a slow step, switch
interval 1e-5, three runs) did not reproduce a loss, so this is the one unlocked write we found on
that path, not a proven cause. LocalRunner sets that module value to the size-only setting before
it runs; the value is process-wide and stays set (a batch process has no use for the timed flush),
and it reaches only runners started after it.

The timed flush exists so a streaming worker does not hold data back; a batch build does not
need it. With a negative `data_buffer_time_limit_ms` in the environment's payload the worker
falls back to size-based flushing (10 MB, and at bundle end), which runs on the bundle thread
only. In-memory mode and subprocess workers do not use a timed flush (their limit is 0), and
Dataflow/Spark/Flink run their own workers. Jobs get this runner whenever the options name the
FnApiRunner (the default runner and the local profile's); `--runner=DirectRunner` with
multi_threading builds a plain FnApiRunner inside Beam and is still exposed.
"""

from __future__ import annotations

import json

from apache_beam.options.pipeline_options import PipelineOptions, StandardOptions
from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import FnApiRunner, worker_handlers
from apache_beam.transforms.environments import EmbeddedPythonGrpcEnvironment

NO_TIMED_FLUSH_MS = -1  # <= 0 selects SizeBasedBufferingClosableOutputStream (data_plane.py)
_FN_API_NAMES = {
    "fnapirunner",
    "fnapi",
    "apache_beam.runners.portability.fn_api_runner.fnapirunner",
    "apache_beam.runners.portability.fn_api_runner.fn_runner.fnapirunner",
}


def without_timed_flush(pipeline_proto) -> int:
    """Turn the timed flush off in every embedded gRPC environment of the proto; how many changed."""
    changed = 0
    for env in pipeline_proto.components.environments.values():
        if env.urn != python_urns.EMBEDDED_PYTHON_GRPC:
            continue
        payload = env.payload.decode("utf-8") if env.payload else ""
        config = EmbeddedPythonGrpcEnvironment.parse_config(payload) if payload else {}
        config["data_buffer_time_limit_ms"] = NO_TIMED_FLUSH_MS
        env.payload = json.dumps(config).encode("utf-8")
        changed += 1
    return changed


class LocalRunner(FnApiRunner):
    """FnApiRunner whose in-process gRPC workers flush by size only (see the module docstring)."""

    def run_via_runner_api(self, pipeline_proto, options):
        # run_pipeline picks the multi_threading environment itself, after the options are read,
        # so the proto is the first place where its settings can be changed.
        without_timed_flush(pipeline_proto)
        # the runner's side of the data plane (GrpcServer reads this when a run starts its workers)
        worker_handlers.DATA_BUFFER_TIME_LIMIT_MS = NO_TIMED_FLUSH_MS
        return super().run_via_runner_api(pipeline_proto, options)


def runner_for(options: PipelineOptions) -> LocalRunner | None:
    """A LocalRunner when the options name the FnApiRunner; None lets Beam build the named runner."""
    name = options.view_as(StandardOptions).runner
    return LocalRunner() if name and name.lower() in _FN_API_NAMES else None
