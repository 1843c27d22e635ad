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
spark     SparkRunner with `--spark_master_url` ($FLAMINGO_SPARK_MASTER, default local[4]) and
          workers as Docker containers (`--environment_type=DOCKER`); on a cluster without Docker
          use `--environment_type=PROCESS --environment_config='{"command": "/path/boot"}'`. With
          a running job server instead: `--runner=PortableRunner --job_endpoint=HOST:8099`.
flink     FlinkRunner with `--flink_master` ($FLAMINGO_FLINK_MASTER, default [auto]) and Docker
          workers; same environment notes as spark.
"""

from __future__ import annotations

import logging
import os
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


def _bucket_of(output: str | None) -> str | None:
    if output and output.startswith("gs://"):
        return output[len("gs://") :].split("/", 1)[0] or None
    return None


class Profile:
    """Subclasses return the Beam flags that make up the profile (before explicit overrides)."""

    name: str = ""

    def flags(self, *, output: str | None, env: Mapping[str, str], explicit: set[str]) -> list[str]:
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
        elif not explicit & {"setup_file", "requirements_file", "sdk_container_image"}:
            log.warning(
                "no source checkout at %s: pass --requirements_file or --sdk_container_image", REPO_ROOT
            )
        return out


class SparkProfile(Profile):
    name = "spark"

    def flags(self, *, output, env, explicit):
        return [
            "--runner=SparkRunner",
            f"--spark_master_url={env.get('FLAMINGO_SPARK_MASTER', 'local[4]')}",
            "--environment_type=DOCKER",
        ]


class FlinkProfile(Profile):
    name = "flink"

    def flags(self, *, output, env, explicit):
        return [
            "--runner=FlinkRunner",
            f"--flink_master={env.get('FLAMINGO_FLINK_MASTER', '[auto]')}",
            "--environment_type=DOCKER",
        ]


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
    explicit = {n for n in map(_flag_name, beam_args) if n}
    flags = get_profile(name).flags(output=output, env=os.environ if env is None else env, explicit=explicit)
    kept = [f for f in flags if _flag_name(f) not in explicit]
    return [*beam_args, *kept]
