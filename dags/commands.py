"""The shell commands the DAGs run: plain Python, no Airflow and no Beam, so they can be tested
(and reused by another scheduler) without either installed.

Every task is one `flamingo` CLI call. Values come from environment variables that the DAG fills
from its Airflow params (`env=` is templated), never from text pasted into the command line, so
a glob or path with spaces or `;` in it stays one argument. Every command is safe to re-run: a
build skips shards that are already complete (pipeline/io/shard_files.py), and the report, dedup,
decontamination and publish steps rewrite their outputs atomically from their inputs.
"""

from __future__ import annotations

import shlex

JOBS = ("m3w", "pairs", "videos")
PROFILES = ("local", "dataflow", "spark", "flink")
# The runner each profile names (pipeline/runner/profiles.py); the Beam provider's operator passes
# it as --runner, and knows a Dataflow job (to track and cancel it) by DataflowRunner.
RUNNERS = {
    "local": "FnApiRunner",
    "dataflow": "DataflowRunner",
    "spark": "SparkRunner",
    "flink": "FlinkRunner",
}
# Which operator runs a build: "beam" (the Beam provider's, which tracks and cancels a Dataflow job),
# "bash" (`flamingo build` in a BashOperator), or "auto": beam where the provider is installed.
OPERATOR_ENV = "FLAMINGO_AIRFLOW_OPERATOR"
OPERATORS = ("auto", "beam", "bash")
PYTHON_ENV = "FLAMINGO_PYTHON"  # the interpreter of the venv with flamingo-data (beam operator form)
FLAMINGO = "${FLAMINGO_BIN:-flamingo}"  # the console script; override where it is not on PATH

# The CLI subcommands the DAGs call (see pipeline/cli.py COMMANDS): release steps need all of them.
BUILD_WORDS = {job: ("build", job) for job in JOBS}
REPORT_WORDS = ("report",)
DEDUP_WORDS = ("dedup",)
DECONTAMINATE_WORDS = ("decontaminate",)
PUBLISH_WORDS = ("publish",)


def build_command(job: str) -> str:
    """`flamingo build JOB` reading INPUT, writing OUTPUT under PROFILE; EXTRA_ARGS are Beam flags
    (deliberately word-split: `--region europe-west4 --max_num_workers 50`)."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; valid jobs: {', '.join(JOBS)}")
    return (
        f'{FLAMINGO} build {job} --input "$INPUT" --output "$OUTPUT" --profile "$PROFILE" '
        "--no-progress $EXTRA_ARGS"
    )


def report_command() -> str:
    return f'{FLAMINGO} report "$OUTPUT"'


def dedup_command() -> str:
    """Cross-job dedup: images shared between M3W, pairs and videos outputs; drops go to rejects.
    A Beam pipeline like the builds, so it takes the same EXTRA_ARGS (region, worker limits)."""
    return (
        f'{FLAMINGO} dedup --inputs "$M3W_OUT" "$PAIRS_OUT" "$VIDEOS_OUT" --output "$DEDUP_OUT" '
        f'--profile "$PROFILE" --no-progress $EXTRA_ARGS'
    )


def decontaminate_command() -> str:
    """Drop training samples that match the evaluation sets (images and texts); a Beam pipeline."""
    return (
        f'{FLAMINGO} decontaminate --inputs "$DEDUP_OUT" --eval "$EVAL_INPUT" --output "$CLEAN_OUT" '
        f'--profile "$PROFILE" --no-progress $EXTRA_ARGS'
    )


def publish_command() -> str:
    """Write the release manifest (all shards, counts, configs) to RELEASE_OUT, atomically, last."""
    return f'{FLAMINGO} publish --inputs "$CLEAN_OUT" --output "$RELEASE_OUT"'


def cli_words() -> list[tuple[str, ...]]:
    """Every CLI subcommand some DAG runs (the test checks each is in the CLI's table)."""
    return [*BUILD_WORDS.values(), REPORT_WORDS, DEDUP_WORDS, DECONTAMINATE_WORDS, PUBLISH_WORDS]


def job_module(job: str) -> str:
    """The module the Beam operator runs with `python -m` for a build job."""
    if job not in JOBS:
        raise ValueError(f"unknown job {job!r}; valid jobs: {', '.join(JOBS)}")
    return f"pipeline.jobs.{job}"


def runner_expr(profile_expr: str = "params.profile") -> str:
    """Jinja that renders the runner of the profile named by `profile_expr`."""
    return "{{ " + repr(RUNNERS) + "[" + profile_expr + "] }}"


def parse_extra_args(text: str) -> dict[str, str | bool]:
    """Beam flags typed as one string (`--region europe-west4 --use_public_ips --x=1`) as the option
    dict the Beam provider's operator turns back into `--key=value` (True: a bare flag)."""
    options: dict[str, str | bool] = {}
    words = shlex.split(text or "")
    i = 0
    while i < len(words):
        word = words[i]
        if not word.startswith("--") or word == "--":
            raise ValueError(f"extra_args: expected a --flag, got {word!r} in {text!r}")
        name, eq, value = word[2:].partition("=")
        if eq:
            options[name] = value
        elif i + 1 < len(words) and not words[i + 1].startswith("--"):
            options[name] = words[i + 1]
            i += 1
        else:
            options[name] = True
        i += 1
    return options
