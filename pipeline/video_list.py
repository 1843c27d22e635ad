"""Rows of a video list (csv/tsv/parquet/jsonl, optionally .gz) as (source, row dict).

Minimal on purpose: pipeline/readers.py (the pairs job's list readers) is the shared reader;
the videos job moves to it when it offers the same (source, row) view. Reading happens on the
driver, which suits lists up to a few million rows; the rows are then reshuffled to workers.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pyarrow.parquet as pq
from apache_beam.io.filesystems import CompressionTypes, FileSystems

FORMATS = ("csv", "tsv", "parquet", "jsonl")


def list_format(path: str) -> str:
    name = path.lower().removesuffix(".gz")
    for fmt in FORMATS:
        if name.endswith("." + fmt) or (fmt == "jsonl" and name.endswith(".json")):
            return fmt
    raise ValueError(
        f"cannot tell the format of {path!r} from its name; use one of .{', .'.join(FORMATS)} (.gz ok)"
    )


def _records(path: str, fmt: str) -> list[dict[str, Any]]:
    if fmt == "parquet":
        with FileSystems.open(path, compression_type=CompressionTypes.UNCOMPRESSED) as f:
            return pq.read_table(io.BytesIO(f.read())).to_pylist()
    with FileSystems.open(path) as f:  # AUTO: .gz is decompressed by its suffix
        text = io.TextIOWrapper(io.BytesIO(f.read()), encoding="utf-8", newline="")
    if fmt == "jsonl":
        # a malformed line becomes a {"__malformed__": ...} row: the job rejects it with a reason
        rows = []
        for line in text:
            if line.strip():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError as exc:
                    value = {"__malformed__": f"not JSON: {exc}"}
                rows.append(value if isinstance(value, dict) else {"__malformed__": "not a JSON object"})
        return rows
    # the csv module keeps every value a string (pyarrow would read a caption "007" as 7)
    return list(csv.DictReader(text, delimiter="\t" if fmt == "tsv" else ","))


def read_rows(path: str) -> list[tuple[str, dict[str, Any]]]:
    """(source "LIST:ROW", row) for every row; ROW counts data rows from 1."""
    rows = _records(path, list_format(path))
    name = path.rstrip("/").rsplit("/", 1)[-1]
    return [(f"{name}:{i + 1}", row) for i, row in enumerate(rows)]
