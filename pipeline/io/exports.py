"""Exporting one shard of an M3W build to an OBELICS parquet file or an MMC4 jsonl file.

One output file per input tar, written while the tar is read: the shard is streamed sample by
sample (pipeline/io/build_reader.read_shard), MMC4 lines go out one by one, OBELICS rows in
parquet row groups of at most `ROWS_PER_GROUP` pages or `BYTES_PER_GROUP` image bytes, so a
worker holds one row group, never a shard, whatever the build's size. Each file is written
under a temporary name and renamed when complete. Every sample read is counted: written, or
skipped with its key, a reason and a detail.
"""

from __future__ import annotations

import dataclasses
import json
import uuid
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from apache_beam.io.filesystems import FileSystems

from pipeline.io.build_reader import read_shard
from pipeline.io.mmc4 import SkipDocument, mmc4_document
from pipeline.io.obelics import arrow_schema, obelics_row
from pipeline.io.shard_files import TMP_MARK
from schemas import M3WSample, RejectRecord, SchemaError

FORMATS = ("obelics", "mmc4")
EXTENSIONS = {"obelics": "parquet", "mmc4": "jsonl"}
ROWS_PER_GROUP = 256
BYTES_PER_GROUP = 64 * 2**20
MALFORMED = "malformed_record"


@dataclasses.dataclass(frozen=True)
class ExportSpec:
    """What one export writes: the format, images as URLs or bytes, and where."""

    format: str
    images: str
    output: str
    deduplicated: bool = True  # the build deduplicated its pages (MMC4's could_have_url_duplicate)


class _ObelicsFile:
    def __init__(self, stream, images: str):
        self.schema = arrow_schema(images)
        self.writer = pq.ParquetWriter(stream, self.schema, compression="zstd")
        self.rows: list[dict[str, Any]] = []
        self.bytes = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self.bytes += sum(len(i["bytes"]) for i in row["images"] if isinstance(i, dict))
        if len(self.rows) >= ROWS_PER_GROUP or self.bytes >= BYTES_PER_GROUP:
            self.flush()

    def flush(self) -> None:
        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.rows, self.bytes = [], 0

    def close(self) -> None:
        self.flush()
        self.writer.close()


class _Mmc4File:
    def __init__(self, stream):
        self.stream = stream

    def add(self, row: dict[str, Any]) -> None:
        self.stream.write(json.dumps(row, ensure_ascii=False).encode("utf-8") + b"\n")

    def close(self) -> None:
        pass


def output_name(tar_path: str, fmt: str) -> str:
    return tar_path.rsplit("/", 1)[-1][: -len(".tar")] + "." + EXTENSIONS[fmt]


def export_shard(tar_path: str, spec: ExportSpec) -> dict[str, Any]:
    """Export the samples of one m3w tar to one file; returns its counts and skipped keys."""
    name = output_name(tar_path, spec.format)
    path = FileSystems.join(spec.output, name)
    tmp = f"{path}{TMP_MARK}{uuid.uuid4().hex}"
    stats: dict[str, Any] = {
        "shard": tar_path.rsplit("/", 1)[-1],
        "file": name,
        "inputs": 0,
        "written": 0,
        "image_slots_left_out": 0,
        "skipped": [],
    }
    with FileSystems.create(tmp) as stream:
        out = _ObelicsFile(stream, spec.images) if spec.format == "obelics" else _Mmc4File(stream)
        for item in read_shard(tar_path, "m3w"):
            stats["inputs"] += 1
            if isinstance(item, RejectRecord):
                stats["skipped"].append({"key": item.key, "reason": MALFORMED, "detail": item.detail})
                continue
            try:
                row, left_out = _convert(item, spec)
            except SkipDocument as exc:
                stats["skipped"].append({"key": item.key, "reason": exc.reason, "detail": str(exc)})
                continue
            except SchemaError as exc:
                stats["skipped"].append({"key": item.key, "reason": MALFORMED, "detail": str(exc)})
                continue
            out.add(row)
            stats["written"] += 1
            stats["image_slots_left_out"] += left_out
        out.close()
    FileSystems.rename([tmp], [path])
    return stats


def _convert(sample: M3WSample, spec: ExportSpec) -> tuple[dict[str, Any], int]:
    if spec.format == "obelics":
        return obelics_row(sample, spec.images)
    return mmc4_document(sample, spec.images, deduplicated=spec.deduplicated)
