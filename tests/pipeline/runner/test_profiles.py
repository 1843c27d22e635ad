"""Runner profiles: expansion, overrides, and job graphs built (not run) under every profile."""

from __future__ import annotations

import dataclasses
import importlib
import os
import posixpath
import tempfile
from pathlib import Path

import apache_beam as beam
import pytest
from apache_beam.io.filesystems import FileSystems
from apache_beam.options.pipeline_options import (
    DirectOptions,
    GoogleCloudOptions,
    PortableOptions,
    SetupOptions,
    StandardOptions,
)
from apache_beam.runners.portability.flink_runner import FlinkJarJobServer
from apache_beam.runners.portability.spark_runner import SparkJarJobServer
from apache_beam.transforms.environments import Environment, ExternalEnvironment

from pipeline.io.shard_writer import ShardConfig, WriteShards
from pipeline.runner import options as options_lib
from pipeline.runner.profiles import PROFILES, REPO_ROOT, ProfileError, expand_profile
from schemas import RejectRecord, ShardSample

GCP_ENV = {"GOOGLE_CLOUD_PROJECT": "flamingo-test-123"}


@dataclasses.dataclass(kw_only=True)
class Holder:
    """The common part of every job config (what add_common_args fills)."""

    output: str
    filters: str | None = None
    shards: ShardConfig = dataclasses.field(default_factory=ShardConfig)
    run: options_lib.RunConfig = dataclasses.field(default_factory=options_lib.RunConfig)


REMOTE_OUT = "gs://flamingo-test-bucket/out/pairs"
RUNNERS = {
    "local": "FnApiRunner",
    "dataflow": "DataflowRunner",
    "spark": "SparkRunner",
    "flink": "FlinkRunner",
}


def test_local_profile_uses_threads_and_explicit_flags_win():
    args = expand_profile("local", [], env={})
    assert args[0] == "--runner=FnApiRunner"
    assert "--direct_running_mode=multi_threading" in args
    workers = int(next(a for a in args if a.startswith("--direct_num_workers=")).split("=")[1])
    assert workers == max(1, min(os.cpu_count() or 1, 8))
    assert expand_profile("local", ["--direct_num_workers=1"], env={}) == [
        "--direct_num_workers=1",
        "--runner=FnApiRunner",
        "--direct_running_mode=multi_threading",
    ]


def test_dataflow_profile_derives_locations_from_output_bucket():
    args = expand_profile("dataflow", ["--region", "europe-west4"], output=REMOTE_OUT, env=GCP_ENV)
    assert args == [
        "--region",
        "europe-west4",  # explicit, space-separated form still wins
        "--runner=DataflowRunner",
        "--project=flamingo-test-123",
        "--temp_location=gs://flamingo-test-bucket/_flamingo_beam/temp",
        "--staging_location=gs://flamingo-test-bucket/_flamingo_beam/staging",
        f"--setup_file={REPO_ROOT / 'pyproject.toml'}",
    ]


def test_dataflow_profile_names_what_is_missing():
    with pytest.raises(ProfileError, match="needs --project"):
        expand_profile("dataflow", [], output=REMOTE_OUT, env={})
    with pytest.raises(ProfileError, match="needs --temp_location=gs://"):
        expand_profile("dataflow", ["--project=p-123456"], output="/local/out", env={})
    ok = expand_profile(
        "dataflow", ["--project=p-123456", "--temp-location=gs://b/t", "--staging_location=gs://b/s"], env={}
    )
    assert "--runner=DataflowRunner" in ok


def test_unknown_profile_lists_valid_ones():
    with pytest.raises(ProfileError, match="valid profiles: local, dataflow, spark, flink"):
        expand_profile("kubernetes", [])


def test_common_args_parse_profile_and_options_apply_it(monkeypatch):
    monkeypatch.setenv("FLAMINGO_FLINK_MASTER", "flink-jm:8081")
    parser = options_lib.add_common_args(options_lib.job_parser("test", ""))
    config, beam_args = options_lib.parse_job_config(
        parser, Holder, ["--output", "o", "--profile", "flink", "--parallelism=4"]
    )
    opts = options_lib.make_pipeline_options(beam_args, profile=config.run.profile, output=config.output)
    flags = opts.get_all_options()
    assert (flags["runner"], flags["flink_master"], flags["environment_type"], flags["parallelism"]) == (
        "FlinkRunner",
        "flink-jm:8081",
        "DOCKER",
        4,
    )
    assert options_lib.parse_job_config(parser, Holder, ["--output", "o"])[0].run.profile == "local"
    with pytest.raises(SystemExit):
        options_lib.parse_job_config(parser, Holder, ["--output", "o", "--profile", "yarn"])


def _options(profile: str, args: list[str], env: dict[str, str]):
    return options_lib.make_pipeline_options(expand_profile(profile, args, env=env))


