"""List the registered filters and check filter configs.

python -m filters list                 # every filter: kinds, parameters and defaults
python -m filters check filters.yaml   # build each kind's chain from a config, or say what is wrong
"""

from __future__ import annotations

import argparse
import dataclasses
import sys

from filters import FILTERS, KINDS, build_chain, filter_params


def describe_filters() -> str:
    lines = []
    for name in sorted(FILTERS):
        cls = FILTERS[name]
        summary = (sys.modules[cls.__module__].__doc__ or "").strip().splitlines()[0]
        lines.append(f"{name}  [{', '.join(sorted(cls.kinds))}]  {summary}")
        for param, default in filter_params(cls).items():
            shown = "(required)" if default is dataclasses.MISSING else repr(default)
            lines.append(f"    {param} = {shown}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m filters", description=__doc__.splitlines()[0])
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="the registered filters and their parameters")
    check = sub.add_parser("check", help="build every kind's chain from a YAML config")
    check.add_argument("config")
    args = ap.parse_args(argv)
    if args.command == "list":
        sys.stdout.write(describe_filters() + "\n")
        return 0
    try:
        chains = {kind: build_chain(args.config, kind=kind) for kind in KINDS}
    except (ValueError, OSError) as exc:
        sys.stderr.write(f"{args.config}: {exc}\n")
        return 2
    for kind, chain in chains.items():
        sys.stdout.write(f"{kind}: {' -> '.join(chain.names) or '(no filters)'}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
