"""Release pieces that need no build: the DAG's command lines reach our parsers, video probes,
shard listing (tests/pipeline/jobs/test_release.py runs the release steps over builds)."""

from __future__ import annotations

import os
import subprocess

import pytest

from dags import commands
from pipeline.cli import _resolve
from pipeline.jobs import publish
from pipeline.jobs.release import build_parser
from pipeline.runner.options import parse_job_config
from schemas import VideoSample, VideoTextPair
from tests.pipeline.dedup.test_images import jpeg, picture


@pytest.mark.parametrize("command", ["dedup", "decontaminate", "publish"])
def test_dag_command_lines_parse_with_the_cli_flags(command, tmp_path):
    """The exact argv dags/commands.py produces reaches our parsers with no unknown flag."""
    fake = tmp_path / "flamingo"
    fake.write_text('#!/bin/sh\nfor a in "$@"; do echo "$a"; done\n')
    fake.chmod(0o755)
    env = {
        "PATH": os.environ["PATH"],
        "FLAMINGO_BIN": str(fake),
        "PROFILE": "dataflow",
        "EVAL_INPUT": "gs://b/eval/*",
        **{
            v: f"gs://b/v1/{v.lower()}"
            for v in ("M3W_OUT", "PAIRS_OUT", "VIDEOS_OUT", "DEDUP_OUT", "CLEAN_OUT", "RELEASE_OUT")
        },
    }
    line = getattr(commands, f"{command}_command")()
    argv = subprocess.run(
        ["bash", "-c", line], env=env, capture_output=True, text=True, check=True
    ).stdout.split("\n")[:-1]
    target, rest = _resolve(argv)
    assert target.split(":")[0] == (
        "pipeline.jobs.publish" if command == "publish" else "pipeline.jobs.release"
    )
    if command == "publish":
        args = publish.build_parser().parse_args(rest)
        assert (args.inputs, args.output) == (["gs://b/v1/clean_out"], "gs://b/v1/release_out")
        return
    from pipeline.jobs.release import ReleaseConfig

    config, beam_args = parse_job_config(build_parser(command), ReleaseConfig, rest)
    assert beam_args == [] and config.run.profile == "dataflow"
    assert config.inputs == (
        ["gs://b/v1/m3w_out", "gs://b/v1/pairs_out", "gs://b/v1/videos_out"]
        if command == "dedup"
        else ["gs://b/v1/dedup_out"]
    )


def test_video_probes_keep_captioned_segments_of_one_file_apart():
    from pipeline.release.probes import extract_probes

    def segment(key: str, start: float, end: float) -> VideoSample:
        vp = VideoTextPair(
            key=key,
            url="http://x.test/long.mp4",
            caption=f"part {key}",
            num_frames=1,
            timestamps=[start],
            sha256="ee" * 32,
            extra={"segment": [start, end]},
        )
        return VideoSample(vp, [jpeg(picture(30))])

    first, second, again = (
        extract_probes(f"videos/{k}", s)[0].sha256
        for k, s in (
            ("ee01", segment("ee01", 0.0, 8.0)),
            ("ee02", segment("ee02", 8.0, 16.0)),
            ("ee03", segment("ee03", 0.0, 8.0)),
        )
    )
    assert first != second and first == again and first.startswith("ee" * 32)


def test_list_shards_names_a_missing_tar(tmp_path):
    from pipeline.io.build_reader import list_shards

    (tmp_path / "pairs-00000.tar").write_bytes(b"")
    assert list_shards(str(tmp_path), ["pairs-00000.tar"]) == [str(tmp_path / "pairs-00000.tar")]
    with pytest.raises(FileNotFoundError, match="1 missing shard.*pairs-00001.tar"):
        list_shards(str(tmp_path), ["pairs-00000.tar", "pairs-00001.tar"])
