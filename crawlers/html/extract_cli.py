"""`flamingo extract PAGE.html --url URL`: print the Document extracted from one HTML file as JSON."""

from __future__ import annotations

import argparse
import json
import sys

import fsspec

from crawlers.html.extract import extract_document


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="flamingo extract", description=__doc__)
    p.add_argument("file", help="HTML file (local path or fsspec URL); '-' reads stdin")
    p.add_argument("--url", required=True, help="the page's URL: relative image URLs resolve against it")
    p.add_argument("--indent", type=int, default=2)
    args = p.parse_args(argv)
    if args.file == "-":
        data = sys.stdin.buffer.read()
    else:
        try:
            with fsspec.open(args.file, "rb") as fh:
                data = fh.read()
        except (OSError, ValueError) as exc:
            sys.stderr.write(f"flamingo extract: cannot read {args.file}: {exc}\n")
            return 2
    doc = extract_document(data, args.url)
    sys.stdout.write(doc.to_json() if args.indent <= 0 else _pretty(doc.to_json(), args.indent))
    sys.stdout.write("\n")
    return 0


def _pretty(text: str, indent: int) -> str:
    return json.dumps(json.loads(text), ensure_ascii=False, indent=indent, sort_keys=True)
