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
import logging
import sys
from pathlib import Path

JOBS_PACKAGE = "pipeline.jobs"


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
    lines.append("Run `flamingo COMMAND --help` for a command's options.")
    return "\n".join(lines)


def _resolve(argv: list[str]) -> tuple[str, list[str]] | None:
    for words, target, _ in sorted(COMMANDS, key=lambda c: -len(c[0])):
        if tuple(argv[: len(words)]) == words:
            return target, argv[len(words) :]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        sys.stdout.write(_usage() + "\n")
        return 0
    found = _resolve(argv)
    if found is None:
        sys.stderr.write(f"flamingo: unknown command {' '.join(argv[:2])!r}\n\n{_usage()}\n")
        return 2
    target, rest = found
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    module_name, func_name = target.split(":")
    func = getattr(importlib.import_module(module_name), func_name)
    code = func(rest)
    return int(code or 0)


if __name__ == "__main__":
    sys.exit(main())
