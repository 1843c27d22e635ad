"""Runner profiles: `--profile local|dataflow|spark|flink` expands to the Beam flags for that engine.

A profile only supplies defaults. Any Beam flag given explicitly wins over the profile's value
for the same option, so `--profile dataflow --region europe-west4` runs in europe-west4.

local     FnApiRunner (the in-process runner DirectRunner delegates to, named directly because
          DirectRunner first tries to start Prism, which downloads a binary) with
          `--direct_num_workers` = the machine's cores (at most 8) in `multi_threading` mode.
          Measured (Beam 2.77, DirectRunner, 400 elements x 20 ms of work after a Reshuffle,
          median of 3 runs, 2 workers, on the 2-core dev box while other jobs kept its load
          average at 5-7, so read the ratios, not the seconds):
              fetch-like (sleep):   in_memory 14.0 s, multi_threading 8.3 s, multi_processing 20.1 s
              CPU (sha256 loop):    in_memory 14.6 s, multi_threading 12.1 s, multi_processing 32.7 s
          Threads pay off for our jobs, which wait on HTTP fetches most of the time; the
          multi-processing mode did not pay off at this size for either kind of work (worker
          start-up and pickling every bundle cost more than the GIL) and loses the in-process
          progress bars, so it is not the default. Try `--direct_running_mode=multi_processing`
          for long CPU-bound local builds on a machine with idle cores (decoding/resizing media
          that is already downloaded); beyond one machine use a cluster profile.
dataflow  DataflowRunner. `--project` from $GOOGLE_CLOUD_PROJECT, `--region` from
          $FLAMINGO_DATAFLOW_REGION (default us-central1), temp/staging under the output bucket
          (`gs://BUCKET/_flamingo_beam/{temp,staging}`), and `--setup_file=<repo>/pyproject.toml`
          so workers install this project (Beam's stager builds the sdist with `python -m build
          --no-isolation`, which needs build, setuptools, wheel and Cython in the submitting venv:
          the dev extra; tests/test_packaging.py stages and installs it as a worker does). Without
          a source checkout, pass `--sdk_container_image` (docker/Dockerfile) instead.
spark     SparkRunner against `--spark_master_url` ($FLAMINGO_SPARK_MASTER, default local[4]).
          The job server is Beam's Spark job-server jar, run with the local `java`: give its path
          with `--spark_job_server_jar` ($FLAMINGO_SPARK_JOB_SERVER_JAR); without one Beam downloads
          it from Maven Central at submission. Workers (`--environment_type`): LOOPBACK for a
          local master (the SDK workers run in the submitting process), DOCKER for a cluster
          master (Beam's SDK image; the profile adds `--setup_file` from a checkout so each
          container installs this package, unless `--sdk_container_image` names an image that
          has it, docker/Dockerfile), or EXTERNAL with `--environment_config=HOST:PORT` of a
          worker pool (`python -m apache_beam.runners.worker.worker_pool_main --service_port
          PORT`, run beside each executor by a Python that has this package: the pool starts
          workers with the bare `python` on its PATH), or PROCESS with
          `--environment_config='{"command": "/path/to/boot"}'`.
flink     FlinkRunner against `--flink_master` ($FLAMINGO_FLINK_MASTER, default [auto]: Beam's
          embedded Flink), with `--flink_job_server_jar` ($FLAMINGO_FLINK_JOB_SERVER_JAR) and the
          same environments as spark (LOOPBACK for [auto]/[local], DOCKER for a cluster master).
          With a job server that is already running, skip the profile:
          `--runner=PortableRunner --job_endpoint=HOST:8099 --environment_type=EXTERNAL
          --environment_config=HOST:PORT`, the shape tests/pipeline/jobs/test_process_boundary.py
          runs every job in (Beam's Python job server and worker pool as separate processes).
Not run here (no Maven, no Docker, no cluster): the spark and flink profiles themselves; what is
tested is the options they resolve to and the environment Beam builds from them
(tests/pipeline/runner/test_profiles.py).
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path

log = logging.getLogger(__name__)

MAX_LOCAL_WORKERS = 8  # past this the DirectRunner's shared state dominates; real scale is a cluster
REPO_ROOT = Path(__file__).resolve().parents[2]


class ProfileError(ValueError):
    """A profile cannot be expanded (unknown name, or a required value is missing)."""


def _flag_name(arg: str) -> str | None:
    if not arg.startswith("--"):
        return None
    return arg[2:].split("=", 1)[0].replace("-", "_")


def explicit_values(beam_args: list[str]) -> dict[str, list[str]]:
    """{option name: the values given for it, in order} ("--a=1" and "--a 1" alike; [] for a bare flag)."""
    out: dict[str, list[str]] = {}
    for i, arg in enumerate(beam_args):
        name = _flag_name(arg)
        if name is None:
            continue
        values = out.setdefault(name, [])
        if "=" in arg:
            values.append(arg.split("=", 1)[1])
        elif i + 1 < len(beam_args) and not beam_args[i + 1].startswith("--"):
            values.append(beam_args[i + 1])
    return out


def _bucket_of(output: str | None) -> str | None:
    if output and output.startswith("gs://"):
        return output[len("gs://") :].split("/", 1)[0] or None
    return None


class Profile:
    """Subclasses return the Beam flags that make up the profile (before explicit overrides)."""

    name: str = ""

    def flags(
        self, *, output: str | None, env: Mapping[str, str], explicit: Mapping[str, list[str]]
    ) -> list[str]:
        """`explicit`: the options the command line sets itself, with their values (they win)."""
        raise NotImplementedError


class LocalProfile(Profile):
    name = "local"

    def flags(self, *, output, env, explicit):
        workers = max(1, min(os.cpu_count() or 1, MAX_LOCAL_WORKERS))
        return [
            "--runner=FnApiRunner",
            f"--direct_num_workers={workers}",
            "--direct_running_mode=multi_threading",
        ]


class DataflowProfile(Profile):
    name = "dataflow"

    def flags(self, *, output, env, explicit):
        out = ["--runner=DataflowRunner", f"--region={env.get('FLAMINGO_DATAFLOW_REGION', 'us-central1')}"]
        project = env.get("GOOGLE_CLOUD_PROJECT")
        if project:
            out.append(f"--project={project}")
        elif "project" not in explicit:
            raise ProfileError("profile 'dataflow' needs --project=GCP_PROJECT (or $GOOGLE_CLOUD_PROJECT)")
        bucket = _bucket_of(output)
        for opt in ("temp_location", "staging_location"):
            if bucket:
                out.append(f"--{opt}=gs://{bucket}/_flamingo_beam/{opt.split('_')[0]}")
            elif opt not in explicit:
                raise ProfileError(
                    f"profile 'dataflow' needs --{opt}=gs://... "
                    "(derived from --output only when it is gs://, "
                    f"got {output!r})"
                )
        pyproject = REPO_ROOT / "pyproject.toml"
        if pyproject.is_file():
            out.append(f"--setup_file={pyproject}")
        elif not explicit.keys() & {"setup_file", "requirements_file", "sdk_container_image"}:
            log.warning(
                "no source checkout at %s: pass --requirements_file or --sdk_container_image", REPO_ROOT
            )
        return out


ENVIRONMENT_TYPES = ("DOCKER", "PROCESS", "EXTERNAL", "LOOPBACK")  # Beam's PortableOptions names
# options that already say how Docker workers get this package (an image, a staged sdist)
WORKER_PACKAGE_GIVEN = {"setup_file", "sdk_container_image", "environment_config"}


class PortableClusterProfile(Profile):
    """A Beam portable runner on a cluster (spark, flink): runner, master, job-server jar, environment."""

    runner: str
    master_option: str
    master_env: str
    default_master: str
    jar_option: str
    jar_env: str

    def is_local_master(self, master: str) -> bool:
        raise NotImplementedError

    def flags(self, *, output, env, explicit):
        master = (explicit.get(self.master_option) or [env.get(self.master_env, self.default_master)])[-1]
        out = [f"--runner={self.runner}", f"--{self.master_option}={master}"]
        jar = (explicit.get(self.jar_option) or [env.get(self.jar_env, "")])[-1]
        if jar:
            if "://" not in jar and not Path(jar).is_file():
                raise ProfileError(
                    f"profile {self.name!r}: the job-server jar {jar!r} (--{self.jar_option} or "
                    f"${self.jar_env}) is not a file; give the path of Beam's job-server jar, or "
                    "leave it out to let Beam download it from Maven Central"
                )
            out.append(f"--{self.jar_option}={jar}")
        return out + self._environment_flags(master, explicit)

    def _environment_flags(self, master: str, explicit: Mapping[str, list[str]]) -> list[str]:
        local = self.is_local_master(master)
        environment = (explicit.get("environment_type") or ["LOOPBACK" if local else "DOCKER"])[-1]
        if environment not in ENVIRONMENT_TYPES and ":" not in environment:  # a URN passes as it is
            raise ProfileError(
                f"profile {self.name!r}: unknown --environment_type {environment!r}; "
                f"valid: {', '.join(ENVIRONMENT_TYPES)}"
            )
        # EXTERNAL needs --environment_config: Beam 2.78's ExternalEnvironment.from_options fails
        # (TypeError in looks_like_json(None)) when only --environment_option
        # external_service_address=... is given; PROCESS takes either form.
        configured = "environment_config" in explicit or (
            environment == "PROCESS"
            and any(
                v.startswith("process_command=")
                for v in [*explicit.get("environment_option", []), *explicit.get("environment_options", [])]
            )
        )
        if environment in ("EXTERNAL", "PROCESS") and not configured:
            what = (
                "HOST:PORT of a running worker_pool_main" if environment == "EXTERNAL" else "a boot command"
            )
            raise ProfileError(
                f"profile {self.name!r}: --environment_type={environment} needs --environment_config ({what})"
            )
        if environment == "LOOPBACK" and not local:
            log.warning(
                "--environment_type=LOOPBACK runs the SDK workers in this process: the cluster at %s "
                "must reach back to this machine",
                master,
            )
        out = [f"--environment_type={environment}"]
        pyproject = REPO_ROOT / "pyproject.toml"
        if environment == "DOCKER" and pyproject.is_file() and not explicit.keys() & WORKER_PACKAGE_GIVEN:
            out.append(f"--setup_file={pyproject}")  # Beam's image plus this package, installed at boot
        return out


class SparkProfile(PortableClusterProfile):
    name = "spark"
    runner = "SparkRunner"
    master_option, master_env, default_master = "spark_master_url", "FLAMINGO_SPARK_MASTER", "local[4]"
    jar_option, jar_env = "spark_job_server_jar", "FLAMINGO_SPARK_JOB_SERVER_JAR"

    def is_local_master(self, master: str) -> bool:
        return re.fullmatch(r"local(\[.+\])?", master) is not None  # Beam's LOCAL_MASTER_PATTERN


class FlinkProfile(PortableClusterProfile):
    name = "flink"
    runner = "FlinkRunner"
    master_option, master_env, default_master = "flink_master", "FLAMINGO_FLINK_MASTER", "[auto]"
    jar_option, jar_env = "flink_job_server_jar", "FLAMINGO_FLINK_JOB_SERVER_JAR"

    def is_local_master(self, master: str) -> bool:
        return master in ("[auto]", "[local]")  # Beam's MAGIC_HOST_NAMES: an embedded Flink


PROFILES: dict[str, Profile] = {
    p.name: p for p in (LocalProfile(), DataflowProfile(), SparkProfile(), FlinkProfile())
}
DEFAULT_PROFILE = "local"


def get_profile(name: str) -> Profile:
    try:
        return PROFILES[name]
    except KeyError:
        raise ProfileError(f"unknown profile {name!r}; valid profiles: {', '.join(PROFILES)}") from None


def expand_profile(
    name: str, beam_args: list[str], *, output: str | None = None, env: Mapping[str, str] | None = None
) -> list[str]:
    """`beam_args` plus the profile's flags for every option `beam_args` does not set itself."""
    explicit = explicit_values(beam_args)
    flags = get_profile(name).flags(output=output, env=os.environ if env is None else env, explicit=explicit)
    kept = [f for f in flags if _flag_name(f) not in explicit]
    return [*beam_args, *kept]
