"""The `flamingo` console script: a table of subcommands, each loaded only when run.

Data commands must start fast and never import torch, so nothing here imports a
subcommand's module until that subcommand is chosen. Each entry names `module:function`;
the function takes the remaining argv and returns an exit code (or None for 0).

`flamingo build NAME` is every module of pipeline/jobs/ that defines `build_pipeline` and
`main` (found by reading the files, not importing them): a new job is one new file there.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path

from pipeline.runner.logs import LEVELS, configure_logging

JOBS_PACKAGE = "pipeline.jobs"
# modules of the optional extras (pyproject.toml): a command that needs one says which extra to install
EXTRA_OF_MODULE = {
    "torch": "model",
    "transformers": "model",
    "safetensors": "model",
    "tokenizers": "model",
    "webdataset": "model",
    "braceexpand": "model",
    "matplotlib": "demo",
}


def build_jobs() -> list[tuple[str, str]]:
    """(name, one-line description) of every build job in pipeline/jobs/, read without importing it."""
    spec = importlib.util.find_spec(JOBS_PACKAGE)
    jobs = []
    for folder in spec.submodule_search_locations or ():
        for path in sorted(Path(folder).glob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            functions = {n.name for n in tree.body if isinstance(n, ast.FunctionDef)}
            if {"build_pipeline", "main"} <= functions:
                first = (ast.get_docstring(tree) or "").split("\n", 1)[0]
                jobs.append((path.stem, first.split("`: ", 1)[-1].rstrip(".")))
    return jobs


# (words, "module:function", one-line help)
COMMANDS: list[tuple[tuple[str, ...], str, str]] = [
    *((("build", name), f"{JOBS_PACKAGE}.{name}:main", help_text) for name, help_text in build_jobs()),
    (
        ("extract",),
        "crawlers.html.extract_cli:main",
        "print the Document extracted from an HTML file as JSON",
    ),
    (("inspect",), "pipeline.report.inspect:main", "summarise a shard, a directory of shards or a manifest"),
    (("report",), "pipeline.report.build_report:main", "regenerate report.html for a build directory"),
    (
        ("dedup",),
        "pipeline.jobs.release:dedup_main",
        "cross-job image dedup over finished builds -> re-written builds",
    ),
    (
        ("decontaminate",),
        "pipeline.jobs.release:decontaminate_main",
        "drop samples matching evaluation sets -> re-written builds",
    ),
    (
        ("export",),
        "pipeline.jobs.export:main",
        "an m3w build as OBELICS parquet or MMC4 jsonl: export obelics|mmc4 BUILD OUT",
    ),
    (("publish",), "pipeline.jobs.publish:main", "verify builds' manifests and shards, write release.json"),
    (
        ("sample", "write"),
        "demo.sample.cli:write_main",
        "write the embedded sample web (pages, images, WARC, lists)",
    ),
    (("sample", "serve"), "demo.sample.cli:serve_main", "serve the sample web on a loopback HTTP server"),
    (("train",), "flamingo.train.trainer:main", "train a Flamingo model on shards (config file + overrides)"),
    (("eval",), "flamingo.eval.fewshot:main", "few-shot evaluation of a trained Flamingo model"),
    (
        ("params",),
        "flamingo.model.params:main",
        "parameter counts of a model preset (computed on the meta device)",
    ),
    (("demo",), "demo.run:main", "the whole mission on the embedded sample, offline"),
]


def _usage() -> str:
    lines = ["usage: flamingo COMMAND [ARGS...]", "", "commands:"]
    for words, _, help_text in COMMANDS:
        lines.append(f"  {' '.join(words):<15} {help_text}")
    lines.append("")
    lines.append("options: --version; --log-level DEBUG|INFO|WARNING|ERROR (default INFO, Beam's at WARNING)")
    lines.append("Run `flamingo COMMAND --help` for a command's options.")
    return "\n".join(lines)


def _resolve(argv: list[str]) -> tuple[str, list[str]] | None:
    for words, target, _ in sorted(COMMANDS, key=lambda c: -len(c[0])):
        if tuple(argv[: len(words)]) == words:
            return target, argv[len(words) :]
    return None


def version() -> str:
    """The installed distribution's version ("unknown" when run from a tree that was never installed)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as dist_version

    try:
        return dist_version("flamingo-data")
    except PackageNotFoundError:
        return "unknown"


def _pop_log_level(argv: list[str]) -> tuple[str | None, list[str]]:
    """`--log-level LEVEL` (or `=LEVEL`) anywhere in argv, and argv without it."""
    for i, arg in enumerate(argv):
        if arg == "--log-level" and i + 1 < len(argv):
            return argv[i + 1], argv[:i] + argv[i + 2 :]
        if arg.startswith("--log-level="):
            return arg.split("=", 1)[1], argv[:i] + argv[i + 1 :]
    return None, argv


def main(argv: list[str] | None = None) -> int:
    level, argv = _pop_log_level(list(sys.argv[1:] if argv is None else argv))
    if level is not None and level.upper() not in LEVELS:
        sys.stderr.write(f"flamingo: unknown log level {level!r}; valid levels: {', '.join(LEVELS)}\n")
        return 2
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_usage() + "\n")
        return 0
    if argv[0] in ("--version", "-V"):
        sys.stdout.write(f"flamingo-data {version()}\n")
        return 0
    found = _resolve(argv)
    if found is None:
        sys.stderr.write(f"flamingo: unknown command {' '.join(argv[:2])!r}\n\n{_usage()}\n")
        return 2
    target, rest = found
    configure_logging(level)
    module_name, func_name = target.split(":")
    try:
        func = getattr(importlib.import_module(module_name), func_name)
        return int(func(rest) or 0)
    except ModuleNotFoundError as exc:  # a model command on an install without the model extra
        extra = EXTRA_OF_MODULE.get((exc.name or "").split(".")[0])
        if extra is None:
            raise
        sys.stderr.write(
            f"flamingo {' '.join(argv[: len(argv) - len(rest)])}: needs the {extra!r} extra "
            f"(no module {exc.name!r}): pip install 'flamingo-data[{extra}]'\n"
        )
        return 2


if __name__ == "__main__":
    sys.exit(main())