def test_spark_and_flink_with_a_local_master_run_workers_in_loopback():
    assert expand_profile("spark", [], env={}) == [
        "--runner=SparkRunner",
        "--spark_master_url=local[4]",
        "--environment_type=LOOPBACK",
    ]
    assert expand_profile("flink", [], env={}) == [
        "--runner=FlinkRunner",
        "--flink_master=[auto]",
        "--environment_type=LOOPBACK",
    ]


@pytest.mark.parametrize(
    ("profile", "server_cls", "master"),
    [("spark", SparkJarJobServer, "spark://master:7077"), ("flink", FlinkJarJobServer, "flink-jm:8081")],
)
def test_cluster_profile_takes_a_local_job_server_jar_and_an_external_worker_pool(
    profile, server_cls, master, tmp_path
):
    jar = tmp_path / f"beam-runners-{profile}-job-server.jar"
    jar.write_bytes(b"PK\x05\x06" + bytes(18))  # an empty zip: only its path is used here
    env = {f"FLAMINGO_{profile.upper()}_JOB_SERVER_JAR": str(jar)}
    pool = ["--environment_type=EXTERNAL", "--environment_config=pool-host:50000"]
    opts = _options(profile, [f"--{PROFILES[profile].master_option}={master}", *pool], env)
    assert opts.view_as(PortableOptions).environment_type == "EXTERNAL"
    assert opts.view_as(SetupOptions).setup_file is None  # the pool's own Python has the package
    # what Beam itself makes of these options: the jar on disk (no Maven download) run against the
    # master, and workers asked of the pool at its address
    server = server_cls(opts)
    assert server.path_to_jar() == str(jar)
    assert master in server.java_arguments("1", "2", "3", str(tmp_path))
    environment = Environment.from_options(opts.view_as(PortableOptions))
    assert isinstance(environment, ExternalEnvironment) and environment.url == "pool-host:50000"


def test_cluster_master_defaults_to_docker_workers_that_install_this_package():
    opts = _options("flink", ["--flink_master=flink-jm:8081"], {})
    assert opts.view_as(PortableOptions).environment_type == "DOCKER"
    assert opts.view_as(SetupOptions).setup_file == str(REPO_ROOT / "pyproject.toml")
    image = ["--sdk_container_image=registry/flamingo-worker:0.1.0"]
    opts = _options("spark", ["--spark_master_url=spark://m:7077", *image], {})
    assert opts.view_as(PortableOptions).environment_type == "DOCKER"
    assert opts.view_as(SetupOptions).setup_file is None  # the image has it (docker/Dockerfile)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--environment_type=EXTERNAL"], "needs --environment_config"),
        (["--environment_type", "PROCESS"], "needs --environment_config"),
        (["--environment_type=docker"], "valid: DOCKER, PROCESS, EXTERNAL, LOOPBACK"),
        (["--spark_job_server_jar=/nowhere/job-server.jar"], "is not a file"),
    ],
)
def test_cluster_profile_names_what_is_wrong(args, message):
    with pytest.raises(ProfileError, match=message):
        expand_profile("spark", args, env={})


def test_external_pool_address_must_be_the_environment_config():
    """Beam 2.78 cannot build an EXTERNAL environment from --environment_option alone, so the
    profile asks for --environment_config instead of letting the submission fail in Beam."""
    only_option = ["--environment_type=EXTERNAL", "--environment_option=external_service_address=h:5"]
    raw = options_lib.make_pipeline_options(["--runner=FlinkRunner", *only_option])
    with pytest.raises(TypeError):
        Environment.from_options(raw.view_as(PortableOptions))
    with pytest.raises(ProfileError, match="needs --environment_config"):
        expand_profile("flink", only_option, env={})
    process = ["--environment_type=PROCESS", "--environment_option=process_command=/opt/apache/beam/boot"]
    assert "--environment_type=PROCESS" in expand_profile("flink", process, env={})


def test_job_command_line_accepts_the_job_server_jar_flag(tmp_path):
    jar = tmp_path / "job-server.jar"
    jar.write_bytes(b"")
    parser = options_lib.add_common_args(options_lib.job_parser("test", ""))
    config, beam_args = options_lib.parse_job_config(
        parser, Holder, ["--output", "o", "--profile", "spark", "--spark_job_server_jar", str(jar)]
    )
    opts = options_lib.make_pipeline_options(beam_args, profile=config.run.profile, output=config.output)
    flags = opts.get_all_options()
    assert (flags["runner"], flags["spark_job_server_jar"], flags["environment_type"]) == (
        "SparkRunner",
        str(jar),
        "LOOPBACK",
    )


def test_without_profile_only_the_runner_is_defaulted():
    opts = options_lib.make_pipeline_options(["--direct_num_workers=3"])
    assert opts.view_as(StandardOptions).runner == "FnApiRunner"
    assert opts.view_as(DirectOptions).direct_running_mode == "in_memory"


# -- graphs under every profile, with remote output -----------------------------------------------


