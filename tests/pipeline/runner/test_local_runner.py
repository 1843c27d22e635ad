"""LocalRunner: the FnApiRunner with the data plane's timed flush turned off (workers and runner)."""

import json

import apache_beam as beam
from apache_beam.options.pipeline_options import PipelineOptions
from apache_beam.portability import python_urns
from apache_beam.runners.portability.fn_api_runner import worker_handlers
from apache_beam.runners.worker import data_plane
from apache_beam.transforms.environments import EmbeddedPythonEnvironment, EmbeddedPythonGrpcEnvironment

from pipeline.runner.local_runner import NO_TIMED_FLUSH_MS, LocalRunner, runner_for, without_timed_flush


def _proto(environment):
    p = beam.Pipeline(options=PipelineOptions(["--runner=FnApiRunner"]))
    _ = p | beam.Create([1, 2]) | beam.Map(lambda x: x + 1)
    return p.to_runner_api(default_environment=environment)


def test_grpc_environment_flushes_by_size_only_and_keeps_its_other_settings():
    proto = _proto(EmbeddedPythonGrpcEnvironment(state_cache_size=7, data_buffer_time_limit_ms=1000))
    assert without_timed_flush(proto) == 1
    (env,) = [e for e in proto.components.environments.values() if e.urn == python_urns.EMBEDDED_PYTHON_GRPC]
    assert json.loads(env.payload) == {"state_cache_size": 7, "data_buffer_time_limit_ms": NO_TIMED_FLUSH_MS}


def test_in_memory_environment_is_left_alone():
    proto = _proto(EmbeddedPythonEnvironment.default())
    before = proto.SerializeToString()
    assert without_timed_flush(proto) == 0
    assert proto.SerializeToString() == before


def test_runner_for_names():
    for name in (
        "FnApiRunner",
        "fnapirunner",
        "FnApi",
        "apache_beam.runners.portability.fn_api_runner.FnApiRunner",
    ):
        assert isinstance(runner_for(PipelineOptions([f"--runner={name}"])), LocalRunner), name
    for name in ("DataflowRunner", "DirectRunner"):
        assert runner_for(PipelineOptions([f"--runner={name}"])) is None


def test_multi_threading_pipeline_runs_and_counts(tmp_path):
    opts = PipelineOptions(
        ["--runner=FnApiRunner", "--direct_num_workers=2", "--direct_running_mode=multi_threading"]
    )
    out = tmp_path / "n"
    with beam.Pipeline(runner=runner_for(opts), options=opts) as p:
        _ = (
            p
            | beam.Create(range(1000))
            | beam.Reshuffle()
            | beam.combiners.Count.Globally()
            | beam.Map(lambda n: out.write_text(str(n)))
        )
    assert out.read_text() == "1000"


def test_the_runner_side_of_the_data_plane_flushes_by_size_only_after_a_run():
    """The streams carrying bundle inputs from the runner to its workers come from GrpcServer's
    BeamFnDataServicer, built with worker_handlers' module limit: time-flushed, a chunk the runner
    writes between the timer's get() and _clear() is lost (see pipeline/runner/local_runner.py)."""
    opts = PipelineOptions(["--runner=FnApiRunner", "--direct_running_mode=in_memory"])
    with beam.Pipeline(runner=runner_for(opts), options=opts) as p:
        _ = p | beam.Create([1, 2]) | beam.Map(lambda x: x + 1)
    assert worker_handlers.DATA_BUFFER_TIME_LIMIT_MS == NO_TIMED_FLUSH_MS
    servicer = data_plane.BeamFnDataServicer(worker_handlers.DATA_BUFFER_TIME_LIMIT_MS)
    stream = servicer.get_conn_by_worker_id("worker_1").output_stream("bundle_1", "transform_1")
    assert type(stream) is data_plane.SizeBasedBufferingClosableOutputStream
    stream.close()