class _FakeGcs:
    """Just enough of a Beam FileSystem for graph construction against gs:// (nothing is run)."""

    def __init__(self):
        self.dirs: set[str] = set()

    def join(self, base, *parts):
        return posixpath.join(base, *parts)

    def split(self, path):
        return posixpath.split(path)

    def exists(self, path):
        return path in self.dirs

    def mkdirs(self, path):
        self.dirs.add(path)


@pytest.fixture
def remote_fs(monkeypatch):
    """gs:// served by a fake; every local FileSystems call during graph construction recorded."""
    fake, local_calls = _FakeGcs(), []
    real = FileSystems.get_filesystem

    def get_filesystem(path):
        if path.startswith("gs://"):
            return fake
        local_calls.append(path)
        return real(path)

    monkeypatch.setattr(FileSystems, "get_filesystem", staticmethod(get_filesystem))
    return local_calls


def _local_prefixes() -> tuple[str, ...]:
    return (tempfile.gettempdir(), os.getcwd(), str(Path.home()), "file://")


def _strings(obj, depth: int = 0):
    if isinstance(obj, (beam.Pipeline, beam.pvalue.PValue)):
        return  # the pipeline's own scratch dir is Beam's business, not a transform's I/O
    if isinstance(obj, str):
        yield obj
    elif depth < 4 and isinstance(obj, dict):
        for v in obj.values():
            yield from _strings(v, depth + 1)
    elif depth < 4 and isinstance(obj, (list, tuple, set, frozenset)):
        for v in obj:
            yield from _strings(v, depth + 1)
    elif depth < 4 and hasattr(obj, "__dict__") and not isinstance(obj, type):
        yield from _strings(vars(obj), depth + 1)


def local_paths_in_graph(pipeline: beam.Pipeline) -> list[tuple[str, str]]:
    """(transform label, string) for every local-looking path held by a transform or its DoFn."""
    found: list[tuple[str, str]] = []

    class Visitor(beam.pipeline.PipelineVisitor):
        def visit_transform(self, node):
            t = node.transform
            holders = [vars(t), getattr(t, "fn", None), getattr(t, "args", None), getattr(t, "kwargs", None)]
            for s in _strings(holders):
                if s.startswith(_local_prefixes()):
                    found.append((node.full_label, s))

    pipeline.visit(Visitor())
    return found


def _profile_options(profile: str, output: str):
    env = {**os.environ, **GCP_ENV}
    args = expand_profile(profile, [], output=output, env=env)
    return options_lib.make_pipeline_options(args)


def _write_graph(p: beam.Pipeline, output: str) -> None:
    _ = {
        "samples": p | "S" >> beam.Create([]).with_output_types(ShardSample),
        "rejects": p | "R" >> beam.Create([]).with_output_types(RejectRecord),
        "inputs": p | "I" >> beam.Create([]),
    } | WriteShards(output, job="pairs")


@pytest.mark.parametrize("profile", list(PROFILES))
def test_writer_graph_builds_under_each_profile_without_local_paths(profile, remote_fs):
    opts = _profile_options(profile, REMOTE_OUT)
    p = beam.Pipeline(options=opts)  # DataflowRunner validates project/region/locations right here
    assert type(p.runner).__name__.endswith(RUNNERS[profile])
    _write_graph(p, REMOTE_OUT)
    assert local_paths_in_graph(p) == []
    assert remote_fs == []
    if profile == "dataflow":
        assert opts.view_as(GoogleCloudOptions).temp_location.startswith("gs://flamingo-test-bucket/")
        assert opts.view_as(SetupOptions).setup_file.endswith("pyproject.toml")


def test_local_path_checker_catches_a_local_output(tmp_path):
    p = beam.Pipeline(options=options_lib.make_pipeline_options([]))
    _write_graph(p, str(tmp_path / "out"))
    labels = {label for label, _ in local_paths_in_graph(p)}
    assert "WriteShards/WriteBuckets" in labels


@pytest.mark.parametrize("profile", list(PROFILES))
@pytest.mark.parametrize("job", ["pairs", "m3w", "videos"])
def test_job_graph_builds_under_each_profile_without_local_paths(job, profile, remote_fs, monkeypatch):
    for name, value in GCP_ENV.items():
        monkeypatch.setenv(name, value)
    module = importlib.import_module(f"pipeline.jobs.{job}")
    config_cls = {"pairs": "PairsConfig", "m3w": "M3WConfig", "videos": "VideosConfig"}[job]
    config, beam_args = options_lib.parse_job_config(
        module.build_parser(),
        getattr(module, config_cls),
        ["--input", "gs://flamingo-test-bucket/in/list-*.csv", "--output", REMOTE_OUT, "--profile", profile],
    )
    opts = options_lib.make_pipeline_options(beam_args, profile=config.run.profile, output=config.output)
    p = beam.Pipeline(options=opts)
    module.build_pipeline(p, config, beam_args)
    assert local_paths_in_graph(p) == []
    assert remote_fs == []
